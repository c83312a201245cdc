"""Fingerprints of code and data, for the checkpoint cache: what would change the trained weights.

``fingerprint(*objects)`` returns a hex digest that changes when any of them changes in a way that
can change a training run:

* tensors and arrays: their dtype, shape and every value (hashed once per tensor version, so a
  notebook that passes ``x_train`` to six trainings hashes it once);
* functions, lambdas and methods: their bytecode and constants, default values, closure values,
  and the globals they use (numbers, strings, tensors, other functions of the course or of the
  notebook, followed recursively), so ``lambda out, x: vae_loss(out, x, beta)`` changes with
  ``beta`` and with the code of ``vae_loss``. Bytecode is used, not source text, so classes and
  functions defined in a notebook cell count, and comments or blank lines do not;
* classes and modules (``nn.Module``): every method of the class and of its course/notebook base
  classes, the layers (``repr``) and the classes of all submodules;
* numbers, strings, containers: their values.

Library code (PyTorch, NumPy, the standard library) is identified by name: its version is in the
cache key instead. Introduced in notebook 02, through the checkpoint cache.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import sys
import types
import weakref

import numpy as np
import torch
from torch import nn

# Code from these packages is named, not hashed (their versions go into the cache key).
LIBRARIES = ("torch", "numpy", "scipy", "sklearn", "matplotlib", "tqdm", "builtins", "math",
             "functools", "collections", "typing", "abc", "random")
_MAX_DEPTH = 12
_tensor_memo: dict[int, tuple[tuple, str]] = {}


def _is_library(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    root = module.split(".")[0]
    return root in LIBRARIES or root in sys.stdlib_module_names


def tensor_digest(x: torch.Tensor | np.ndarray) -> str:
    """SHA-256 of a tensor's dtype, shape and values; cached per tensor object and version."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor or a NumPy array, got {type(x).__name__}")
    state = (x.data_ptr(), x._version, tuple(x.shape), tuple(x.stride()), x.storage_offset(),
             str(x.dtype), str(x.device))
    memo = _tensor_memo.get(id(x))
    if memo is not None and memo[0] == state:
        return memo[1]
    h = hashlib.sha256(f"{x.dtype}{tuple(x.shape)}".encode())
    flat = x.detach().cpu().contiguous().reshape(-1)   # 0-d tensors (scalar parameters) too
    if flat.numel():
        h.update(flat.view(torch.uint8).numpy().data if flat.dtype != torch.bool
                 else flat.numpy().tobytes())
    digest = h.hexdigest()
    if id(x) not in _tensor_memo:
        weakref.finalize(x, _tensor_memo.pop, id(x), None)
    _tensor_memo[id(x)] = (state, digest)
    return digest


class _Hasher:
    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.active: set[int] = set()  # objects being hashed (cycles: a method naming its class)

    def put(self, *parts) -> None:
        for part in parts:
            self.h.update(repr(part).encode())
            self.h.update(b"\x00")

    def add(self, obj, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            self.put("deep", type(obj).__qualname__)
            return
        if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
            self.put(type(obj).__name__, obj)
        elif isinstance(obj, (torch.Tensor, np.ndarray)):
            self.put("tensor", tensor_digest(obj))
        elif isinstance(obj, (torch.dtype, torch.device, torch.Size, range, slice)):
            self.put(type(obj).__name__, str(obj))
        elif isinstance(obj, (tuple, list)):
            self.put(type(obj).__name__, len(obj))
            for item in obj:
                self.add(item, depth + 1)
        elif isinstance(obj, (set, frozenset)):
            self.put("set", sorted(repr(v) for v in obj))
        elif isinstance(obj, dict):
            self.put("dict", len(obj))
            for key in sorted(obj, key=repr):
                self.put(key)
                self.add(obj[key], depth + 1)
        elif id(obj) in self.active:
            self.put("cycle", getattr(obj, "__qualname__", type(obj).__qualname__))
        else:
            self.active.add(id(obj))
            try:
                self._add_object(obj, depth)
            finally:
                self.active.discard(id(obj))

    def _add_object(self, obj, depth: int) -> None:
        if isinstance(obj, types.CodeType):
            self._add_code(obj, depth)
        elif isinstance(obj, types.FunctionType):
            self._add_function(obj, depth)
        elif isinstance(obj, types.MethodType):
            self.put("method")
            self.add(obj.__func__, depth + 1)
            self.add(obj.__self__, depth + 1)
        elif isinstance(obj, functools.partial):
            self.put("partial")
            self.add(obj.func, depth + 1)
            self.add(obj.args, depth + 1)
            self.add(obj.keywords, depth + 1)
        elif isinstance(obj, (staticmethod, classmethod)):
            self.put(type(obj).__name__)
            self.add(obj.__func__, depth + 1)
        elif isinstance(obj, property):
            self.put("property")
            for f in (obj.fget, obj.fset, obj.fdel):
                self.add(f, depth + 1)
        elif isinstance(obj, types.ModuleType):
            self.put("module", obj.__name__)
        elif isinstance(obj, type):
            self._add_class(obj, depth)
        elif isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)) or _is_library(obj) \
                and not isinstance(obj, nn.Module):
            self.put("library", getattr(obj, "__module__", ""),
                     getattr(obj, "__qualname__", type(obj).__qualname__),
                     repr(obj) if " at 0x" not in repr(obj) else "")
        elif isinstance(obj, nn.Module):
            self.put("module-instance", repr(obj))
            for cls in sorted({type(m) for m in obj.modules()}, key=lambda c: c.__qualname__):
                self.add(cls, depth + 1)
            extra = {k: v for k, v in vars(obj).items()
                     if not k.startswith("_") and k != "training"}
            self.add(extra, depth + 1)
        elif dataclasses.is_dataclass(obj):
            self.put("dataclass")
            self.add(type(obj), depth + 1)
            self.add({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}, depth + 1)
        else:
            self.put("object")
            self.add(type(obj), depth + 1)
            if hasattr(obj, "__dict__"):
                self.add({k: v for k, v in vars(obj).items() if not k.startswith("__")}, depth + 1)
            else:
                self.put(repr(obj) if " at 0x" not in repr(obj) else "")

    def _add_code(self, code: types.CodeType, depth: int) -> None:
        self.put("code", code.co_code, code.co_names, code.co_varnames, code.co_argcount,
                 code.co_kwonlyargcount, code.co_flags)
        for const in code.co_consts:
            self.add(const, depth + 1)

    def _add_function(self, fn: types.FunctionType, depth: int) -> None:
        if _is_library(fn):
            self.put("library", fn.__module__, fn.__qualname__)
            return
        if hasattr(fn, "__wrapped__"):  # a decorated function (functools.wraps): hash what it wraps
            self.put("wrapped")
            self.add(fn.__wrapped__, depth + 1)
            return
        self.put("function", fn.__qualname__)
        self.add(fn.__code__, depth + 1)
        self.add(fn.__defaults__, depth + 1)
        self.add(fn.__kwdefaults__, depth + 1)
        for cell in fn.__closure__ or ():
            try:
                self.add(cell.cell_contents, depth + 1)
            except ValueError:  # an empty cell
                self.put("empty cell")
        names = _names(fn.__code__)
        for name in sorted(names):
            if name not in fn.__globals__:
                continue
            value = fn.__globals__[name]
            self.put("global", name)
            if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)) \
                    and _is_library(value):
                # Library code used by name: its version is in the cache key. Its identity is not
                # hashed, since it can differ with the front end (tqdm.auto in a notebook or not).
                self.put("library global", (getattr(value, "__module__", "") or "").split(".")[0])
                continue
            if isinstance(value, types.ModuleType):
                # `vae.vae_loss` in the code: follow the attributes the code names on the module
                self.put("module", value.__name__)
                if not _is_library(value):
                    for attr in sorted(names):
                        member = getattr(value, attr, None)
                        if isinstance(member, (types.FunctionType, type)):
                            self.put("attr", attr)
                            self.add(member, depth + 1)
            else:
                self.add(value, depth + 1)

    def _add_class(self, cls: type, depth: int) -> None:
        if _is_library(cls):
            self.put("library class", cls.__module__, cls.__qualname__)
            return
        self.put("class", cls.__qualname__)
        for base in cls.__mro__[1:]:
            self.add(base, depth + 1)
        for name in sorted(vars(cls)):
            if name.startswith("__") and name not in ("__init__", "__call__"):
                continue
            self.put("member", name)
            self.add(vars(cls)[name], depth + 1)


def _names(code: types.CodeType) -> set[str]:
    """Every global or attribute name the code (and its nested functions) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def fingerprint(*objects) -> str:
    """A hex digest of ``objects`` that changes whenever a training that uses them could change."""
    hasher = _Hasher()
    hasher.put("python", sys.version_info[:2])
    for obj in objects:
        hasher.add(obj)
    return hasher.h.hexdigest()
