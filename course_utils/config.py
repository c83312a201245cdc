"""Paths, device choice and seeding: the only global settings of the course."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from ._validate import arguments

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Folder holding the data sets: ``$COURSE_DATA_DIR`` or ``<repo>/data``.

    Introduced in notebook 01.
    """
    return Path(os.environ.get("COURSE_DATA_DIR") or REPO_ROOT / "data")


def cache_dir() -> Path:
    """Folder holding trained checkpoints: ``$COURSE_CACHE_DIR`` or ``<repo>/.cache``.

    Introduced in notebook 01.
    """
    return Path(os.environ.get("COURSE_CACHE_DIR") or REPO_ROOT / ".cache")


def shared_cache_dir() -> Path | None:
    """A class's read-only checkpoint cache, ``$COURSE_SHARED_CACHE_DIR`` (unset: none): looked
    in after your own cache, never written (on the course's JupyterHub, the instructor's warm
    cache). Introduced in notebook 02."""
    shared = os.environ.get("COURSE_SHARED_CACHE_DIR")
    return Path(shared) if shared else None


@arguments
def get_device(prefer: str | None = None) -> torch.device:
    """The fastest available device: CUDA, then Apple MPS, then CPU.

    ``prefer`` ("cpu", "cuda", "mps") forces one; asking for one that is
    missing raises ``ValueError``. Introduced in notebook 01.
    """
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if prefer is not None:
        if prefer not in available:
            raise ValueError(f"prefer must be one of {sorted(available)}, got {prefer!r}")
        if not available[prefer]:
            raise ValueError(f"device {prefer!r} was requested but is not available on this machine")
        return torch.device(prefer)
    for name in ("cuda", "mps", "cpu"):
        if available[name]:
            return torch.device(name)
    raise AssertionError("unreachable: the CPU is always available")


def as_device(device) -> torch.device:
    """``device`` (a name such as "cpu" or a ``torch.device``) as a ``torch.device``, or the fastest
    available one if ``None``. Introduced in notebook 01."""
    if device is None:
        return get_device()
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be a name such as 'cpu' or 'cuda', got {type(device).__name__}")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be a name such as 'cpu', 'cuda' or 'mps', got {device!r}") from None


@arguments
def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; returns a CPU ``torch.Generator`` with that seed.

    As the setup call of every notebook it also sets the course's figure style, in which every
    figure shown carries a description for screen readers (``plot.use_course_style``).
    Introduced in notebook 01.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__} ({seed!r})")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS
    from . import plot  # here, not at the top: plot imports matplotlib, which config need not

    plot.use_course_style()
    return torch.Generator().manual_seed(seed)
