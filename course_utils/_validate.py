"""Input checks shared by the helpers, so every module words its errors the same way."""

from __future__ import annotations

import collections.abc
import functools
import inspect
import math
import types
import typing

import torch
from torch import nn


def extremes(x: torch.Tensor) -> tuple[float, float]:
    """The smallest and largest value of a floating-point tensor, NaN if it holds a NaN: both
    finite means every value is. One ``aminmax`` pass, about five times cheaper on the CPU than
    ``torch.isfinite(x).all()``, which matters because every tensor argument is checked in every
    training step. On Apple's GPU (MPS), where min and max have not always propagated NaN, NaN
    and infinity are looked for directly."""
    x = x.detach()
    if x.device.type == "mps" and not torch.isfinite(x).all():
        return math.nan, math.nan
    lo, hi = torch.aminmax(x)
    return tuple(torch.stack((lo, hi)).tolist())


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
    lo, hi = extremes(x)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if unit_range:
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


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, nn.Module):
        return f"a model ({type(value).__name__})"
    return f"{type(value).__name__} ({value!r:.40})" if isinstance(value, (int, float, str)) \
        else type(value).__name__


def _accepts(value, hint) -> str | None:
    """None if ``value`` fits the type hint, else what was expected (in words)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        wants = [_accepts(value, a) for a in args if a is not type(None)]
        return None if None in wants else " or ".join(w for w in wants if w)
    if hint is typing.Any or hint is inspect.Parameter.empty:
        return None
    if origin is collections.abc.Callable or hint is collections.abc.Callable:
        if isinstance(value, nn.Module):  # callable, but only a loss module is a function here
            return None if isinstance(value, nn.modules.loss._Loss) else "a function"
        return None if callable(value) else "a function"
    if hint is float:  # a number, or a one-element tensor (what torch.quantile returns)
        if isinstance(value, torch.Tensor) and value.numel() == 1 and value.is_floating_point():
            value = value.item()
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else "a finite number"
    if hint is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"
    if hint is bool:
        return None if isinstance(value, bool) else "True or False"
    if hint is str:
        return None if isinstance(value, str) else "a string"
    if hint is torch.Tensor:
        if not isinstance(value, torch.Tensor):
            return "a torch.Tensor"
        if value.numel() == 0:
            return "a non-empty tensor"
        if value.is_floating_point() and not all(map(math.isfinite, extremes(value))):
            return "a tensor without NaN or infinite values"
        return None
    base = origin or hint
    if isinstance(base, type):
        if base in (list, tuple) or base is collections.abc.Sequence:
            if args:  # tuple[x_hat, mu, logvar] and the like: the function words its own check
                return None
            return None if isinstance(value, (list, tuple)) else "a list or tuple"
        if base in (dict, collections.abc.Mapping):
            return None if isinstance(value, collections.abc.Mapping) else "a dict"
        where = "torch.nn" if base.__module__.startswith("torch.nn") else base.__module__
        return None if isinstance(value, base) else f"a {where}.{base.__qualname__}"
    return None


def arguments(fn=None, *, error: typing.Callable | None = None):
    """Check a public function's arguments against its type hints before it runs.

    A wrong argument raises ``TypeError``/``ValueError`` naming the parameter, what it expects and
    what it got: ``train.predict(x, model)`` says "model must be a torch.nn.Module, got a tensor
    of shape (64, 1, 28, 28); did you swap two arguments?". Tensors must be non-empty and finite.
    ``error(name, message, value)``, if given, makes the exception instead (the exercise checks
    answer with feedback).
    """
    if fn is None:
        return functools.partial(arguments, error=error)
    signature = inspect.signature(fn)
    hints: dict | None = None

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        nonlocal hints
        if hints is None:
            hints = typing.get_type_hints(fn)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{fn.__name__}(): {err}") from None
        for name, value in bound.arguments.items():
            kind = signature.parameters[name].kind
            if name == "self" or kind is inspect.Parameter.VAR_KEYWORD:
                continue
            for v in value if kind is inspect.Parameter.VAR_POSITIONAL else (value,):
                expected = _accepts(v, hints.get(name, inspect.Parameter.empty))
                if expected is None:
                    continue
                message = f"{name} must be {expected}, got {_describe(v)}"
                if (isinstance(v, torch.Tensor) and "Module" in expected) or \
                        (isinstance(v, nn.Module) and "Tensor" in expected):
                    message += "; did you swap two arguments?"
                if error is not None:
                    raise error(name, message, v)
                kind_of_error = ValueError if expected.startswith(
                    ("a non-empty", "a tensor without", "a finite")) and not isinstance(v, str) \
                    and v is not None else TypeError
                raise kind_of_error(f"{fn.__name__}(): {message}")
        return fn(*args, **kwargs)

    return checked
