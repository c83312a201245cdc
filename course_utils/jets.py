"""Jets from Pythia 8 and FastJet (notebook 08, assignment a4): loading, jet images, figures of merit.

The files are made once by ``scripts/generate_jets.py`` (``make setup``): for each process
(``qcd``, ``top``, ``wprime``) the leading constituents of every jet as (pT, eta - eta_jet,
phi - phi_jet), zero-padded, and the jet's (pT, eta, phi, mass), with the generator settings.
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

PROCESSES = ("qcd", "top", "wprime")
SPLIT_SEED = 551                       # fixed, so every notebook sees the same splits
SPLITS = {"train": 0.6, "val": 0.15, "test": 0.25}


class JetsUnavailableError(FileNotFoundError):
    """Raised when the generated jets are not on disk."""


@dataclass(frozen=True, repr=False)
class Jets:
    """Jets of one process and split: ``constituents`` ``(N, C, 3)`` (pT in GeV, d_eta, d_phi;
    zero rows are padding), ``pt``, ``eta``, ``mass`` ``(N,)`` in GeV, and the generator settings."""

    constituents: torch.Tensor
    pt: torch.Tensor
    eta: torch.Tensor
    mass: torch.Tensor
    process: str
    meta: dict

    def __len__(self) -> int:
        return len(self.constituents)

    def __repr__(self) -> str:
        return f"Jets({self.process!r}, {len(self)} jets, mass median {self.mass.median():.0f} GeV)"


def data_dir() -> Path:
    """Folder of the generated jets: ``<course data folder>/jets``."""
    return config.data_dir() / "jets"


@arguments
def load(process: str, split: str = "train", limit: int | None = None) -> Jets:
    """The jets of ``process`` (``"qcd"``, ``"top"`` or ``"wprime"``) in ``split``.

    The splits (60 / 15 / 25 % train / val / test) are a fixed random partition of the file.
    """
    if process not in PROCESSES:
        raise ValueError(f"process must be one of {', '.join(map(repr, PROCESSES))}, got {process!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    path = data_dir() / f"{process}.npz"
    if not path.is_file():
        raise JetsUnavailableError(
            f"no {process} jets at {path}. Generate them once (about 5 minutes on two cores, "
            f"offline) with `make setup`, or `python scripts/generate_jets.py {process}`")
    with np.load(path) as f:
        constituents, jets, meta = f["constituents"], f["jets"], json.loads(str(f["meta"]))
    order = torch.randperm(len(jets), generator=torch.Generator().manual_seed(SPLIT_SEED))
    bounds = np.cumsum([0] + [round(len(jets) * f) for f in SPLITS.values()])
    bounds[-1] = len(jets)
    i = list(SPLITS).index(split)
    index = order[bounds[i]:bounds[i + 1]]
    if limit is not None:
        index = index[:positive_int(limit, "limit")]
    jets_t = torch.from_numpy(jets)[index]
    return Jets(torch.from_numpy(constituents)[index], jets_t[:, 0], jets_t[:, 1], jets_t[:, 3],
                process, meta)


def _check_constituents(constituents: torch.Tensor) -> torch.Tensor:
    c = as_float_tensor(constituents, "constituents", ndim=3)
    if c.shape[2] != 3:
        raise ValueError(f"constituents must be (N, C, 3) rows of (pT, d_eta, d_phi), got shape "
                         f"{tuple(c.shape)}")
    if (c[:, :, 0] < 0).any():
        raise ValueError("constituents have a negative pT: is the first column pT?")
    empty = (c[:, :, 0].sum(dim=1) == 0).nonzero().flatten()
    if len(empty):
        raise ValueError(f"{len(empty)} jet(s) have no constituents (all pT zero), e.g. jet "
                         f"{empty[0].item()}: an image of an empty jet is undefined")
    return c.double()


@arguments
def preprocess(constituents: torch.Tensor) -> torch.Tensor:
    """The usual recipe, per jet: centre on the pT-weighted centroid, rotate the principal axis
    of the pT-weighted (d_eta, d_phi) spread to the vertical, flip so that the pT is heavier on the
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
def images(constituents: torch.Tensor, size: int = 32, extent: float = 1.0) -> torch.Tensor:
    """Jet images ``(N, 1, size, size)``: preprocessed constituents' pT summed in pixels of the
    (x, y) square [-extent, extent]^2, each image divided by its total pT (pixels sum to at most
    1; constituents outside the square are dropped). Row 0 is the top of the image."""
    size = positive_int(size, "size")
    if not (isinstance(extent, (int, float)) and 0 < extent < 10):
        raise ValueError(f"extent must be a positive half-width in (eta, phi) units, got {extent!r}")
    c = preprocess(constituents).double()
    pt, x, y = c[:, :, 0], c[:, :, 1], c[:, :, 2]
    col = torch.floor((x + extent) / (2 * extent) * size).long()
    row = torch.floor((extent - y) / (2 * extent) * size).long()
    inside = (pt > 0) & (col >= 0) & (col < size) & (row >= 0) & (row < size)
    n = torch.arange(len(c)).unsqueeze(1).expand_as(pt)
    flat = torch.zeros(len(c), size * size, dtype=torch.float64)
    flat.index_put_((n[inside], (row * size + col)[inside]), pt[inside], accumulate=True)
    flat = flat / pt.sum(dim=1, keepdim=True)
    return flat.reshape(len(c), 1, size, size).float()


@arguments
def significance_improvement(signal_efficiency: float, background_efficiency: float) -> float:
    """epsilon_S / sqrt(epsilon_B): how much a cut multiplies S / sqrt(B) (greater than 1 helps)."""
    for name, value in (("signal_efficiency", signal_efficiency),
                        ("background_efficiency", background_efficiency)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} is a fraction of jets kept, in [0, 1]; got {value}")
    if background_efficiency == 0:
        raise ValueError("background_efficiency is 0: no background passes, S / sqrt(B) is "
                         "undefined (choose a looser cut, or use more background jets)")
    return signal_efficiency / math.sqrt(background_efficiency)
