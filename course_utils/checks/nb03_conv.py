"""Checks of notebook 03 (convolutional autoencoders): exercises 1-3."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..models import count_parameters
from ._feedback import _call, _checked, _count_feedback, _fail, _ok


@_checked
def check_conv_output_size(conv_output_size: Callable) -> None:
    """Exercise 1 of notebook 03: spatial size after a convolution."""
    cases = [(28, 3, 2, 1), (14, 3, 2, 1), (28, 5, 1, 0), (32, 4, 2, 1), (7, 3, 1, 1)]
    for size, kernel, stride, padding in cases:
        conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
        want = conv(torch.zeros(1, 1, size, size)).shape[-1]
        got = _call(conv_output_size, size, kernel, stride, padding)
        if got == want:
            continue
        if got == (size + 2 * padding - kernel) / stride + 1:
            _fail(f"for size={size}, kernel={kernel}, stride={stride}, padding={padding} you "
                  f"return {got}, expected {want}", "a layer has a whole number of outputs: "
                  "use integer division //")
        _fail(f"for size={size}, kernel={kernel}, stride={stride}, padding={padding} you return "
              f"{got}, expected {want}", "(size + 2 * padding - kernel) // stride + 1")
    _ok("Two stride-2 convolutions take 28x28 to 14x14 to 7x7.")


@_checked
def check_conv_parameters(conv_parameters: Callable) -> None:
    """Exercise 2 of notebook 03: parameters of one ``nn.Conv2d`` layer."""
    for c_in, c_out, kernel in ((1, 16, 3), (16, 32, 3), (3, 8, 5)):
        want = count_parameters(nn.Conv2d(c_in, c_out, kernel))
        got = _call(conv_parameters, c_in, c_out, kernel)
        _count_feedback(f"({c_in}, {c_out}, {kernel})", got, want, [
            (got == c_in * c_out * kernel * kernel, "each output channel also has one bias"),
            (got == c_out * kernel * kernel + c_out,
             "each filter spans all input channels: kernel x kernel x c_in weights"),
        ], "c_out filters, each with kernel*kernel*c_in weights and one bias")
    _ok("The count does not depend on the image size: the same filter slides everywhere.")


@_checked
def check_upsample(make_upsample: Callable) -> None:
    """Exercise 3 of notebook 03: a block mapping ``(N, c_in, 7, 7)`` to ``(N, c_out, 14, 14)``."""
    for c_in, c_out in ((32, 16), (8, 3)):
        _upsample_feedback(_call(make_upsample, c_in, c_out), c_in, c_out)
    _ok("A stride-2 transposed convolution doubles the size: the mirror of the encoder's stride 2.")


def _upsample_feedback(block, c_in: int, c_out: int) -> None:
    """One call of ``make_upsample(c_in, c_out)``: a 3x3 transposed convolution, 7x7 to 14x14."""
    if not isinstance(block, nn.Module):
        _fail(f"make_upsample should return an nn.Module, got {type(block).__name__}",
              "return nn.ConvTranspose2d(...) or an nn.Sequential")
    if not any(isinstance(m, nn.ConvTranspose2d) for m in block.modules()):
        _fail("your block upsamples without a transposed convolution", "the exercise is about the "
              "learned upsampling of the decoder: use nn.ConvTranspose2d(c_in, c_out, 3, stride=2, ...)")
    kernels = {m.kernel_size for m in block.modules() if isinstance(m, nn.ConvTranspose2d)}
    if kernels != {(3, 3)}:
        sizes = " and ".join(sorted("x".join(map(str, k)) for k in kernels))
        _fail(f"your transposed convolution has kernel size {sizes}; the exercise asks for 3x3",
              "keep kernel_size=3, as in this notebook's decoder, and reach 14 x 14 with stride, "
              "padding and output_padding")
    strides = {m.stride for m in block.modules() if isinstance(m, nn.ConvTranspose2d)}
    if (2, 2) not in strides:
        _fail("your transposed convolution has stride 1: it does not upsample, something else in "
              "the block does", "the transposed convolution itself should double the size: "
              "nn.ConvTranspose2d(c_in, c_out, 3, stride=2, ...), with no nn.Upsample")
    try:
        out = block(torch.zeros(2, c_in, 7, 7))
    except RuntimeError as err:
        _fail(f"make_upsample({c_in}, {c_out}) fails on an input (2, {c_in}, 7, 7): {err}",
              "use the arguments: nn.ConvTranspose2d(c_in, c_out, 3, ...), not fixed channel numbers")
    if tuple(out.shape) != (2, c_out, 14, 14):
        hint = ("add output_padding=1: with stride 2, padding 1 and kernel 3 a transposed "
                "convolution gives 13, one short" if tuple(out.shape[-2:]) == (13, 13)
                else "use stride=2 to double the size, and c_out output channels")
        _fail(f"make_upsample({c_in}, {c_out}) maps (2, {c_in}, 7, 7) to {tuple(out.shape)}; "
              f"expected (2, {c_out}, 14, 14)", hint)
