"""Checks of assignment 4 (a resonance search in dijet events, and a black box), in a
physicist's words: events, signal and background efficiencies, cuts, fits, significances."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .. import jets, search
from ._feedback import (
    _call,
    _checked,
    _fail,
    _given,
    _ok,
    _threshold_feedback,
    _Words,
)


@_checked
def check_event_score(event_score: Callable) -> None:
    """Assignment 4: an event's score for "both jets tagged" is the smaller of its two jets'
    scores, ``(N, 2) -> (N,)``."""
    scores = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.6], [-1.0, 0.95], [0.5, 0.5]])
    want = scores.min(dim=1).values
    got = _call(event_score, scores.clone())
    if isinstance(got, tuple):
        _fail("event_score returns a pair", "torch.min(..., dim=1) returns (values, indices): take .values")
    if not isinstance(got, torch.Tensor):
        _fail(f"event_score returns a {type(got).__name__}", "one tensor with one number per event")
    if got.shape != want.shape:
        hint = "one number per event: reduce over the two jets, dim=1"
        _fail(f"event_score returns shape {tuple(got.shape)} for 5 events of 2 jets; expected (5,)", hint)
    got = got.double()
    if torch.allclose(got, want.double()):
        _ok("an event passes the cut exactly when its weaker jet does: both jets are tagged.")
        return
    if torch.allclose(got, scores.max(dim=1).values.double()):
        _fail("you take the larger of the two scores", "that cut asks for ONE tagged jet; both jets "
              "must pass, so the weaker one decides")
    if torch.allclose(got, scores[:, 0].double()):
        _fail("you take the leading jet's score", "both jets must pass: the smaller of the two scores")
    if torch.allclose(got, scores.mean(dim=1).double()):
        _fail("you average the two scores", "an average can pass with one jet far below the cut: "
              "take the smaller of the two")
    _fail("your event scores differ from the smaller of the two jets' scores",
          "jet_scores.min(dim=1).values")


_WORDS = _Words(
    labels="is_signal", item="event", fp="eps_b", tp="eps_s",
    fp_name="background efficiency", tp_name="signal efficiency",
    null_val="validation QCD jets", null_test="QCD test events",
    positives="W' events", keeps="keeps",
    above_hint="the cut keeps the jets ABOVE the threshold: which quantile of the validation "
    "QCD jets leaves only {fraction:.0%} of them above?",
    correct="the threshold keeps {flagged:.1%} of the validation QCD jets; with both jets tagged, "
    "epsilon_B = {fp:.4f} of the QCD test events and epsilon_S = {tp:.3f} of the W' events pass.",
    fraction_name="jet_efficiency", val_scores_name="val_jet_scores")


@_checked
def check_working_point(threshold: float, eps_b: float, eps_s: float,
                        val_jet_scores: torch.Tensor, event_scores: torch.Tensor,
                        is_signal: torch.Tensor, jet_efficiency: float) -> None:
    """Assignment 4: a jet threshold keeping a fraction ``jet_efficiency`` of the validation QCD
    jets (``val_jet_scores``: the (N, 2) scores of the validation events, flattened), and the
    fractions ``eps_b``, ``eps_s`` of background and signal events whose two jets both pass it
    (``event_scores``: the smaller of the two jets' scores)."""
    _given(val_jet_scores.dim() == 1 and len(val_jet_scores) % 2 == 0, "val_jet_scores",
           "the scores of both jets of every validation event, flattened")
    _given(0 < jet_efficiency < 1, "jet_efficiency", "a fraction between 0 and 1")
    val_events = val_jet_scores.reshape(-1, 2).min(dim=1).values
    by_event = torch.quantile(val_events.double(), 1 - jet_efficiency).item()
    by_jet = torch.quantile(val_jet_scores.double(), 1 - jet_efficiency).item()
    if abs(float(threshold) - by_event) < 1e-6 and abs(by_event - by_jet) > 1e-6:
        _fail("your threshold is a quantile of the validation EVENTS' scores (the smaller of their "
              "two jets')", f"the working point is set on jets: the score above which "
              f"{jet_efficiency:.0%} of the validation QCD jets (both jets of every event, pooled) lie")
    _threshold_feedback(_WORDS, threshold, eps_b, eps_s, val_jet_scores, event_scores, is_signal,
                        jet_efficiency)


@_checked
def check_local_significance(local_significance: Callable, mjj: torch.Tensor) -> None:
    """Assignment 4: the local significance of the window (M - 100, M + 100) GeV with the dijet
    function fitted to the rest of 1000-2500 GeV in 50 GeV bins (``search.bump_hunt``)."""
    _given(mjj.dim() == 1 and len(mjj) >= 30, "mjj", "the dijet masses of the tagged events")
    masses = (1250.0, 1500.0)
    want = search.bump_hunt(mjj, masses)
    for mass in masses:
        got = _call(local_significance, mjj, mass)
        if isinstance(got, search.SidebandFit):
            _fail("local_significance returns the whole fit", "return its .significance, a number")
        try:
            got = float(got)
        except (TypeError, ValueError):
            _fail(f"local_significance returns a {type(got).__name__}", "one number: fit.significance")
        fit = want[mass]
        if abs(got - fit.significance) < 1e-6:
            continue
        excess = fit.observed - fit.expected
        if abs(got - excess / math.sqrt(fit.expected)) < 1e-6:
            _fail(f"at {mass:.0f} GeV you give S / sqrt(B) = {got:.2f}", "use the fit's Asimov "
                  "significance (fit.significance): S is not small next to B after a tight tag")
        _fail(f"at {mass:.0f} GeV your local significance is {got:.3f}, expected {fit.significance:.3f} "
              f"({fit.observed} events in the window, fitted background {fit.expected:.1f})",
              "the window is 100 GeV on each side of the mass; the sidebands run from 1000 GeV to "
              "the window and from the window to 2500 GeV; 50 GeV bins; the dijet shape")
    _ok("your window, sidebands and fit give the expected local significance at 1250 and 1500 GeV.")


DISCOVERY = 5.0      # the local significance above which a4's answer claims a signal


def _answer_parts(answer) -> tuple[bool, float | None, float]:
    if not isinstance(answer, dict) or set(answer) != {"signal", "mass", "significance"}:
        _fail("answer must be a dict with exactly the keys 'signal', 'mass' and 'significance'",
              "answer = dict(signal=..., mass=..., significance=...)")
    signal, mass, z = answer["signal"], answer["mass"], answer["significance"]
    if not isinstance(signal, bool):
        _fail(f"answer['signal'] is a {type(signal).__name__}", "True or False")
    if signal and not isinstance(mass, (int, float)):
        _fail("you claim a signal but give no mass", "answer['mass']: the centre of the window "
              "with the largest local significance, in GeV")
    if not signal and mass is not None:
        _fail("you claim no signal but give a mass", "answer['mass'] = None when there is no signal")
    if not isinstance(z, (int, float)) or not math.isfinite(z):
        _fail("answer['significance'] is not a number", "the largest local significance of your scan")
    return signal, None if mass is None else float(mass), float(z)


@_checked
def check_blackbox_answer(answer: dict, significances: dict, tagged_mjj: torch.Tensor) -> None:
    """Assignment 4: the scan ``significances`` ({mass: local significance}) is that of the
    black box's events tagged as the exercise says (``tagged_mjj``: their dijet masses, tagged
    by the tagger chosen on simulation at its threshold), and the answer follows from it: the
    largest significance, where it is, and whether it passes 5. Says nothing of the truth."""
    _given(isinstance(significances, dict) and len(significances) >= 5, "significances",
           "a dict {mass in GeV: local significance} of your scan")
    want = search.bump_hunt(tagged_mjj, [float(m) for m in significances])
    for m, got in significances.items():
        m = float(m)
        if not isinstance(got, (int, float)) or abs(float(got) - want[m].significance) > 1e-6:
            _fail(f"your local significance at {m:.0f} GeV is not that of the black box's events "
                  "tagged by best_tagger at thresholds[best_tagger]",
                  "tag the black box with the tagger chosen on simulation, at its threshold, "
                  "then your local_significance for every mass in MASSES")
    signal, mass, z = _answer_parts(answer)
    best = max(significances, key=lambda m: significances[m])
    if abs(z - float(significances[best])) > 1e-6:
        _fail(f"answer['significance'] = {z:.2f}, but the largest local significance of your scan "
              f"is {float(significances[best]):.2f} (at {best:.0f} GeV)", "report the largest one")
    if signal != (z > DISCOVERY):
        _fail(f"you say signal = {signal} with a local significance of {z:.1f}",
              f"the rule of this assignment: claim a signal when the largest local significance "
              f"is above {DISCOVERY:.0f}")
    if signal and abs(mass - float(best)) > 1e-6:
        _fail(f"answer['mass'] = {mass:.0f} GeV, but your largest significance is at {best:.0f} GeV",
              "report the centre of that window")
    where = f" at {mass:.0f} GeV" if signal else ""
    _ok(f"your answer follows from your scan: signal {signal}{where}, local significance {z:.1f}. "
        "Your instructor grades it against what the black box holds.")


MASS_TOLERANCE = 100.0   # GeV: the half-width of a4's windows


@_checked
def check_blackbox_truth(answer: dict) -> None:
    """Assignment 4's hidden test: the answer against what the black box holds (its truth file,
    which ``make blackbox`` writes readable by its owner only: the instructor on a hub)."""
    signal, mass, _ = _answer_parts(answer)
    truth = jets.read_blackbox_truth()
    if truth is None:
        _fail("this account may not read the black box's truth", "your instructor grades this part")
    if signal != truth["signal"]:
        _fail(f"you say signal = {signal}; the black box holds "
              + (f"a W' of {truth['mass']:.0f} GeV" if truth["signal"] else "no signal"),
              "compare the taggers on simulation before you open the data: which one keeps the "
              "W' events?")
    if signal and abs(mass - truth["mass"]) > MASS_TOLERANCE:
        _fail(f"your mass {mass:.0f} GeV is more than {MASS_TOLERANCE:.0f} GeV from the W' in the "
              f"black box ({truth['mass']:.0f} GeV)", "look at the fitted spectrum around your window")
    _ok("your answer agrees with the black box: "
        + (f"a W' of {truth['mass']:.0f} GeV ({truth['n_signal']} events before tagging)."
           if truth["signal"] else "no signal."))


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
