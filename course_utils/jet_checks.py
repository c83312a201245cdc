"""Checks of notebook 08's N-subjettiness exercise (issue 22).

Written beside ``checks.py`` with its helpers; to be moved into the checks package with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .checks import _call, _checked, _fail, _ok
from .jets import R


def _reference_tau(constituents: torch.Tensor, axes: torch.Tensor, beta: float = 1.0,
                   wrap: bool = True, normalise: bool = True, nearest: bool = True) -> float:
    c, a = constituents.double(), axes.double()
    pt, y, phi = c[:, 0], c[:, 1], c[:, 2]
    d_phi = phi[:, None] - a[None, :, 1]
    if wrap:
        d_phi = (d_phi + math.pi) % (2 * math.pi) - math.pi
    d_r = torch.hypot(y[:, None] - a[None, :, 0], d_phi) ** beta
    d_r = d_r.min(dim=1).values if nearest else d_r.sum(dim=1)
    tau = (pt * d_r).sum()
    return float(tau / (pt.sum() * R) if normalise else tau)


def _tau_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(constituents (C, 3), axes (N, 2)) pairs: one axis, two axes, a jet across phi = pi, padding."""
    g = torch.Generator().manual_seed(22)
    jet = torch.zeros(8, 3)
    jet[:6, 0] = 10 + 200 * torch.rand(6, generator=g)
    jet[:6, 1:] = 0.6 * (torch.rand(6, 2, generator=g) - 0.5)
    across = jet.clone()
    across[:6, 2] = (across[:6, 2] + math.pi + math.pi) % (2 * math.pi) - math.pi   # near phi = +-pi
    return [(jet, torch.tensor([[0.0, 0.0]])), (jet, torch.tensor([[0.1, 0.2], [-0.2, -0.1]])),
            (across, torch.tensor([[0.0, math.pi - 0.05]])),
            (jet[:6], torch.tensor([[0.1, 0.2], [-0.2, -0.1], [0.2, -0.2]]))]


@_checked
def check_tau_n(tau_n: Callable) -> None:
    """Notebook 08, exercise 4: N-subjettiness of one jet ``(C, 3)`` with given axes ``(N, 2)``."""
    cases = _tau_cases()
    got = []
    for constituents, axes in cases:
        value = _call(tau_n, constituents.clone(), axes.clone())
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                _fail(f"tau_n returns a tensor of shape {tuple(value.shape)}", "one number per "
                      "jet: sum over the constituents (and take the minimum over the axes)")
            value = value.item()
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            _fail(f"tau_n returns {value!r}", "return one finite number, e.g. tau.item()")
        got.append(float(value))

    def same(**variant) -> bool:
        want = [_reference_tau(c, a, **variant) for c, a in cases]
        return all(abs(g - w) < 1e-5 * max(1.0, abs(w)) for g, w in zip(got, want))
    if same():
        _ok(f"tau_1 = {got[0]:.3f} and tau_2 = {got[1]:.3f} for the same jet: with a second axis "
            "every particle is nearer an axis, so tau_N falls with N; a jet of N prongs is the "
            "one where it falls to nearly 0 at N.")
        return
    if same(normalise=False):
        _fail("your values are not normalised", "divide by d0 = sum of the pT times R0 = 0.8")
    if same(beta=2.0):
        _fail("you use the squared distance", "beta = 1: the distance dR itself, not dR^2")
    if same(nearest=False):
        _fail("you add the distances to all the axes", "each particle counts its distance to the "
              "NEAREST axis: .min(dim=1)")
    if same(wrap=False):
        _fail("the jet that crosses phi = pi gets a wrong value", "wrap d_phi into [-pi, pi): "
              "(d_phi + pi) % (2 pi) - pi")
    _fail(f"for the four test jets you return {[round(v, 4) for v in got]}, expected "
          f"{[round(_reference_tau(c, a), 4) for c, a in cases]}",
          "dR = sqrt(d_y^2 + d_phi^2) from each particle to each axis; tau_N = sum of pT times "
          "the smallest dR, divided by (sum of pT) * R0; padding rows have pT = 0")
