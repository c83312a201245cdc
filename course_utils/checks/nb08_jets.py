"""Checks of notebook 08 (jets and new physics): exercises 1-4 (exercise 4: N-subjettiness)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..jets import R
from ._feedback import _call, _checked, _fail, _ok


def _jets_for_checks() -> torch.Tensor:
    """Six small jets (6, 5, 3) of (pT, d_eta, d_phi), with padding rows, for the jet checks."""
    g = torch.Generator().manual_seed(13)
    c = torch.zeros(6, 5, 3)
    c[:, :4, 0] = 20 + 200 * torch.rand(6, 4, generator=g)
    c[:, :4, 1:] = 0.6 * (torch.rand(6, 4, 2, generator=g) - 0.5)
    c[0] = torch.tensor([[100.0, 0.0, 0.3], [100.0, 0.0, -0.3], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    return c


def _reference_jet_mass(constituents: torch.Tensor) -> torch.Tensor:
    c = constituents.double()
    pt, eta, phi = c[..., 0], c[..., 1], c[..., 2]
    e, px = (pt * torch.cosh(eta)).sum(1), (pt * torch.cos(phi)).sum(1)
    py, pz = (pt * torch.sin(phi)).sum(1), (pt * torch.sinh(eta)).sum(1)
    return (e ** 2 - px ** 2 - py ** 2 - pz ** 2).clamp(min=0).sqrt()


@_checked
def check_jet_mass(jet_mass: Callable) -> None:
    """Exercise 1 of notebook 08: a jet's invariant mass from massless constituents."""
    c = _jets_for_checks()
    want = _reference_jet_mass(c)
    got = _call(jet_mass, c.clone())
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        _fail(f"jet_mass returns {shape}; expected one mass per jet, shape {tuple(want.shape)}",
              "sum the four-momenta over the constituents (dim=1), then take the mass")
    got = got.double()
    if torch.allclose(got, want, rtol=1e-3, atol=1e-2):
        _ok(f"Two 100 GeV particles 0.6 apart make a {want[0]:.1f} GeV jet: mass comes from "
            "the opening angles, so a jet of three spread prongs is heavy.")
        return
    if torch.allclose(got, want ** 2, rtol=1e-3, atol=1e-1):
        _fail("you return the mass squared", "take the square root of E^2 - |p|^2")
    if abs(got[0] - want[0]) > 1e-2 and torch.allclose(got[0], torch.tensor(0.0, dtype=got.dtype), atol=1e-2):
        _fail(f"two 100 GeV particles 0.6 apart in phi give {got[0]:.2f} GeV, expected {want[0]:.1f}",
              "use every direction: px = pT cos(phi), py = pT sin(phi), pz = pT sinh(eta), "
              "E = pT cosh(eta) for a massless particle")
    _fail(f"for the first jets you return {got[:3].tolist()}, expected {want[:3].tolist()}",
          "E = sum of pT cosh(eta); p = sum of (pT cos(phi), pT sin(phi), pT sinh(eta)); "
          "mass = sqrt(E^2 - |p|^2); padding rows have pT = 0 and add nothing")


@_checked
def check_pixelate(pixelate: Callable) -> None:
    """Exercise 2 of notebook 08: jet images from preprocessed constituents, in per cent of pT."""
    from ..jets import pixelate as reference

    c = _jets_for_checks()
    c[1, 3] = torch.tensor([50.0, 2.0, 0.0])                    # outside the image: dropped
    size, extent = 8, 0.5
    want = reference(c, size, extent)
    got = _call(pixelate, c.clone(), size, extent)
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        _fail(f"pixelate returns {shape}; expected {tuple(want.shape)}", "one image (1, size, "
              "size) per jet: zeros, then add each constituent's pT to its pixel")
    got = got.float()
    if torch.allclose(got, want, atol=1e-4):
        _ok("Each pixel holds its share of the jet's pT in per cent; row 0 is the top (largest y).")
        return
    if torch.allclose(100 * got, want, atol=1e-3):
        _fail("your pixels sum to 1, not 100", "pixels are per cent of the jet's pT: multiply by 100")
    if torch.allclose(got, want.transpose(2, 3), atol=1e-4):
        _fail("rows and columns are swapped", "the row comes from y (d_phi), the column from x (d_eta)")
    if torch.allclose(got, want.flip(2), atol=1e-4):
        _fail("the image is upside down", "row 0 is the TOP of the image: the largest y")
    if abs(got[1].sum() - want[1].sum()) > 1e-3:
        _fail(f"jet 1 has a constituent outside the image; your image sums to {got[1].sum():.1f}, "
              f"expected {want[1].sum():.1f}", "drop constituents outside [-extent, extent], but "
              "divide by the pT of the whole jet (all constituents)")
    _fail("your images differ from the expected ones", "pixel index = floor((value + extent) / "
          "(2 * extent) * size); row from y counted from the top, column from x")


@_checked
def check_improvement_at(improvement_at: Callable) -> None:
    """Exercise 3 of notebook 08: epsilon_S / sqrt(epsilon_B) of the cut score > threshold."""
    g = torch.Generator().manual_seed(21)
    signal = torch.randn(400, generator=g) + 1.5
    background = torch.randn(2000, generator=g)
    background[:100] = 1.0                                     # ties at the threshold
    threshold = 1.0
    eps_s = (signal > threshold).float().mean().item()
    eps_b = (background > threshold).float().mean().item()
    want = eps_s / eps_b ** 0.5
    got = float(_call(improvement_at, threshold, signal, background))
    if abs(got - want) < 1e-4:
        _ok(f"At this cut {eps_s:.0%} of the signal and {eps_b:.1%} of the background pass: "
            f"S / sqrt(B) grows {want:.2f} times.")
        return
    ge_s = (signal >= threshold).float().mean().item()
    ge_b = (background >= threshold).float().mean().item()
    if abs(got - ge_s / ge_b ** 0.5) < 1e-4:
        _fail("a jet whose score equals the threshold passes in your cut", "keep jets with a "
              "score strictly above the threshold (>)")
    if abs(got - eps_s / eps_b) < 1e-4:
        _fail(f"you return {got:.3f} = epsilon_S / epsilon_B", "the background enters through its "
              "square root: epsilon_S / sqrt(epsilon_B)")
    if abs(got - eps_b / eps_s ** 0.5) < 1e-4:
        _fail("signal and background are swapped", "epsilon_S is the fraction of SIGNAL jets above "
              "the threshold")
    _fail(f"you return {got:.3f}, expected {want:.3f}", "epsilon = fraction of jets with a score "
          "above the threshold, for the signal and for the background; then epsilon_S / "
          "sqrt(epsilon_B)")


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
