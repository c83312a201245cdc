"""The jet search of notebook 08 and assignment a4: the jet autoencoder and its recipe, figures of
merit at working points, a mass-decorrelated (mass-binned) threshold, and a sideband fit with its
local significance. The data and the observables are in :mod:`course_utils.jets`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._validate import arguments, as_float_tensor
from .jets import DIJET_SAMPLES, images, load, load_dijets
from .models import ConvAutoencoder


class JetAutoencoder(ConvAutoencoder):
    """Notebook 03's convolutional autoencoder for jet images ``(N, 1, 28, 28)`` with one change:
    the decoder's last sigmoid is removed, because pixels are per cent of the jet's pT (0 to 100),
    not grey levels in [0, 1]. Introduced in notebook 08."""

    def __init__(self, latent_dim: int = 32, channels: tuple[int, int] = (16, 32)) -> None:
        super().__init__(latent_dim, channels)
        self.decoder[-1] = nn.Identity()


# Notebook 08's recipe, chosen on validation jets (AUROC of the QCD-trained AE for top jets).
AE_ARGS = {"latent_dim": 32, "channels": (16, 32)}
FIT_ARGS = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "cosine": True}


@arguments
def autoencoder(process: str, device: torch.device | str | None = None) -> nn.Module:
    """A :class:`JetAutoencoder` trained on the training jets of ``process`` only (validation
    jets for the loss curve), with ``AE_ARGS`` and ``FIT_ARGS``; from the checkpoint cache when
    it was trained before. ``process`` is ``"qcd"`` or ``"top"`` (notebook 08's jets, trained
    there; the deck loads them) or ``"dijet_qcd"`` (both jets of a4's QCD dijet events, trained
    in a4: jets of 300 GeV to 1 TeV, not only 550-650 GeV)."""
    from . import cache

    if process in DIJET_SAMPLES:
        x_train, x_val = (images(torch.cat([j.constituents for j in load_dijets(process, split).jets]))
                          for split in ("train", "val"))
        name = f"a4-jet-ae-{process}"
    else:
        x_train, x_val = (images(load(process, split).constituents) for split in ("train", "val"))
        name = f"08-jet-ae-{process}"
    model, _ = cache.fit_or_load(name, lambda: JetAutoencoder(**AE_ARGS), x_train, x_val,
                                 data=f"{process} train jets", device=device, **FIT_ARGS)
    return model


def _fraction(value: float, name: str) -> float:
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} is a fraction of jets kept, in [0, 1]; got {value!r}")
    return float(value)


@arguments
def significance_improvement(signal_efficiency: float, background_efficiency: float) -> float:
    """epsilon_S / sqrt(epsilon_B): how much a cut multiplies S / sqrt(B) (greater than 1 helps;
    S / sqrt(B) itself holds for S << B and a background known without uncertainty)."""
    _fraction(signal_efficiency, "signal_efficiency")
    if _fraction(background_efficiency, "background_efficiency") == 0:
        raise ValueError("background_efficiency is 0: no background passes, S / sqrt(B) is "
                         "undefined (choose a looser cut, or use more background jets)")
    return signal_efficiency / math.sqrt(background_efficiency)


@arguments
def rejection_at(signal_scores: torch.Tensor, background_scores: torch.Tensor,
                 signal_efficiency: float = 0.3) -> float:
    """Background rejection 1 / epsilon_B at the cut that keeps ``signal_efficiency`` of the
    signal (``(N,)`` scores each, larger = more signal-like): the figure of merit of the
    top-tagging comparison (arXiv:1902.09914). Infinite if no background passes."""
    s = as_float_tensor(signal_scores, "signal_scores", ndim=1).double()
    b = as_float_tensor(background_scores, "background_scores", ndim=1).double()
    if not 0 < _fraction(signal_efficiency, "signal_efficiency") < 1:
        raise ValueError(f"signal_efficiency must be strictly between 0 and 1, got {signal_efficiency}")
    threshold = torch.quantile(s, 1 - signal_efficiency)
    eps_b = (b > threshold).double().mean().item()
    return math.inf if eps_b == 0 else 1 / eps_b


def _check_binned(scores, mass, edges) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    scores = as_float_tensor(scores, "scores", ndim=1).double()
    mass = as_float_tensor(mass, "mass", ndim=1).double()
    edges = as_float_tensor(edges, "edges", ndim=1).double()
    if len(scores) != len(mass):
        raise ValueError(f"scores ({len(scores)}) and mass ({len(mass)}) must have one entry per jet")
    if len(edges) < 2 or not (edges[1:] > edges[:-1]).all():
        raise ValueError("edges must be increasing mass-bin edges in GeV, at least two")
    return scores, mass, edges


def _bin(mass: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """Mass-bin number of each jet; jets outside the edges go to the first or last bin."""
    return (torch.bucketize(mass, edges[1:-1], right=True)).clamp(0, len(edges) - 2)


@arguments
def binned_thresholds(scores: torch.Tensor, mass: torch.Tensor, edges: torch.Tensor,
                      background_efficiency: float) -> torch.Tensor:
    """A mass-decorrelated working point (DDT-style, Dolen et al. arXiv:1603.00027): in each mass
    bin (``edges`` in GeV; jets outside go to the edge bins) the score above which a fraction
    ``background_efficiency`` of the background jets ``(N,)`` lie. Choose it on validation QCD.
    Returns ``(len(edges) - 1,)`` thresholds for :func:`passes_binned`. Introduced in notebook 08."""
    scores, mass, edges = _check_binned(scores, mass, edges)
    eff = _fraction(background_efficiency, "background_efficiency")
    index = _bin(mass, edges)
    out = torch.empty(len(edges) - 1, dtype=torch.float64)
    for k in range(len(out)):
        in_bin = scores[index == k]
        if len(in_bin) < 20:
            raise ValueError(f"mass bin {edges[k]:.0f}-{edges[k + 1]:.0f} GeV holds {len(in_bin)} "
                             "background jets; a quantile needs at least 20 (use wider bins)")
        out[k] = torch.quantile(in_bin, 1 - eff)
    return out


@arguments
def passes_binned(scores: torch.Tensor, mass: torch.Tensor, edges: torch.Tensor,
                  thresholds: torch.Tensor) -> torch.Tensor:
    """Boolean ``(N,)``: the jet's score is above the threshold of its mass bin."""
    scores, mass, edges = _check_binned(scores, mass, edges)
    thresholds = as_float_tensor(thresholds, "thresholds", ndim=1).double()
    if len(thresholds) != len(edges) - 1:
        raise ValueError(f"thresholds must have one entry per mass bin ({len(edges) - 1}), got {len(thresholds)}")
    return scores > thresholds[_bin(mass, edges)]


@arguments
def js_divergence(p: torch.Tensor, q: torch.Tensor) -> float:
    """Jensen-Shannon divergence (in bits, 0 to 1) of two histograms ``(B,)`` (each normalised
    here): 0 when the shapes agree. A measure of mass sculpting (DisCo, arXiv:2001.05310, uses 1/JSD)."""
    p = as_float_tensor(p, "p", ndim=1).double()
    q = as_float_tensor(q, "q", ndim=1).double()
    if p.shape != q.shape or (p < 0).any() or (q < 0).any() or p.sum() == 0 or q.sum() == 0:
        raise ValueError("p and q must be two non-negative, non-empty histograms with the same bins")
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a: torch.Tensor) -> torch.Tensor:
        keep = a > 0
        return (a[keep] * torch.log2(a[keep] / m[keep])).sum()
    return float((kl(p) + kl(q)) / 2)


@arguments
def asimov_significance(signal: float, background: float) -> float:
    """Z = sqrt(2 ((s + b) ln(1 + s / b) - s)), signed: with s = n - b for n observed events, the
    likelihood-ratio significance of a counting experiment over a known background b; with the
    expected s, the median ("Asimov") significance (Cowan, Cranmer, Gross, Vitells,
    arXiv:1007.1727, eq. 97). It tends to s / sqrt(b) for s << b. No background uncertainty (no
    systematics) and one window (no look-elsewhere effect)."""
    if not (isinstance(background, (int, float)) and background > 0):
        raise ValueError(f"background must be a positive expected count, got {background!r}")
    s, b = float(signal), float(background)
    if s < -b:
        raise ValueError(f"signal {s} would make the expected count s + b negative")
    n_log = 0.0 if s == -b else (s + b) * math.log1p(s / b)
    z = math.sqrt(max(0.0, 2 * (n_log - s)))
    return math.copysign(z, s)


SHAPES = {  # smooth falling backgrounds: density per GeV at mass m (GeV); x = (m - 200) / 100
    "exponential": lambda p, m: np.exp(p[0] + p[1] * (m - 200) / 100),
    "quadratic exponential": lambda p, m: np.exp(p[0] + p[1] * (m - 200) / 100
                                                 + p[2] * ((m - 200) / 100) ** 2),
    "power": lambda p, m: np.exp(p[0] + p[1] * np.log(m / 200)),
    "edge": lambda p, m: np.exp(p[0] + p[1] * np.log1p(-m / EDGE)),   # (1 - m / 400 GeV)^p1
    # the LHC's dijet function (1 - x)^p1 / x^p2, x = m / sqrt(s), normalised at m = 1 TeV
    "dijet": lambda p, m: np.exp(p[0] + p[1] * np.log((1 - m / SQRT_S) / (1 - 1000 / SQRT_S))
                                 - p[2] * np.log(m / 1000)),
}
_N_PARAMETERS = {"exponential": 2, "quadratic exponential": 3, "power": 2, "edge": 2, "dijet": 3}
_START_SLOPES = {"dijet": (10.0, 5.0)}          # start (p1, p2): typical of QCD dijets at 14 TeV
SQRT_S = 14000.0   # GeV, the collision energy: x = m_JJ / sqrt(s) in the dijet function
EDGE = 400.0   # GeV: "edge" falls to zero there, faster than an exponential towards the jet's mass limit


@dataclass(frozen=True)
class SidebandFit:
    """A background fit in the sidebands of a mass spectrum, and what it predicts in the window."""

    shape: str                 # a key of SHAPES
    parameters: np.ndarray     # its parameters
    observed: int              # events in the window
    expected: float            # fitted background in the window
    significance: float        # asimov_significance(observed - expected, expected): the local one
    edges: np.ndarray          # the histogram's bin edges (GeV)
    counts: np.ndarray         # events per bin
    fitted: np.ndarray         # the fitted background per bin (all bins, window included)
    sideband: np.ndarray       # True for the bins that were fitted


def _mass_range(value, name: str) -> tuple[float, float]:
    """(low, high) in GeV, low < high, or a clear error."""
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)
            or not value[0] < value[1]):
        shown = f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else repr(value)
        raise ValueError(f"{name} must be a (low, high) mass range in GeV with low < high, got {shown}")
    return float(value[0]), float(value[1])


def _integral(shape: str, p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integral of the density over [a, b] GeV (Simpson's rule on 20 steps: smooth shapes)."""
    t = np.linspace(0, 1, 21)
    m = np.asarray(a)[..., None] + (np.asarray(b) - np.asarray(a))[..., None] * t
    w = np.where(np.arange(21) % 2 == 1, 4.0, 2.0)
    w[0] = w[-1] = 1.0
    return (SHAPES[shape](p, m) * w).sum(-1) * (np.asarray(b) - np.asarray(a)) / 60


def _poisson_fit(shape: str, edges: np.ndarray, counts: np.ndarray, fitted: np.ndarray,
                 bin_width: float) -> np.ndarray:
    """The parameters of ``SHAPES[shape]`` that maximise the binned Poisson likelihood of
    ``counts`` in the bins where ``fitted`` is True."""
    from scipy.optimize import minimize

    def nll(p: np.ndarray) -> float:
        mu = _integral(shape, p, edges[:-1][fitted], edges[1:][fitted])
        return float((mu - counts[fitted] * np.log(mu)).sum())

    start = np.zeros(_N_PARAMETERS[shape])
    start[0] = math.log(max(counts[fitted].mean(), 1) / bin_width)
    start[1:] = _START_SLOPES.get(shape, (-1.0, 0.0))[:len(start) - 1]
    return minimize(nll, start, method="Nelder-Mead",
                    options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000}).x


@arguments
def sideband_fit(mass: torch.Tensor, window: tuple[float, float] = (140.0, 200.0),
                 sidebands: tuple[tuple[float, float], ...] = ((100.0, 140.0), (200.0, 300.0)),
                 bin_width: float = 10.0, shape: str = "exponential") -> SidebandFit:
    """Fit a smooth falling background (``SHAPES[shape]``) by a binned Poisson likelihood to the
    jet masses ``(N,)`` (GeV) in the ``sidebands`` only; predict the background in the signal
    ``window``; return the counts and the local significance of the excess there
    (:func:`asimov_significance`; the fit's own uncertainty is not included).
    Introduced in notebook 08."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(map(repr, SHAPES))}, got {shape!r}")
    window = _mass_range(window, "window")
    if not isinstance(sidebands, (tuple, list)) or not sidebands:
        raise TypeError("sidebands must be a tuple of (low, high) mass ranges in GeV, got "
                        f"{type(sidebands).__name__}")
    sidebands = [_mass_range(s, "each sideband") for s in sidebands]
    m = as_float_tensor(mass, "mass", ndim=1).double().numpy()
    lo, hi = min(s[0] for s in sidebands), max(s[1] for s in sidebands)
    if shape == "edge" and hi >= EDGE:
        raise ValueError(f"the 'edge' shape vanishes at {EDGE:.0f} GeV: keep the sidebands below it")
    if not (lo <= window[0] < window[1] <= hi):
        raise ValueError(f"the window {window} must lie between the sidebands {sidebands}")
    edges = np.arange(lo, hi + bin_width / 2, bin_width)
    counts, _ = np.histogram(m, edges)
    centre = (edges[:-1] + edges[1:]) / 2
    side = np.zeros(len(centre), bool)
    for a, b in sidebands:
        side |= (centre > a) & (centre < b)
    if counts[side].sum() < 10:
        raise ValueError(f"only {counts[side].sum()} jets in the sidebands: too few to fit a background")

    parameters = _poisson_fit(shape, edges, counts, side, bin_width)
    observed = int(((m > window[0]) & (m < window[1])).sum())
    background = float(_integral(shape, parameters, np.array(window[0]), np.array(window[1])))
    return SidebandFit(shape, parameters, observed, background,
                       asimov_significance(observed - background, background), edges, counts,
                       _integral(shape, parameters, edges[:-1], edges[1:]), side)


FIT_RANGE = (1000.0, 2500.0)   # GeV: a4's m_JJ fit, above the selection's turn-on (jets.DIJET)


@arguments
def bump_hunt(mjj: torch.Tensor, masses, half_width: float = 100.0,
              fit_range: tuple[float, float] = FIT_RANGE, bin_width: float = 50.0,
              shape: str = "dijet") -> dict[float, SidebandFit]:
    """A bump hunt in the dijet mass: for each hypothesised mass M (GeV) in ``masses``, the
    window (M - half_width, M + half_width), the background fitted (:func:`sideband_fit`, the LHC's
    dijet function by default) to the rest of ``fit_range`` and the window's local significance.
    Returns {M: fit}. The largest of these local significances is not a global one: scanning
    many windows makes a large one more likely by chance (the look-elsewhere effect).
    Introduced in assignment a4."""
    fit_range = _mass_range(fit_range, "fit_range")
    if not (isinstance(half_width, (int, float)) and half_width > 0):
        raise ValueError(f"half_width must be a positive mass in GeV, got {half_width!r}")
    masses = [float(m) for m in masses]
    for m in masses:
        if not fit_range[0] < m - half_width < m + half_width < fit_range[1]:
            raise ValueError(f"the window around {m:.0f} GeV must lie inside the fit range {fit_range}")
    return {m: sideband_fit(mjj, window=(m - half_width, m + half_width),
                            sidebands=((fit_range[0], m - half_width), (m + half_width, fit_range[1])),
                            bin_width=bin_width, shape=shape) for m in masses}


@arguments
def pseudo_experiments(mjj: torch.Tensor, scale: float, n: int, seed: int = 0,
                       fit_range: tuple[float, float] = FIT_RANGE, bin_width: float = 50.0,
                       shape: str = "dijet") -> list[torch.Tensor]:
    """``n`` background-only pseudo-experiments: ``SHAPES[shape]`` fitted to all of the dijet
    masses ``mjj`` (GeV) in ``fit_range``, scaled by ``scale`` (e.g. the events of the data over
    those of the simulation ``mjj`` came from), and drawn anew each time: a Poisson count per
    bin, masses uniform within the bin. Scanning each with :func:`bump_hunt` gives the
    distribution of the largest local significance without any signal, the look-elsewhere effect
    measured. Introduced in assignment a4."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(map(repr, SHAPES))}, got {shape!r}")
    fit_range = _mass_range(fit_range, "fit_range")
    if not (isinstance(scale, (int, float)) and 0 < scale < 1e6):
        raise ValueError(f"scale must be a positive factor, got {scale!r}")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100_000:
        raise ValueError(f"n must be a number of pseudo-experiments from 1 to 100000, got {n!r}")
    m = as_float_tensor(mjj, "mjj", ndim=1).double().numpy()
    edges = np.arange(fit_range[0], fit_range[1] + bin_width / 2, bin_width)
    counts, _ = np.histogram(m, edges)
    if counts.sum() < 10:
        raise ValueError(f"only {counts.sum()} events in the fit range: too few to fit a background")
    parameters = _poisson_fit(shape, edges, counts, np.ones(len(counts), bool), bin_width)
    expected = scale * _integral(shape, parameters, edges[:-1], edges[1:])
    rng = np.random.default_rng(seed)
    toys = []
    for _ in range(n):
        k = rng.poisson(expected)
        low = np.repeat(edges[:-1], k)
        toys.append(torch.from_numpy(low + bin_width * rng.random(len(low))))
    return toys
