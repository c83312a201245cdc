"""Checks of assignment 1 (a convolutional autoencoder)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..metrics import reconstruction_mse
from ..models import count_parameters
from ..train import predict
from ._feedback import _call, _checked, _fail, _ok


@_checked
def check_conv_autoencoder(model_class: Callable[[], nn.Module], latent_dim: int) -> None:
    """Assignment 1: ``model_class()`` is a convolutional autoencoder with a ``latent_dim`` bottleneck."""
    model = _call(model_class)
    if not isinstance(model, nn.Module):
        _fail(f"ConvAE() should build a torch.nn.Module, got {type(model).__name__}",
              "pass the class itself to the check, and subclass nn.Module")
    for part in ("encoder", "decoder"):
        if not isinstance(getattr(model, part, None), nn.Module):
            _fail(f"the model has no .{part}", f"assign self.{part} = nn.Sequential(...) in __init__")
    if not any(isinstance(m, nn.Conv2d) for m in model.encoder.modules()):
        _fail("the encoder has no nn.Conv2d layer", "this is the convolutional assignment: "
              "start the encoder with nn.Conv2d(1, 16, 3, stride=2, padding=1)")
    x = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(11))
    model.eval()
    with torch.no_grad():
        z = model.encoder(x)
        if tuple(z.shape) != (64, latent_dim):
            hint = ("flatten the feature maps and end the encoder with nn.Linear(..., "
                    f"{latent_dim})") if z.dim() != 2 else f"the last encoder layer must output {latent_dim} numbers"
            _fail(f"your encoder returns shape {tuple(z.shape)}; the bottleneck should be "
                  f"(64, {latent_dim})", hint)
        out = model(x)
    if tuple(out.shape) != (64, 1, 28, 28):
        _fail(f"your model returns shape {tuple(out.shape)} for input (64, 1, 28, 28)",
              "the decoder must undo the encoder: nn.Linear back to c x 7 x 7, nn.Unflatten, then "
              "ConvTranspose2d(..., 3, stride=2, padding=1, output_padding=1) twice")
    if out.min() < 0 or out.max() > 1:
        _fail(f"the outputs range over [{out.min():.2f}, {out.max():.2f}]; pixels are in [0, 1]",
              "end the decoder with nn.Sigmoid()")
    _ok(f"{count_parameters(model):,} parameters, a {latent_dim}-number bottleneck.")


@_checked
def check_reconstruction_target(model: nn.Module, x_val: torch.Tensor, target: float) -> float:
    """Assignment 1: the trained model's validation MSE must be at most ``target``; returns it.

    Judged on validation images, never on the test set, which the assignment scores once at the end.
    """
    if not isinstance(model, nn.Module):
        _fail(f"model should be your trained network, got {type(model).__name__}",
              "model = ConvAE(), then train.fit(model, ...)")
    mse = reconstruction_mse(x_val, predict(model, x_val))
    if mse > target:
        if mse > 0.05:
            _fail(f"your validation MSE is {mse:.4f}, far above the target {target}",
                  "is the model trained at all? Check that train.fit ran on x_train and that the "
                  "loss went down")
        _fail(f"your validation MSE is {mse:.4f}; the target is at most {target}",
              "train for a few more epochs, or use cosine=True with lr=2e-3")
    _ok(f"validation MSE {mse:.4f} <= {target}.")
    return mse
