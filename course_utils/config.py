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


DEVICES = ("cpu", "cuda", "mps")


@arguments
def get_device(prefer: str | None = None) -> torch.device:
    """The device the notebooks compute on: the CPU, unless one is asked for.

    Ask with ``prefer`` ("cpu", "cuda", "mps") or, for every notebook at once, the environment
    variable ``COURSE_DEVICE`` (``prefer`` wins). The CPU is the default because every number the
    notebooks assert was measured on it and is repeatable there; a GPU is faster for the larger
    trainings but sums in another order (numbers move in their last digits) and MPS has no
    float64. Asking for a device this machine lacks raises ``ValueError``. Introduced in notebook 01.
    """
    name, source = prefer, "prefer"
    if name is None:
        name, source = os.environ.get("COURSE_DEVICE") or "cpu", "COURSE_DEVICE"
    name = name.strip().lower()
    if name not in DEVICES:
        raise ValueError(f"{source} must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{source} asks for 'cuda', but PyTorch finds no CUDA GPU on this machine "
                         f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'}); "
                         "use 'cpu' (the default: unset COURSE_DEVICE)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) is not None
                              and torch.backends.mps.is_available()):
        raise ValueError(f"{source} asks for 'mps', but Apple's Metal GPU is not available here "
                         "(it needs a Mac with Apple silicon); use 'cpu' (the default: unset "
                         "COURSE_DEVICE)")
    return torch.device(name)


def as_device(device) -> torch.device:
    """``device`` (a name such as "cpu" or a ``torch.device``) as a ``torch.device``, or
    :func:`get_device`'s if ``None``. Introduced in notebook 01."""
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


def seed_shift() -> int:
    """``$COURSE_SEED_SHIFT`` (default 0), added to every seed the course sets: ``make seeds``
    reruns notebooks with other seeds, so that a claim resting on one training run is checked on
    others too. Students never need it."""
    value = os.environ.get("COURSE_SEED_SHIFT", "0").strip() or "0"
    if not value.isdigit():
        raise ValueError(f"COURSE_SEED_SHIFT must be a non-negative integer, got {value!r}")
    return int(value)


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
    seed = int(seed) + seed_shift()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS
    from . import plot  # here, not at the top: plot imports matplotlib, which config need not

    plot.use_course_style()
    return torch.Generator().manual_seed(seed)
