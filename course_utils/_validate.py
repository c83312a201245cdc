"""Input checks shared by the helpers, so every module words its errors the same way."""

from __future__ import annotations

import torch


def as_float_tensor(x, name: str, *, ndim: int | tuple[int, ...] | None = None,
                    unit_range: bool = False) -> torch.Tensor:
    """Return ``x`` as a floating tensor, or raise a message naming what was expected.

    ``ndim`` restricts the number of dimensions; ``unit_range`` requires values in [0, 1].
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        hint = " (divide uint8 images by 255.0 first)" if x.dtype == torch.uint8 else ""
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}{hint}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.ndim not in allowed:
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                             f"got shape {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if unit_range:
        lo, hi = x.min().item(), x.max().item()
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"{name} must hold values in [0, 1], got values in [{lo:.3g}, {hi:.3g}]")
    return x


def positive_int(value, name: str, *, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is a positive integer (at most ``maximum``), else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive integer, got {type(value).__name__} ({value!r})")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def images(x, name: str = "x") -> torch.Tensor:
    """Check an image batch ``(N, C, H, W)`` (or a single ``(C, H, W)``, promoted) with values in [0, 1]."""
    x = as_float_tensor(x, name, ndim=(3, 4), unit_range=True)
    return x.unsqueeze(0) if x.ndim == 3 else x


def sequences(x, channels: int, name: str = "x") -> torch.Tensor:
    """Check a batch of sequences ``(N, T, C)`` with ``C == channels``; name the likely mistake."""
    x = as_float_tensor(x, name, ndim=3)
    if x.shape[2] != channels:
        if x.shape[1] == channels:
            raise ValueError(f"{name} has shape {tuple(x.shape)}, which looks like (N, C, T); "
                             f"sequences are (N, T, C) here: use {name}.transpose(1, 2)")
        raise ValueError(f"{name} must have shape (N, T, {channels}), got {tuple(x.shape)}")
    return x
