"""Give freed memory back to the system after every notebook cell (Linux with glibc only).

glibc's ``malloc`` keeps memory a program has freed, to hand it out again: a 30 MB tensor of
10 000 images, once freed, stays in the process's heap (glibc moves its mmap threshold up to the
size of the last large block freed, up to 32 MB, so later blocks of that size come from the heap).
A kernel that has made and dropped a few such tensors holds 50-90 MB it does not use, and a
class server pays for it once per student (issue 23: 1 GB per kernel). ``malloc_trim(0)``
returns every free page to the system; it took 40 ms here on a busy machine, so it runs once after
each cell, when the cell's temporaries are gone. Nothing else changes: no value, no speed of training
(a fixed mmap threshold, the other remedy, made convolution training 35-50 % slower).

Also in a kernel, on a computer without a CUDA GPU: Triton is kept from loading. Triton compiles
GPU kernels and nothing else; PyTorch's Linux build from PyPI depends on it and imports it the first
time an optimizer is made (``torch._dynamo`` asks whether it is installed), which cost 75 MB of every
training kernel here (issue 23) for a library that cannot run without a GPU.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_HOOKED: list = []


def _libc_trim():
    """``malloc_trim`` of glibc, or ``None`` elsewhere (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def skip_triton_without_gpu() -> bool:
    """Make ``import triton`` fail, as if it were not installed, unless a CUDA GPU is there or Triton
    is already loaded. PyTorch then runs as it does where Triton is absent (macOS, Windows, the
    CPU-only build): its CPU code never uses Triton. Returns whether Triton was kept out."""
    if "triton" in sys.modules:   # loaded already, or kept out already
        return sys.modules["triton"] is None
    import torch

    if torch.cuda.is_available():   # torch.compile on a GPU needs it
        return False
    sys.modules["triton"] = None    # what Python's import system reads as "not installed"
    return True


def release_after_cells() -> bool:
    """In an IPython kernel on glibc, run ``malloc_trim(0)`` after every cell, once per kernel, and
    keep Triton out (:func:`skip_triton_without_gpu`). Returns whether the hook is in place."""
    if _HOOKED:
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    trim = _libc_trim()
    if shell is None or trim is None:
        return False

    def after_cell(*_):
        trim(0)

    shell.events.register("post_run_cell", after_cell)
    _HOOKED.append(after_cell)
    skip_triton_without_gpu()
    return True
