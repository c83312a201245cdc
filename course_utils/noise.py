"""Corruptions for denoising autoencoders (Vincent et al. 2008, 2010), reproducible with a seed.

Each takes images (or any tensor) with values in [0, 1] and returns a corrupted copy in [0, 1].
"""

from __future__ import annotations

import torch

from ._validate import arguments, as_float_tensor

KINDS = ("gaussian", "masking", "salt_and_pepper")


def _generator(seed: int | None) -> torch.Generator | None:
    if seed is None:
        return None  # use (and advance) torch's global generator
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
    return torch.Generator().manual_seed(seed)


def _check(x, level: float, name: str, maximum: float | None) -> torch.Tensor:
    x = as_float_tensor(x, "x", unit_range=True)
    if isinstance(level, bool) or not isinstance(level, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(level).__name__}")
    if level < 0 or (maximum is not None and level > maximum):
        bound = f"[0, {maximum}]" if maximum is not None else ">= 0"
        raise ValueError(f"{name} must be in {bound}, got {level}")
    return x


@arguments
def gaussian_noise(x: torch.Tensor, sigma: float, seed: int | None = None) -> torch.Tensor:
    """``x + sigma * N(0, 1)``, clipped to [0, 1]. Introduced in notebook 05."""
    x = _check(x, sigma, "sigma", None)
    noise = torch.randn(x.shape, generator=_generator(seed)).to(x.device, x.dtype)
    return (x + sigma * noise).clamp(0.0, 1.0)


@arguments
def masking_noise(x: torch.Tensor, fraction: float, seed: int | None = None) -> torch.Tensor:
    """Set a random ``fraction`` of the pixels to 0 (Vincent et al. 2008). Introduced in notebook 05."""
    x = _check(x, fraction, "fraction", 1.0)
    keep = torch.rand(x.shape, generator=_generator(seed)).to(x.device) >= fraction
    return x * keep


@arguments
def salt_and_pepper(x: torch.Tensor, fraction: float, seed: int | None = None) -> torch.Tensor:
    """Set a random ``fraction`` of the pixels to 0 or 1 with equal odds. Introduced in notebook 05."""
    x = _check(x, fraction, "fraction", 1.0)
    g = _generator(seed)
    hit = (torch.rand(x.shape, generator=g) < fraction).to(x.device)
    salt = (torch.rand(x.shape, generator=g) < 0.5).to(x.device, x.dtype)
    return torch.where(hit, salt, x)


@arguments
def corrupt(x: torch.Tensor, kind: str, level: float, seed: int | None = None) -> torch.Tensor:
    """Dispatch to one of :data:`KINDS` (``level`` is sigma or the fraction). Introduced in notebook 05."""
    functions = {"gaussian": gaussian_noise, "masking": masking_noise,
                 "salt_and_pepper": salt_and_pepper}
    if kind not in functions:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return functions[kind](x, level, seed)
