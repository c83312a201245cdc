"""Checks of notebook 04 (recurrent autoencoders): exercises 1-3."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..models import count_parameters
from ._feedback import _call, _checked, _count_feedback, _fail, _ok


@_checked
def check_to_ntc(to_ntc: Callable) -> None:
    """Exercise 1 of notebook 04: ``(N, C, T)`` => ``(N, T, C)``."""
    x = torch.arange(2 * 3 * 5, dtype=torch.float32).reshape(2, 3, 5)   # N=2, C=3, T=5
    got = _call(to_ntc, x)
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != (2, 5, 3):
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        _fail(f"for input (N, C, T) = (2, 3, 5) you return {shape}; expected (2, 5, 3)",
              "swap the last two dimensions: x.transpose(1, 2)")
    if not torch.equal(got, x.transpose(1, 2)):
        _fail("the shape is right but the values are scrambled", "reshape reorders memory; "
              "transpose (or permute(0, 2, 1)) swaps axes")
    _ok("Time is the second axis, channels the last: (N, T, C).")


@_checked
def check_shift_right(shift_right: Callable) -> None:
    """Exercise 2 of notebook 04: the teacher-forcing input (a zero first step, then x[:, :-1])."""
    for channels in (1, 3):  # one channel as in MNIST-1D, then several: C must stay a separate axis
        x = torch.arange(1, 2 * 6 * channels + 1, dtype=torch.float32).reshape(2, 6, channels)
        want = torch.cat([torch.zeros(2, 1, channels), x[:, :-1]], dim=1)
        try:
            got = _call(shift_right, x)
        except (RuntimeError, IndexError) as err:
            _fail(f"for x of shape (N, T, C) = {tuple(x.shape)} your function raises "
                  f"{type(err).__name__}: {str(err).splitlines()[0]}",
                  "build the zero step from x itself, torch.zeros_like(x[:, :1]), so that it has "
                  "x's batch size and channels")
        if not isinstance(got, torch.Tensor) or got.shape != x.shape:
            _fail(f"for x of shape {tuple(x.shape)} shift_right should keep that shape",
                  "prepend one zero step and drop the last step, so the length stays T")
        if torch.equal(got, torch.cat([x[:, 1:], torch.zeros(2, 1, channels)], dim=1)):
            _fail("you shifted to the left", "at step t the decoder may see x[t-1], never x[t+1]")
        if torch.equal(got, torch.roll(x, 1, dims=1)):
            _fail("the last step wrapped around to the front: torch.roll shifts cyclically",
                  "step 0 has no previous value: it must be zeros, and the last step is dropped")
        if not torch.equal(got, want):
            where = f" for x with C = {channels} channels" if channels > 1 else ""
            _fail(f"the values are not x shifted by one time step{where}", "shift along the time "
                  "axis (dim=1) only, keeping each step's C values together: "
                  "torch.cat([zeros, x[:, :-1]], dim=1)")
    _ok("At step t the decoder sees the true x[t-1]: that is teacher forcing.")


@_checked
def check_gru_parameters(gru_parameters: Callable) -> None:
    """Exercise 3 of notebook 04: parameters of a one-layer ``nn.GRU``."""
    for inputs, hidden in ((1, 48), (8, 48), (3, 10)):
        want = count_parameters(nn.GRU(inputs, hidden))
        got = _call(gru_parameters, inputs, hidden)
        _count_feedback(f"({inputs}, {hidden})", got, want, [
            (got == 3 * (hidden * inputs + hidden * hidden + hidden),
             "the textbook GRU has (at most) one bias per gate; PyTorch's nn.GRU keeps two, one on the "
             "input side (bias_ih) and one on the hidden side (bias_hh)"),
            (got == 3 * (hidden * inputs + hidden * hidden),
             "PyTorch's nn.GRU has biases too: two bias vectors per gate, one on the input side "
             "(bias_ih) and one on the hidden side (bias_hh)"),
            (got == hidden * inputs + hidden * hidden + 2 * hidden,
             "a GRU has three sets of weights: reset gate, update gate, candidate state"),
        ], "count per gate (reset, update, candidate): a weight matrix on the input, one on the "
           "hidden state, and PyTorch's two bias vectors; print the shapes of "
           "nn.GRU(inputs, hidden).named_parameters() to see them")
    _ok("The count does not depend on the sequence length: the same cell runs at every step.")
