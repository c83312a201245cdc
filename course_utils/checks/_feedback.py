"""The feedback every check shares: a wrong answer raises :class:`ExerciseFeedback` with what is
wrong and a hint, never a bare assert."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from .._validate import arguments


class ExerciseFeedback(AssertionError):
    """A wrong answer, with a message meant for the student."""


def _fail(what: str, hint: str) -> None:
    raise ExerciseFeedback(f"Not yet: {what}\nHint: {hint}")


def _argument_feedback(name: str, message: str, value) -> ExerciseFeedback:
    """A wrong argument to a check: usually a result the student has not set, or overwrote."""
    if value is None:
        return ExerciseFeedback(f"Not yet: {name} is not set yet\nHint: replace `raise "
                                "NotImplementedError()` in the cell above with your code, and run "
                                "that cell again")
    if "must be a function" in message:
        hint = ("pass the function itself, without calling it: check(my_function), not "
                "check(my_function(...))")
    else:
        hint = f"run the cells above again in order; a later cell may have replaced {name}"
    return ExerciseFeedback(f"Not yet: {message}\nHint: {hint}")


_checked = arguments(error=_argument_feedback)


def _given(condition: bool, name: str, what: str) -> None:
    """An argument the notebook passes to a check (not the student's answer) is not what it was."""
    if not condition:
        _fail(f"{name} is not {what}", f"run the cells above again in order; a later cell may "
              f"have replaced {name}")


def _scores_and_labels(scores: torch.Tensor, labels: torch.Tensor, labels_name: str = "is_anomaly",
                       item: str = "image") -> None:
    _given(scores.dim() == 1 and scores.is_floating_point(), "scores", f"one number per {item}")
    _given(labels.dtype == torch.bool and labels.shape == scores.shape, labels_name,
           "a bool tensor with one entry per score")


def _ok(message: str) -> None:
    print(f"Correct! {message}")


def _call(fn: Callable, *args):
    if not callable(fn):
        _fail(f"expected a function, got {type(fn).__name__}", "pass the function itself, "
              "without calling it: check(my_function), not check(my_function(...))")
    try:
        return fn(*args)
    except NotImplementedError:
        _fail("the function still raises NotImplementedError", "replace the placeholder line "
              "with your own code")
    return None  # unreachable; keeps linters calm


def _call_without(package: str, fn: Callable, *args):
    """``_call(fn, *args)``, also returning the names of ``package``'s functions it called
    (directly or through names the student imported), for exercises that say "without sklearn"."""
    called: list[str] = []

    def watch(frame, event, arg):
        if event == "call" and package in Path(frame.f_code.co_filename).parts:
            called.append(frame.f_code.co_name)

    before = sys.getprofile()
    sys.setprofile(watch)
    try:
        result = _call(fn, *args)
    finally:
        sys.setprofile(before)
    return result, called


def _check_shape(result, expected: torch.Tensor, name: str) -> None:
    if not isinstance(result, torch.Tensor):
        _fail(f"{name} should return a torch.Tensor, got {type(result).__name__}",
              "stay in PyTorch: use torch operations and the @ operator")
    if result.shape != expected.shape:
        _fail(f"{name} returns shape {tuple(result.shape)}; expected {tuple(expected.shape)}",
              "check which side of the matrix product each factor goes, and transposes")


def _count_feedback(case: str, got, want: int, mistakes: list[tuple[bool, str]],
                    fallback: str) -> None:
    """Feedback for a counting exercise: the hint of the first known mistake that matches."""
    if got == want:
        return
    what = f"for {case} you count {got}, expected {want}"
    for matched, hint in mistakes:
        if matched:
            _fail(what, hint)
    _fail(what, fallback)


# --- A threshold and an AUROC: assignment 3 speaks of anomalies, assignment 4 of jets and cuts ---

@dataclass(frozen=True)
class _Words:
    """How one assignment names the parts of a threshold: what ``fp`` and ``tp`` are called, what
    the null class is (its validation and test scores), what the positives are."""

    labels: str         # the bool labels' variable: True for the positives
    item: str           # one score per ...
    fp: str             # the student's variable for the rate on the null class
    tp: str             # ... and on the positives
    fp_name: str
    tp_name: str
    null_val: str       # the scores the threshold is chosen on
    null_test: str
    positives: str
    keeps: str          # what a threshold does to a score above it: "flags", "keeps"
    above_hint: str     # why it is the upper quantile ({fraction} is filled in)
    correct: str        # {flagged}, {fp}, {tp} are filled in
    fraction_name: str  # the check's parameter names, for a value the notebook gives
    val_scores_name: str


def _threshold_feedback(words: _Words, threshold, fp, tp, null_val_scores: torch.Tensor,
                        test_scores: torch.Tensor, is_positive: torch.Tensor,
                        fraction: float) -> None:
    """A threshold leaving ``fraction`` of ``null_val_scores`` above it, and the two rates it
    gives on the test scores, checked in the words of one assignment."""
    _given(0 < fraction < 1, words.fraction_name, "a fraction between 0 and 1")
    _given(null_val_scores.dim() == 1 and null_val_scores.is_floating_point(),
           words.val_scores_name, f"one score per {words.item} of the {words.null_val}")
    _scores_and_labels(test_scores, is_positive, words.labels, words.item)
    threshold = float(threshold)
    null_test = test_scores[~is_positive]
    if abs(threshold - torch.quantile(null_test, 1 - fraction).item()) < 1e-6:
        _fail("your threshold is a quantile of the TEST scores", f"choose it on the {words.null_val}; "
              "the test set is only for measuring")
    flagged = (null_val_scores > threshold).float().mean().item()
    tolerance = max(2.0 / len(null_val_scores), 0.002)
    if abs(flagged - fraction) > tolerance:
        if abs(flagged - (1 - fraction)) <= tolerance:
            _fail(f"your threshold {words.keeps} {flagged:.1%} of the {words.null_val}",
                  words.above_hint.format(fraction=fraction))
        _fail(f"your threshold {words.keeps} {flagged:.1%} of the {words.null_val}, expected "
              f"{fraction:.1%}", f"the threshold is a quantile of the scores of the {words.null_val} "
              "(torch.quantile)")
    want_fp = (null_test > threshold).float().mean().item()
    want_tp = (test_scores[is_positive] > threshold).float().mean().item()
    if abs(float(fp) - want_fp) > 1e-6:
        hint = (f"that is the {words.tp_name} ({words.tp})" if abs(float(fp) - want_tp) < 1e-6 else
                f"the {words.fp_name}: the fraction of the {words.null_test} whose score is above "
                "the threshold")
        _fail(f"{words.fp} = {float(fp):.4f}, expected {want_fp:.4f}", hint)
    if abs(float(tp) - want_tp) > 1e-6:
        hint = (f"that is 1 - the {words.tp_name}" if abs(float(tp) - (1 - want_tp)) < 1e-6 else
                f"the {words.tp_name}: the fraction of the {words.positives} whose score is above "
                "the threshold")
        _fail(f"{words.tp} = {float(tp):.4f}, expected {want_tp:.4f}", hint)
    _ok(words.correct.format(flagged=flagged, fp=want_fp, tp=want_tp))


def _auroc_feedback(auroc, scores: torch.Tensor, labels: torch.Tensor, labels_name: str,
                    item: str, positives: str) -> None:
    """The AUROC of ``scores`` for the bool ``labels`` (True for the ``positives``)."""
    from sklearn.metrics import roc_auc_score
    _scores_and_labels(scores, labels, labels_name, item)
    want = roc_auc_score(labels.numpy(), scores.numpy())
    got = float(auroc)
    if abs(got - want) < 1e-6:
        _ok(f"AUROC {want:.3f}.")
        return
    if abs(got - (1 - want)) < 1e-6:
        _fail(f"your AUROC {got:.3f} is 1 - the right value", f"roc_auc_score(y_true, score) wants "
              f"y_true = {labels_name} (True for the {positives}), and a score that is larger for "
              f"the {positives}")
    if got > 1:
        _fail(f"your AUROC is {got:.3f}", "sklearn returns a fraction between 0 and 1, not a percentage")
    _fail(f"your AUROC {got:.3f}, expected {want:.3f} for these scores",
          f"sklearn.metrics.roc_auc_score({labels_name}, scores)")
