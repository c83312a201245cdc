"""Checks of notebook 07 (anomaly detection): exercises 1-3."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._feedback import _call, _call_without, _checked, _fail, _ok


@_checked
def check_per_image_error(per_image_error: Callable) -> None:
    """Exercise 1 of notebook 07: one reconstruction error per image, summed over its pixels."""
    g = torch.Generator().manual_seed(7)
    x, x_hat = torch.rand(6, 1, 28, 28, generator=g), torch.rand(6, 1, 28, 28, generator=g)
    want = (x - x_hat).pow(2).flatten(1).sum(1)
    got = _call(per_image_error, x, x_hat)
    if not isinstance(got, torch.Tensor):
        _fail(f"per_image_error should return a torch.Tensor, got {type(got).__name__}",
              "stay in PyTorch: (x - x_hat).pow(2) ...")
    if got.numel() == 1:
        _fail("you return a single number for the whole batch", "an anomaly score needs one "
              "number per image: sum over every dimension except the first, .flatten(1).sum(1)")
    if got.shape != want.shape:
        _fail(f"per_image_error returns shape {tuple(got.shape)}; expected (6,), one per image",
              "flatten each image first, then sum over dim=1")
    if torch.allclose(got, want / 784, rtol=1e-4):
        _fail("you averaged over the pixels", "this ranks images the same way, but the course "
              "reports the summed squared error: .sum(1) instead of .mean(1)")
    if torch.allclose(got, (x - x_hat).abs().flatten(1).sum(1), rtol=1e-4):
        _fail("you summed absolute differences", "square the differences: .pow(2)")
    if not torch.allclose(got, want, rtol=1e-4):
        _fail("your values differ from the summed squared error", "(x - x_hat).pow(2).flatten(1).sum(1)")
    _ok("One score per image: the larger it is, the worse the model represents that image.")


@_checked
def check_threshold_for_fpr(threshold_for_fpr: Callable) -> None:
    """Exercise 2 of notebook 07: the threshold that flags a fraction fpr of normal images."""
    # skewed like real error scores (chi-square, 3 degrees of freedom), so that a Gaussian shortcut
    # (mean + z * std) misses the quantile
    normal = torch.randn(2000, 3, generator=torch.Generator().manual_seed(8)).pow(2).sum(1)
    for fpr in (0.05, 0.2):
        got = float(_call(threshold_for_fpr, normal, fpr))
        flagged = (normal > got).float().mean().item()
        if abs(flagged - fpr) <= 0.002:
            continue
        if abs(flagged - (1 - fpr)) <= 0.002:
            _fail(f"with fpr = {fpr} your threshold flags {flagged:.1%} of normal images",
                  "false positives are the normal images ABOVE the threshold: which quantile "
                  "leaves a fraction fpr above it?")
        _fail(f"with fpr = {fpr} your threshold flags {flagged:.1%} of normal images, expected "
              f"{fpr:.0%}", "the threshold is a quantile of the normal scores (torch.quantile)")
    _ok("Your threshold flags the asked-for fraction of the normal scores it is given. Give it "
        "normal validation scores only: then the test set plays no part in choosing it.")


@_checked
def check_auroc_by_ranking(auroc_by_ranking: Callable) -> None:
    """Exercise 3 of notebook 07: AUROC as P(anomaly's score > normal's score), ties half."""
    g = torch.Generator().manual_seed(9)
    scores = torch.cat([torch.randn(300, generator=g), torch.randn(200, generator=g) + 1.0])
    scores[::7] = scores[::7].round()  # some ties
    is_anomaly = torch.arange(500) >= 300
    a, n = scores[is_anomaly], scores[~is_anomaly]
    diff = a[:, None] - n[None, :]
    want = ((diff > 0).double().mean() + 0.5 * (diff == 0).double().mean()).item()
    got, called = _call_without("sklearn", auroc_by_ranking, scores, is_anomaly)
    if called:
        _fail("your function calls sklearn (for example roc_auc_score): the exercise is to compute "
              "the AUROC yourself", "compare every anomaly's score with every normal image's score "
              "(a[:, None] - n[None, :]) and count the pairs the anomaly wins, ties half")
    got = float(got)
    if abs(got - want) < 1e-6:
        _ok(f"AUROC = {want:.4f}: the chance that a random anomaly outscores a random normal "
            "image; 0.5 is guessing. It equals sklearn.metrics.roc_auc_score.")
        return
    if abs(got - (1 - want)) < 1e-6:
        _fail(f"you return {got:.4f}, which is 1 - AUROC", "count pairs where the ANOMALY has "
              "the higher score")
    if abs(got - (diff > 0).double().mean().item()) < 1e-6:
        _fail(f"you return {got:.4f}; ties are not counted", "a tied pair counts one half")
    if not 0 <= got <= 1:
        _fail(f"you return {got:.4f}, which is not a probability", "divide the count of "
              "pairs by the number of (anomaly, normal) pairs")
    _fail(f"you return {got:.4f}, expected {want:.4f}", "compare every anomaly score with every "
          "normal score: a[:, None] - n[None, :]")
