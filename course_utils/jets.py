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
from torch import nn

from . import config
from ._validate import arguments, as_float_tensor, positive_int
from .models import ConvAutoencoder

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
def pixelate(preprocessed: torch.Tensor, size: int = 28, extent: float = 0.8) -> torch.Tensor:
    """Images ``(N, 1, size, size)`` of preprocessed constituents ``(N, C, 3)``: each pixel of the
    (x, y) square [-extent, extent]^2 holds the pT of the constituents in it, in per cent of the
    jet's pT (an image sums to 100 when every constituent is inside; those outside are dropped).
    Row 0 is the top of the image (largest y). Introduced in notebook 08."""
    size = positive_int(size, "size")
    if not (isinstance(extent, (int, float)) and 0 < extent < 10):
        raise ValueError(f"extent must be a positive half-width in (eta, phi) units, got {extent!r}")
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
    :func:`pixelate`. The defaults (28 x 28 pixels over 1.6 x 1.6 in (eta, phi)) are notebook 08's:
    the size of the course's images, and wide enough for a top jet's three prongs at 600 GeV."""
    return pixelate(preprocess(constituents), size, extent)


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
    it was trained before. Notebook 08 trains them; assignment a4 and the deck load them."""
    from . import cache

    x_train, x_val = (images(load(process, split).constituents) for split in ("train", "val"))
    model, _ = cache.fit_or_load(f"08-jet-ae-{process}", lambda: JetAutoencoder(**AE_ARGS),
                                 x_train, x_val, data=f"{process} train jets", device=device,
                                 **FIT_ARGS)
    return model


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
