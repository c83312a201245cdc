"""Checks of assignment 3 (anomaly detection on one Fashion-MNIST class)."""

from __future__ import annotations

import torch

from ..data import Split
from ._feedback import _auroc_feedback, _checked, _fail, _ok, _threshold_feedback, _Words


@_checked
def check_one_class_split(x_normal_train: torch.Tensor, x_normal_val: torch.Tensor,
                          is_anomaly: torch.Tensor, train_set: Split, val_set: Split,
                          test_set: Split, normal_class: int) -> None:
    """Assignment 3: training and validation images of the normal class only; test labels True
    for anomalies."""
    for name, got, split in [("x_normal_train", x_normal_train, train_set),
                             ("x_normal_val", x_normal_val, val_set)]:
        want = split.x[split.y == normal_class]
        which = "training" if split is train_set else "validation"
        if got.shape != want.shape:
            _fail(f"{name} has shape {tuple(got.shape)}; expected {tuple(want.shape)}",
                  f"keep only the {which} images whose label is the normal class")
        if not torch.equal(got, want):
            _fail(f"{name} holds the right number of images, but not the right ones",
                  f"select the {which} images with the labels of the same split")
    if is_anomaly.dtype != torch.bool:
        _fail("is_anomaly should be a bool tensor (True = anomaly)", "compare the test labels "
              "with the normal class")
    if torch.equal(is_anomaly, test_set.y == normal_class):
        _fail("is_anomaly is True for the normal class", "anomalies are the OTHER classes")
    if not torch.equal(is_anomaly, test_set.y != normal_class):
        _fail("is_anomaly does not match the test labels", "one entry per test image: True "
              "where the label is not the normal class")
    _ok(f"{len(x_normal_train)} normal training and {len(x_normal_val)} validation images; "
        f"{int(is_anomaly.sum())} anomalies among {len(is_anomaly)} test images.")


_WORDS = _Words(
    labels="is_anomaly", item="image", fp="test_fpr", tp="test_tpr",
    fp_name="false-positive rate", tp_name="true-positive rate",
    null_val="normal validation images", null_test="NORMAL test images", positives="anomalies",
    keeps="flags", above_hint="false positives are the normal images ABOVE the threshold: which "
    "quantile leaves only {fraction:.0%} above it?",
    correct="{flagged:.1%} of normal validation images above the threshold; on the test set "
    "{fp:.1%} false positives (the tail of the normal class) and {tp:.1%} of the anomalies caught.",
    fraction_name="fpr", val_scores_name="normal_val_scores")


@_checked
def check_threshold_value(threshold: float, test_fpr: float, test_tpr: float,
                          normal_val_scores: torch.Tensor, test_scores: torch.Tensor,
                          is_anomaly: torch.Tensor, fpr: float) -> None:
    """Assignment 3: a threshold flagging a fraction ``fpr`` of the normal validation scores,
    and the false- and true-positive rates it gives on the test set."""
    _threshold_feedback(_WORDS, threshold, test_fpr, test_tpr, normal_val_scores, test_scores,
                        is_anomaly, fpr)


@_checked
def check_auroc_value(auroc: float, scores: torch.Tensor, is_anomaly: torch.Tensor) -> None:
    """Assignment 3: the AUROC of ``scores`` for the labels ``is_anomaly``."""
    _auroc_feedback(auroc, scores, is_anomaly, "is_anomaly", "image", "anomalies")
