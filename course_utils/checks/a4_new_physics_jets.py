"""Checks of assignment 4 (does the QCD autoencoder find a new particle?), in a physicist's words:
jets, signal and background efficiencies, cuts."""

from __future__ import annotations

import torch
from torch import nn

from ..anomaly import reconstruction_error
from ._feedback import (
    _auroc_feedback,
    _checked,
    _fail,
    _given,
    _ok,
    _threshold_feedback,
    _Words,
)


@_checked
def check_jet_scores(scores: torch.Tensor, model: nn.Module, x: torch.Tensor) -> None:
    """Assignment 4: the autoencoder's error per jet image, summed over the pixels."""
    want = reconstruction_error(model, x)
    if not isinstance(scores, torch.Tensor):
        _fail(f"the scores are a {type(scores).__name__}", "one tensor with one number per jet")
    if scores.shape != want.shape:
        _fail(f"the scores have shape {tuple(scores.shape)}; expected {tuple(want.shape)}, one "
              "number per jet", "sum the squared error over all pixels of each jet: "
              ".flatten(1).sum(1)")
    scores = scores.double().cpu()
    if torch.allclose(scores, want.double(), rtol=1e-4, atol=1e-3):
        _ok(f"{len(want)} scores, median {want.median():.1f} (squared per cent of the jet's pT).")
        return
    if torch.allclose(scores, want.double() / x[0].numel(), rtol=1e-4, atol=1e-5):
        _fail("your scores are the mean over the pixels", "use the SUM over the pixels, as notebook 08 does")
    _fail("your scores differ from the autoencoder's summed squared error on these jets",
          "anomaly.reconstruction_error(model, x) on the signal test jets, with the model "
          "trained on background (QCD) jets")


@_checked
def check_improvement_value(improvement: float, eps_s: float, eps_b: float) -> None:
    """Assignment 4: the significance improvement epsilon_S / sqrt(epsilon_B) of a cut."""
    _given(0 <= eps_s <= 1 and 0 < eps_b <= 1, "eps_s, eps_b", "fractions between 0 and 1")
    want = eps_s / eps_b ** 0.5
    got = float(improvement)
    if abs(got - want) < 1e-6:
        verdict = "improves" if want > 1 else "does NOT improve"
        _ok(f"epsilon_S / sqrt(epsilon_B) = {want:.2f}: this cut {verdict} the significance.")
        return
    if abs(got - eps_s / eps_b) < 1e-6:
        _fail("you divide by epsilon_B", "the background enters through its square root")
    _fail(f"improvement = {got:.3f}, expected {want:.3f}", "epsilon_S / sqrt(epsilon_B), from your "
          "own eps_s and eps_b")


_WORDS = _Words(
    labels="is_signal", item="jet", fp="eps_b", tp="eps_s",
    fp_name="background efficiency", tp_name="signal efficiency",
    null_val="validation background jets", null_test="background test jets",
    positives="signal test jets", keeps="keeps",
    above_hint="the cut keeps the jets ABOVE the threshold: which quantile of the validation "
    "background leaves only {fraction:.0%} of it above?",
    correct="the cut keeps {flagged:.1%} of the validation background; on the test jets "
    "epsilon_B = {fp:.3f} and epsilon_S = {tp:.3f}.",
    fraction_name="background_efficiency", val_scores_name="background_val_scores")


@_checked
def check_working_point(threshold: float, eps_b: float, eps_s: float,
                        background_val_scores: torch.Tensor, test_scores: torch.Tensor,
                        is_signal: torch.Tensor, background_efficiency: float) -> None:
    """Assignment 4: a cut keeping a fraction ``background_efficiency`` of the validation
    background, and the background and signal efficiencies ``eps_b``, ``eps_s`` it gives on the
    test jets."""
    _threshold_feedback(_WORDS, threshold, eps_b, eps_s, background_val_scores, test_scores,
                        is_signal, background_efficiency)


@_checked
def check_signal_auroc(auroc: float, scores: torch.Tensor, is_signal: torch.Tensor) -> None:
    """Assignment 4: the AUROC of ``scores`` for separating signal (``is_signal``) from background."""
    _auroc_feedback(auroc, scores, is_signal, "is_signal", "jet", "signal jets")
