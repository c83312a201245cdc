"""Checks of notebook 02 (nonlinear and stacked autoencoders): exercises 1-3."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..models import MLPAutoencoder, count_parameters
from ._feedback import _call, _checked, _count_feedback, _fail, _given, _ok


@_checked
def check_mlp_parameters(mlp_parameters: Callable) -> None:
    """Exercise 1 of notebook 02: parameters of a stacked autoencoder with mirrored decoder."""
    for hidden, k in (((256, 64), 32), ((128,), 2), ((300, 100, 50), 10)):
        sizes = [784, *hidden, k]
        want = count_parameters(MLPAutoencoder(k, hidden))
        got = _call(mlp_parameters, sizes)
        weights = 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        _count_feedback(f"sizes {sizes}", got, want, [
            (got == weights, "each nn.Linear(a, b) also has b biases"),
            (abs(2 * got - want) < 1000,  # about half: only the encoder was counted
             "count the decoder too: it mirrors the encoder, from k back to 784"),
        ], "a layer nn.Linear(a, b) has a*b weights and b biases; add up all layers of both halves")
    _ok("Most parameters sit in the first and last layers, next to the 784 pixels.")


def _uses_builtin_bce(grad_fn) -> bool:
    """Whether an autograd graph contains PyTorch's own binary cross-entropy node."""
    seen, todo = set(), [grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if "BinaryCrossEntropy" in type(node).__name__:
            return True
        todo.extend(next_node for next_node, _ in node.next_functions)
    return False


@_checked
def check_bce(bce: Callable) -> None:
    """Exercise 2 of notebook 02: binary cross-entropy (Bernoulli negative log-likelihood)."""
    g = torch.Generator().manual_seed(2)
    x = torch.rand(8, 1, 28, 28, generator=g)
    x_hat = torch.rand(8, 1, 28, 28, generator=g) * 0.98 + 0.01
    want = nn.functional.binary_cross_entropy(x_hat, x)
    got = _call(bce, x_hat.clone().requires_grad_(), x)
    if isinstance(got, torch.Tensor) and _uses_builtin_bce(got.grad_fn):
        _fail("your function calls PyTorch's own binary cross-entropy (nn.functional."
              "binary_cross_entropy or nn.BCELoss)", "write the formula of section 2 yourself "
              "with torch.log, then average it with .mean()")
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        got = torch.tensor(float(got))  # a Python number is a fine answer too
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        _fail(f"bce should return a single number, got {got!r:.60}",
              "average over all pixels and images with .mean()")
    got = got.detach().reshape(()).to(want.dtype)
    if torch.isclose(got, want, rtol=1e-4):
        _ok("BCE: the negative log-likelihood under independent Bernoullis for black-and-white "
            "pixels; for grey levels, a loss.")
        return
    if torch.isclose(got, -want, rtol=1e-4):
        _fail(f"your value {got.item():.4f} has the wrong sign", "a log-likelihood is negative; the "
              "loss is minus the log-likelihood")
    if torch.isclose(got, nn.functional.binary_cross_entropy(x, x_hat), rtol=1e-4):
        _fail(f"your value {got.item():.4f} swaps the roles of x and x_hat", "the logarithms are "
              "taken of the prediction x_hat; the target x weights them")
    if torch.isclose(got, want * x.numel(), rtol=1e-4):
        _fail("you return the sum; the check expects the mean", "use .mean() instead of .sum()")
    _fail(f"your value {got.item():.4f}, expected {want.item():.4f}",
          "-(x * log(x_hat) + (1 - x) * log(1 - x_hat)), averaged over every pixel")


@_checked
def check_encode(encode: Callable, model: nn.Module, x: torch.Tensor) -> None:
    """Exercise 3 of notebook 02: the codes ``z`` ``(N, latent_dim)`` of a batch, without gradients."""
    _given(isinstance(getattr(model, "encoder", None), nn.Module) and hasattr(model, "latent_dim"),
           "model", "an autoencoder with .encoder and .latent_dim")
    _given(x.dim() == 4 and x.is_floating_point(), "x", "a batch of images (N, 1, 28, 28)")
    modes, grads = [], []  # was any layer of the encoder in training mode, were gradients on?
    def record(encoder, args):
        modes.append(any(m.training for m in encoder.modules()))
        grads.append(torch.is_grad_enabled())

    hook = model.encoder.register_forward_pre_hook(record)
    was_training = model.training
    model.train()  # as it is right after train.fit
    try:
        z = _call(encode, model, x)
    finally:
        hook.remove()
        model.train(was_training)
    want = (len(x), model.latent_dim)
    if not isinstance(z, torch.Tensor):
        _fail(f"encode should return a tensor, got {type(z).__name__}", "return model.encoder(x)")
    if tuple(z.shape) != want:
        _fail(f"your encoder returns shape {tuple(z.shape)}; the bottleneck should be {want}",
              "use only the encoder half (model.encoder), not the whole model")
    if z.requires_grad:
        _fail("your codes still carry gradients", "compute them inside `with torch.no_grad():` "
              "(and call model.eval() first)")
    if any(grads):
        _fail("the encoder ran with gradient tracking on (.detach() afterwards does not undo the "
              "graph built while it ran)", "compute the codes inside `with torch.no_grad():`")
    if any(modes):
        _fail("the encoder ran in training mode", "call model.eval() (or model.encoder.eval()) "
              "before encoding: layers such as dropout and batch normalisation behave differently "
              "while training")
    with torch.no_grad():
        ref = model.eval().encoder(x)
    model.train(was_training)
    if not torch.allclose(z, ref, atol=1e-5):
        _fail("your codes differ from model.encoder(x)", "pass the images through model.encoder, "
              "unchanged")
    _ok("These codes are the learned representation: 784 pixels summarised in "
        f"{model.latent_dim} numbers.")
