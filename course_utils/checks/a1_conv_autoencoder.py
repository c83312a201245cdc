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
    sizes = {nn.Conv2d: [], nn.ConvTranspose2d: []}      # the side of each (transposed) conv's output
    hooks = [m.register_forward_hook(lambda m, i, o, kind=kind: sizes[kind].append(o.shape[-1]))
             for part, kind in ((model.encoder, nn.Conv2d), (model.decoder, nn.ConvTranspose2d))
             for m in part.modules() if isinstance(m, kind)]
    try:
        with torch.no_grad():
            z = model.encoder(x)
            _conv_structure(z, latent_dim, sizes[nn.Conv2d], "encoder")
            out = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    if tuple(out.shape) != (64, 1, 28, 28):
        _fail(f"your model returns shape {tuple(out.shape)} for input (64, 1, 28, 28)",
              "the decoder must undo the encoder: nn.Linear back to c x 7 x 7, nn.Unflatten, then "
              "ConvTranspose2d(..., 3, stride=2, padding=1, output_padding=1) twice")
    if out.min() < 0 or out.max() > 1:
        _fail(f"the outputs range over [{out.min():.2f}, {out.max():.2f}]; pixels are in [0, 1]",
              "end the decoder with nn.Sigmoid()")
    with torch.no_grad():
        through_code = model.decoder(model.encoder(x))
    if through_code.shape != out.shape or not torch.allclose(out, through_code, atol=1e-5):
        _fail("model(x) is not model.decoder(model.encoder(x)): something reaches the output without "
              "passing through the code", "forward should return self.decoder(self.encoder(x)), with "
              "no skip connection around the bottleneck")
    upsampled = _distinct([s for s in sizes[nn.ConvTranspose2d] if s > 7])  # stride-1 layers repeat a side
    if upsampled[-2:] != [14, 28]:
        _fail("the decoder does not upsample with transposed convolutions from 7x7 to 14x14 to 28x28 "
              f"(the sides after its nn.ConvTranspose2d layers: {sizes[nn.ConvTranspose2d] or 'none'})",
              "after nn.Linear and nn.Unflatten(1, (c, 7, 7)), use two "
              "nn.ConvTranspose2d(..., 3, stride=2, padding=1, output_padding=1)")
    _ok(f"{count_parameters(model):,} parameters, a {latent_dim}-number bottleneck.")


def _distinct(sides: list[int]) -> list[int]:
    """The sides with repeats in a row dropped: an extra stride-1 layer keeps the size it was given."""
    return [s for i, s in enumerate(sides) if i == 0 or s != sides[i - 1]]


def _conv_structure(z: torch.Tensor, latent_dim: int, conv_sides: list[int], name: str) -> None:
    """The encoder's code has ``latent_dim`` numbers and its convolutions reach 14x14, then 7x7."""
    if tuple(z.shape) != (64, latent_dim):
        hint = ("flatten the feature maps and end the encoder with nn.Linear(..., "
                f"{latent_dim})") if z.dim() != 2 else f"the last encoder layer must output {latent_dim} numbers"
        _fail(f"your {name} returns shape {tuple(z.shape)}; the bottleneck should be "
              f"(64, {latent_dim})", hint)
    if _distinct([s for s in conv_sides if s < 28])[:2] != [14, 7]:
        _fail("the encoder's convolutions do not take the image from 28x28 to 14x14 to 7x7 "
              f"(the sides after its nn.Conv2d layers: {conv_sides})",
              "two nn.Conv2d(..., 3, stride=2, padding=1), then nn.Flatten() and nn.Linear")


@_checked
def check_reconstruction_target(model: nn.Module, x_val: torch.Tensor, target: float,
                                x_train: torch.Tensor | None = None, latent_dim: int | None = None,
                                unseen: torch.Tensor | None = None) -> float:
    """Assignment 1: the trained model's validation MSE must be at most ``target``; returns it.

    Judged on validation images, never on the test set, which the assignment scores once at the end.
    With ``unseen`` (validation images the student's notebook never loaded), the target is judged on
    those, so a model trained or tuned on ``x_val`` gains nothing, and ``x_val``'s MSE must not be
    far below theirs (below 0.93 of it; a correct model measured 1.02 here, the first 2000 validation
    images being slightly harder than the other 8000, standard error 0.013). With ``latent_dim``, the
    model's ``encoder`` must give codes of that size; with ``x_train``, the validation MSE must not
    be far below the MSE on the first 2000 training images (a model that memorised ``x_val``).
    """
    if not isinstance(model, nn.Module):
        _fail(f"model should be your trained network, got {type(model).__name__}",
              "model = ConvAE(), then train.fit(model, ...)")
    if latent_dim is not None:
        if not isinstance(getattr(model, "encoder", None), nn.Module):
            _fail("the model has no .encoder", "train a ConvAE() from exercise 1")
        code = predict(model.encoder, x_val[:64])
        if tuple(code.shape) != (len(x_val[:64]), latent_dim):
            _fail(f"your model's codes have shape {tuple(code.shape[1:])}; the assignment asks for "
                  f"exactly {latent_dim} numbers", f"train ConvAE() with its default latent_dim={latent_dim}")
    mse = reconstruction_mse(x_val, predict(model, x_val))
    if x_train is not None:
        train_mse = reconstruction_mse(x_train[:2000], predict(model, x_train[:2000]))
        if mse < 0.8 * train_mse:
            _fail(f"your validation MSE {mse:.4f} is far below your training MSE {train_mse:.4f}",
                  "was the model trained on x_val? Train on x_train and pass x_val only to validate")
    where = "validation"
    if unseen is not None:
        unseen_mse = reconstruction_mse(unseen, predict(model, unseen))
        if mse < 0.93 * unseen_mse:
            _fail(f"your MSE on x_val, {mse:.4f}, is far below the {unseen_mse:.4f} on {len(unseen)} "
                  "validation images your notebook never loaded", "was the model trained or tuned "
                  "on x_val? Train on x_train and pass x_val only to validate")
        mse, where = unseen_mse, f"validation (on {len(unseen)} validation images you never loaded)"
    if mse > target:
        if mse > 0.05:
            _fail(f"your validation MSE is {mse:.4f}, far above the target {target}",
                  "is the model trained at all? Check that train.fit ran on x_train and that the "
                  "loss went down")
        _fail(f"your {where} MSE is {mse:.4f}; the target is at most {target}",
              "train for a few more epochs, or use cosine=True with lr=2e-3")
    _ok(f"{where} MSE {mse:.4f} <= {target}.")
    return mse
