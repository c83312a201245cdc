"""Jets from Pythia 8 and FastJet (notebook 08, assignment a4): the generated data, jet images and
the physicist's jet observables (mass, N-subjettiness).

The files are made once by ``scripts/generate_jets.py`` (``make jets``, part of ``make setup``)
with the settings written here in ``GENERATION``: for each jet process (``qcd``,
``top``) the leading constituents of every selected jet as (pT, y - y_jet, phi - phi_jet)
(rapidity offsets, as FastJet measures distances), zero-padded; the jet's pT, rapidity, eta, phi
and mass; its number of constituents; its N-subjettiness tau_1..3; and the event it came from.
Models and the search's statistics live in :mod:`course_utils.search`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import config
from ._validate import arguments, as_float_tensor, positive_int

FORMAT = 2                             # the file layout load() reads; bumped when it changes
R = 0.8                                # anti-kt radius, and R0 of the N-subjettiness normalisation
SPLIT_SEED = 551                       # fixed, so every notebook sees the same splits
SPLITS = {"train": 0.6, "val": 0.15, "test": 0.25}

# The generator's settings: scripts/generate_jets.py reads them, load() checks a file against them.
_COMMON = ["Beams:eCM = 14000.", "Tune:pp = 14", "PartonLevel:MPI = off",
           "PhaseSpace:pTHatMin = 400.", "PhaseSpace:pTHatMax = 700."]
_W_TO_QUARKS = ["24:onMode = off", "24:onIfAny = 1 2 3 4 5"]
GENERATION = {
    "jet": dict(R=R, pt_min=550.0, pt_max=650.0, abs_eta_max=2.0, leading=2),
    "max_constituents": 100,
    "nsubjettiness": dict(axes="exclusive kt", beta=1.0, R0=R, n_max=3),
    "processes": {
        "qcd": dict(jets=14_000, seed=1000, match=None, settings=[*_COMMON, "HardQCD:all = on"]),
        "top": dict(jets=6_000, seed=2000, match=[6],
                    settings=[*_COMMON, "Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *_W_TO_QUARKS]),
    },
}
PROCESSES = tuple(GENERATION["processes"])


def wprime_settings(mass: float) -> list[str]:
    """Pythia settings for a toy W' of ``mass`` GeV decaying to W Z, both bosons to quarks."""
    if isinstance(mass, bool) or not isinstance(mass, (int, float)) or not 200 <= mass <= 13000:
        raise ValueError(f"the W' mass must be a number of GeV between 200 and 13000, got {mass!r}")
    return ["Beams:eCM = 14000.", "Tune:pp = 14", "PartonLevel:MPI = off",
            "NewGaugeBoson:ffbar2Wprime = on", f"34:m0 = {float(mass)}", "Wprime:coup2WZ = 1.",
            "34:onMode = off", "34:onIfAll = 23 24", *_W_TO_QUARKS,
            "23:onMode = off", "23:onIfAny = 1 2 3 4 5"]


# Dijet events for a4's resonance search: the two leading jets of each event, both above a
# minimum pT and within |eta| < 2.5, at most 1.3 apart in rapidity (as the LHC's dijet and
# diboson searches select), and a dijet mass m_JJ above 950 GeV; a search fits from 1000 GeV up,
# where the QCD spectrum falls smoothly; no pT window, which would sculpt m_JJ. pTHatMin 340 GeV
# (60% less CPU than 300 GeV): m_JJ > 1000 GeV at |y1 - y2| < 1.3 needs about 410 GeV per jet;
# measured on 2000 events each, the m_JJ shapes from 300 and 340 GeV agree above 950 GeV within
# their 5% statistical errors (and differ by about 10% at 850-950 GeV). The W' is a 2 -> 1
# process, which the pTHat cut does not touch.
DIJET = dict(R=R, pt_min=300.0, abs_eta_max=2.5, abs_dy_max=1.3, mjj_min=950.0)
DIJET_SAMPLES = {
    "dijet_qcd": dict(events=6_000, seed=4000, settings=["Beams:eCM = 14000.", "Tune:pp = 14",
                      "PartonLevel:MPI = off", "PhaseSpace:pTHatMin = 340.", "HardQCD:all = on"]),
    "dijet_wprime": dict(events=1_500, seed=5000, settings=wprime_settings(1200)),
}


class JetsUnavailableError(FileNotFoundError):
    """Raised when the generated jets are not on disk."""


class JetsFormatError(ValueError):
    """Raised when a jets file was written by another generator version or with other settings."""


@dataclass(frozen=True, repr=False)
class Jets:
    """Jets of one process and split: ``constituents`` ``(N, C, 3)`` (pT in GeV, d_y, d_phi;
    zero rows are padding); ``pt``, ``rapidity``, ``eta``, ``mass`` ``(N,)`` (GeV);
    ``n_constituents`` ``(N,)`` (all of them, also those beyond C); ``tau`` ``(N, 3)``
    (N-subjettiness tau_1, tau_2, tau_3, beta = 1); ``event`` ``(N,)`` event numbers; the settings."""

    constituents: torch.Tensor
    pt: torch.Tensor
    rapidity: torch.Tensor
    eta: torch.Tensor
    mass: torch.Tensor
    n_constituents: torch.Tensor
    tau: torch.Tensor
    event: torch.Tensor
    process: str
    meta: dict

    def __len__(self) -> int:
        return len(self.constituents)

    def __repr__(self) -> str:
        return f"Jets({self.process!r}, {len(self)} jets, mass median {self.mass.median():.0f} GeV)"

    @property
    def tau21(self) -> torch.Tensor:
        """tau_2 / tau_1 ``(N,)``: small for two-prong jets (W, Z), larger for one-prong jets."""
        return _ratio(self.tau[:, 1], self.tau[:, 0])

    @property
    def tau32(self) -> torch.Tensor:
        """tau_3 / tau_2 ``(N,)``: small for three-prong jets (tops)."""
        return _ratio(self.tau[:, 2], self.tau[:, 1])


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """numerator / denominator, 0 where both are 0 (a jet with too few particles for N axes)."""
    return torch.where(denominator > 0, numerator / denominator.clamp(min=1e-30),
                       torch.zeros_like(numerator))


def data_dir() -> Path:
    """Folder of the generated jets: ``<course data folder>/jets``."""
    return config.data_dir() / "jets"


def _check_meta(meta: dict, process: str, path: Path) -> None:
    """Refuse a file of another format, or generated with other settings than ``GENERATION``."""
    redo = (f"delete {path} and generate the jets again (`make jets`, or `python "
            f"scripts/generate_jets.py {process}`; about 5 minutes on two cores)")
    if meta.get("format") != FORMAT:
        raise JetsFormatError(f"{path} is in jets format {meta.get('format', 1)}; this course reads "
                              f"format {FORMAT} (rapidity offsets, N-subjettiness, event numbers): {redo}")
    want = GENERATION["processes"][process]
    for key, value in (("settings", want["settings"]), ("match", want["match"]),
                       ("jet", GENERATION["jet"]), ("nsubjettiness", GENERATION["nsubjettiness"]),
                       ("max_constituents", GENERATION["max_constituents"])):
        if meta.get(key) != value:
            raise JetsFormatError(f"{path} was generated with {key} = {meta.get(key)!r}, but "
                                  f"course_utils.jets expects {value!r}: {redo}")


def _split_part(n: int, split: str) -> np.ndarray:
    """The positions (among ``n`` events) of ``split``'s events: a fixed random partition."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED)).numpy()
    bounds = np.cumsum([0] + [round(n * f) for f in SPLITS.values()])
    bounds[-1] = n
    i = list(SPLITS).index(split)
    return order[bounds[i]:bounds[i + 1]]


@arguments
def load(process: str, split: str = "train", limit: int | None = None) -> Jets:
    """The jets of ``process`` (``"qcd"`` or ``"top"``) in ``split``.

    The splits (60 / 15 / 25 % train / val / test) are a fixed random partition of the file's
    **events**: the two jets of one event always land in the same split.
    """
    if process not in PROCESSES:
        raise ValueError(f"process must be one of {', '.join(map(repr, PROCESSES))}, got {process!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    path = data_dir() / f"{process}.npz"
    if not path.is_file():
        raise JetsUnavailableError(
            f"no {process} jets at {path}. Generate them once (about 5 minutes on two cores, "
            f"offline) with `make jets` (part of `make setup`), or "
            f"`python scripts/generate_jets.py {process}`")
    with np.load(path) as f:
        meta = json.loads(str(f["meta"]))
        _check_meta(meta, process, path)
        arrays = {k: f[k] for k in f.files if k != "meta"}
    events = np.unique(arrays["event"])
    index = np.flatnonzero(np.isin(arrays["event"], events[_split_part(len(events), split)]))
    if limit is not None:
        index = index[:positive_int(limit, "limit")]
    t = {k: torch.from_numpy(np.ascontiguousarray(v[index])) for k, v in arrays.items()}
    return Jets(t["constituents"], t["pt"], t["rapidity"], t["eta"], t["mass"], t["n_constituents"],
                t["tau"], t["event"], process, meta)


@dataclass(frozen=True, repr=False)
class Dijets:
    """Dijet events (assignment a4): ``leading`` and ``subleading`` are the two jets of each event,
    as :class:`Jets` with one row per event; ``mjj`` ``(N,)`` is the dijet mass in GeV (the
    invariant mass of the two jets' four-momenta); ``event`` ``(N,)`` the event numbers."""

    leading: Jets
    subleading: Jets
    mjj: torch.Tensor
    event: torch.Tensor
    sample: str
    meta: dict

    def __len__(self) -> int:
        return len(self.mjj)

    def __repr__(self) -> str:
        return f"Dijets({self.sample!r}, {len(self)} events, m_JJ median {self.mjj.median():.0f} GeV)"

    @property
    def jets(self) -> tuple[Jets, Jets]:
        return self.leading, self.subleading


BLACKBOX = "blackbox"                  # the black box's file name (without .npz) in data_dir()
BLACKBOX_DEFAULT_SEED = 2              # self-study: public, so no secret (make blackbox draws one)
BLACKBOX_EVENTS = (5_000, 7_000)   # events in the black box, QCD and W' together: drawn per seed
BLACKBOX_STRENGTH = (2.2, 3.0)     # a hidden W''s untagged excess over the QCD in its window, in sigma


def blackbox_truth(seed: int) -> dict:
    """What the black box made from ``seed`` holds: ``events`` in all (5000 to 7000, drawn first, so
    that the number of events tells nothing), ``signal`` (True or False) and, with a signal, the
    W' ``mass`` (1200 to 1800 GeV in 50 GeV steps) and its ``strength``: the W' events in the
    window (mass - 100, mass + 100) number ``strength`` times the square root of the QCD events
    there (2.2 to 3.0), so that without tagging no window reaches 5 sigma whatever the mass, a
    heavier W' (where QCD is rarer) has fewer events, as a cross-section falling with the mass
    would give, and the analysis a4 asks for finds it (a strength of 2 found every W' in toys at
    1200-1800 GeV). ``make blackbox`` turns the strength into W' events with the simulated
    samples (``scripts/generate_jets.py``); the rest are QCD. A quarter of the seeds hold no
    signal. The seed is the only secret: a class's comes from ``secrets`` (``make blackbox``);
    the self-study one is public. Grading reads the truth file (:func:`read_blackbox_truth`)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"the black box's seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng([seed, 551])
    events = int(rng.integers(*BLACKBOX_EVENTS, endpoint=True))
    if rng.random() < 0.25:
        return dict(seed=seed, events=events, signal=False, mass=None, strength=0.0)
    mass = float(rng.choice(np.arange(1200, 1801, 50)))
    return dict(seed=seed, events=events, signal=True, mass=mass,
                strength=round(float(rng.uniform(*BLACKBOX_STRENGTH)), 3))


def blackbox_truth_file() -> Path:
    """The truth of the black box, written by ``make blackbox`` readable by its owner only (on a
    class's hub: the instructor, so the hidden tests can read it and the students cannot)."""
    return data_dir() / f"{BLACKBOX}-truth.json"


def read_blackbox_truth() -> dict | None:
    """The black box's truth, or None where this account may not read it (a student on a hub)."""
    path = blackbox_truth_file()
    try:
        return json.loads(path.read_text())
    except PermissionError:
        return None
    except FileNotFoundError:
        raise JetsUnavailableError(f"no black box truth at {path}: make the black box first "
                                   "(`make blackbox`, or `python scripts/generate_jets.py blackbox`)") from None


def _check_dijet_meta(meta: dict, sample: str, path: Path) -> None:
    redo = (f"delete {path} and make it again (`make jets`, or `python scripts/generate_jets.py "
            f"{sample}`)")
    if meta.get("format") != FORMAT:
        raise JetsFormatError(f"{path} is in jets format {meta.get('format', 1)}; this course reads "
                              f"format {FORMAT}: {redo}")
    checks = [("dijet", DIJET), ("nsubjettiness", GENERATION["nsubjettiness"]),
              ("max_constituents", GENERATION["max_constituents"])]
    if sample != BLACKBOX:
        checks.append(("settings", DIJET_SAMPLES[sample]["settings"]))
    for key, value in checks:
        if meta.get(key) != value:
            raise JetsFormatError(f"{path} was generated with {key} = {meta.get(key)!r}, but "
                                  f"course_utils.jets expects {value!r}: {redo}")


@arguments
def load_dijets(sample: str, split: str = "all") -> Dijets:
    """Dijet events of ``sample``: ``"dijet_qcd"`` (QCD simulation), ``"dijet_wprime"`` (a W' of
    1200 GeV, simulation) in ``split`` (``"train"``, ``"val"``, ``"test"``: a fixed partition of
    the events, 60 / 15 / 25 %; or ``"all"``), or ``"blackbox"``, a4's "data" (``"all"`` only)."""
    samples = (*DIJET_SAMPLES, BLACKBOX)
    if sample not in samples:
        raise ValueError(f"sample must be one of {', '.join(map(repr, samples))}, got {sample!r}")
    if split not in (*SPLITS, "all") or (sample == BLACKBOX and split != "all"):
        allowed = "'all'" if sample == BLACKBOX else ", ".join(map(repr, (*SPLITS, "all")))
        raise ValueError(f"split of {sample!r} must be {allowed}, got {split!r}")
    path = data_dir() / f"{sample}.npz"
    if not path.is_file():
        how = ("`make blackbox` (part of `make setup`), or `python scripts/generate_jets.py blackbox`"
               if sample == BLACKBOX else
               f"`make jets` (part of `make setup`), or `python scripts/generate_jets.py {sample}`")
        raise JetsUnavailableError(f"no {sample} events at {path}. Make them once (offline) with {how}")
    with np.load(path) as f:
        meta = json.loads(str(f["meta"]))
        _check_dijet_meta(meta, sample, path)
        arrays = {k: f[k] for k in f.files if k != "meta"}
    index = np.arange(len(arrays["mjj"]))
    if split != "all":
        index = np.sort(_split_part(len(index), split))
    t = {k: torch.from_numpy(np.ascontiguousarray(v[index])) for k, v in arrays.items()}
    pair = tuple(Jets(t["constituents"][:, k], t["pt"][:, k], t["rapidity"][:, k], t["eta"][:, k],
                      t["mass"][:, k], t["n_constituents"][:, k], t["tau"][:, k], t["event"],
                      sample, meta) for k in (0, 1))
    return Dijets(pair[0], pair[1], t["mjj"], t["event"], sample, meta)


def _check_constituents(constituents: torch.Tensor) -> torch.Tensor:
    c = as_float_tensor(constituents, "constituents", ndim=3)
    if c.shape[2] != 3:
        raise ValueError(f"constituents must be (N, C, 3) rows of (pT, d_y, d_phi), got shape "
                         f"{tuple(c.shape)}")
    if (c[:, :, 0] < 0).any():
        raise ValueError("constituents have a negative pT: is the first column pT?")
    empty = (c[:, :, 0].sum(dim=1) == 0).nonzero().flatten()
    if len(empty):
        raise ValueError(f"{len(empty)} jet(s) have no constituents (all pT zero), e.g. jet "
                         f"{empty[0].item()}: an empty jet has no image, mass or axes")
    return c.double()


@arguments
def nsubjettiness(constituents: torch.Tensor, n_max: int = 3) -> torch.Tensor:
    """N-subjettiness ``(N, n_max)`` of jets ``(N, C, 3)`` of (pT, d_y, d_phi), beta = 1:
    tau_N = sum_k pT_k min_j dR(k, axis_j) / (sum_k pT_k R0), R0 = 0.8 (Thaler & Van Tilburg,
    arXiv:1011.2268, eq. 1-2), with the N axes of FastJet's exclusive kt clustering (E-scheme,
    R = 1000 as FastJet's Nsubjettiness KT_Axes) of the massless constituents. tau_N = 0 for a
    jet of at most N particles. Computed by ``scripts/generate_jets.py``; introduced in notebook 08."""
    import fastjet  # only here: loading the stored jets needs no FastJet

    n_max = positive_int(n_max, "n_max", maximum=10)
    c = _check_constituents(constituents).numpy()
    definition = fastjet.JetDefinition(fastjet.kt_algorithm, 1000.0)
    out = np.zeros((len(c), n_max))
    for j, jet in enumerate(c):
        jet = jet[jet[:, 0] > 0]
        pt, y, phi = jet[:, 0], jet[:, 1], jet[:, 2]
        four = np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(y), pt * np.cosh(y)], 1)
        sequence = fastjet.ClusterSequence([fastjet.PseudoJet(*p) for p in four.tolist()], definition)
        for n in range(1, min(n_max, len(jet) - 1) + 1):
            axes = np.array([(a.rap(), a.phi_std()) for a in sequence.exclusive_jets(n)])
            d_phi = (phi[:, None] - axes[None, :, 1] + math.pi) % (2 * math.pi) - math.pi
            d_r = np.hypot(y[:, None] - axes[None, :, 0], d_phi).min(axis=1)
            out[j, n - 1] = (pt * d_r).sum() / (pt.sum() * R)
    return torch.from_numpy(out)


@arguments
def preprocess(constituents: torch.Tensor) -> torch.Tensor:
    """The usual recipe, per jet: centre on the pT-weighted centroid, rotate the principal axis
    of the pT-weighted (d_y, d_phi) spread to the vertical, flip so that the pT is heavier on the
    right and at the top. Returns ``(N, C, 3)`` with pT unchanged; padding stays zero."""
    c = _check_constituents(constituents)
    pt, xy = c[:, :, 0], c[:, :, 1:]
    w = pt / pt.sum(dim=1, keepdim=True)
    xy = xy - (w.unsqueeze(2) * xy).sum(dim=1, keepdim=True)
    cov = torch.einsum("nc,nci,ncj->nij", w, xy, xy)
    _, vectors = torch.linalg.eigh(cov)                       # ascending: last = principal axis
    xy = xy @ vectors                                         # x: minor axis, y: principal axis
    for axis in (0, 1):                                      # flip: the heavier side positive
        plus = (pt * (xy[:, :, axis] > 0)).sum(dim=1)
        minus = (pt * (xy[:, :, axis] < 0)).sum(dim=1)
        xy[:, :, axis] *= torch.where(plus >= minus, 1.0, -1.0).to(xy.dtype).unsqueeze(1)
    xy = xy * (pt > 0).unsqueeze(2)
    return torch.cat([pt.unsqueeze(2), xy], dim=2).float()


@arguments
def pixelate(preprocessed: torch.Tensor, size: int = 28, extent: float = 0.8) -> torch.Tensor:
    """Images ``(N, 1, size, size)`` of preprocessed constituents ``(N, C, 3)``: each pixel of the
    (x, y) square [-extent, extent]^2 holds the pT of the constituents in it, in per cent of the
    jet's pT (an image sums to 100 when every constituent is inside; those outside are dropped).
    Row 0 is the top of the image (largest y). Introduced in notebook 08."""
    size = positive_int(size, "size")
    if not (isinstance(extent, (int, float)) and 0 < extent < 10):
        raise ValueError(f"extent must be a positive half-width in (y, phi) units, got {extent!r}")
    c = _check_constituents(preprocessed)
    pt, x, y = c[:, :, 0], c[:, :, 1], c[:, :, 2]
    col = torch.floor((x + extent) / (2 * extent) * size).long()
    row = torch.floor((extent - y) / (2 * extent) * size).long()
    inside = (pt > 0) & (col >= 0) & (col < size) & (row >= 0) & (row < size)
    n = torch.arange(len(c)).unsqueeze(1).expand_as(pt)
    flat = torch.zeros(len(c), size * size, dtype=torch.float64)
    flat.index_put_((n[inside], (row * size + col)[inside]), pt[inside], accumulate=True)
    flat = 100 * flat / pt.sum(dim=1, keepdim=True)
    return flat.reshape(len(c), 1, size, size).float()


@arguments
def images(constituents: torch.Tensor, size: int = 28, extent: float = 0.8) -> torch.Tensor:
    """Jet images ``(N, 1, size, size)`` in per cent of each jet's pT: :func:`preprocess`, then
    :func:`pixelate`. The defaults (28 x 28 pixels over 1.6 x 1.6 in (y, phi)) are notebook 08's:
    the size of the course's images, and wide enough for a top jet's three prongs at 600 GeV."""
    return pixelate(preprocess(constituents), size, extent)
