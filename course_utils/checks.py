"""Auto-checked exercises: each check says what is wrong and gives a hint, never a bare assert."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .models import LinearAutoencoder


class ExerciseFeedback(AssertionError):
    """A wrong answer, with a message meant for the student."""


def _fail(what: str, hint: str) -> None:
    raise ExerciseFeedback(f"Not yet: {what}\nHint: {hint}")


def _ok(message: str) -> None:
    print(f"Correct! {message}")


def _call(fn: Callable, *args):
    if not callable(fn):
        _fail(f"expected a function, got {type(fn).__name__}", "pass the function itself, "
              "without calling it: check(my_function), not check(my_function(...))")
    try:
        return fn(*args)
    except NotImplementedError:
        _fail("the function still raises NotImplementedError", "replace the placeholder line "
              "with your own code")
    return None  # unreachable; keeps linters calm


def _check_shape(result, expected: torch.Tensor, name: str) -> None:
    if not isinstance(result, torch.Tensor):
        _fail(f"{name} should return a torch.Tensor, got {type(result).__name__}",
              "stay in PyTorch: use torch operations and the @ operator")
    if result.shape != expected.shape:
        _fail(f"{name} returns shape {tuple(result.shape)}; expected {tuple(expected.shape)}",
              "check which side of the matrix product each factor goes, and transposes")


def check_variance_fraction(variance_fraction: Callable, singular_values: torch.Tensor) -> None:
    """Exercise 1 of notebook 01: fraction of the total variance in the top ``k`` directions."""
    s = singular_values.double()
    for k in (1, 10, 50, len(s)):
        got = _call(variance_fraction, singular_values, k)
        want = (s[:k] ** 2).sum() / (s**2).sum()
        got = float(got)
        if abs(got - want.item()) < 1e-4:
            continue
        if abs(got - (s[:k].sum() / s.sum()).item()) < 1e-4:
            _fail(f"for k = {k} you return {got:.4f}, expected {want.item():.4f}",
                  "the variance along direction i is proportional to s_i squared, not s_i")
        if got > 1.0:
            _fail(f"for k = {k} you return {got:.4f}, which is more than 1",
                  "divide by the total over all directions")
        _fail(f"for k = {k} you return {got:.4f}, expected {want.item():.4f}",
              "sum s_i**2 over the first k directions and divide by the sum over all of them")
    _ok("Squared singular values are the variances along the principal directions.")


def check_pca_reconstruct(pca_reconstruct: Callable, x: torch.Tensor, mean: torch.Tensor,
                          V: torch.Tensor) -> None:
    """Exercise 2 of notebook 01: project ``x`` ``(N, d)`` onto the top-``k`` principal subspace."""
    for k in (1, 8, 32):
        vk = V[:, :k]
        want = mean + (x - mean) @ vk @ vk.T
        got = _call(pca_reconstruct, x, mean, V, k)
        _check_shape(got, want, "pca_reconstruct")
        err = (got - want).abs().max().item()
        if err < 1e-4:
            continue
        if torch.allclose(got, x @ vk @ vk.T, atol=1e-4):
            _fail(f"for k = {k} your reconstruction is off by up to {err:.3f}",
                  "subtract the mean before projecting, and add it back afterwards")
        if torch.allclose(got, (x - mean) @ vk @ vk.T, atol=1e-4):
            _fail(f"for k = {k} your reconstruction is off by up to {err:.3f}",
                  "you centred the data; now add the mean back to get an image")
        _fail(f"for k = {k} your reconstruction is off by up to {err:.3f}",
              "encode with z = (x - mean) @ V[:, :k], decode with mean + z @ V[:, :k].T")
    _ok("Encoding and decoding with the same orthonormal V_k is an orthogonal projection.")


def check_reparametrise(reparametrise: Callable, model: LinearAutoencoder, x: torch.Tensor) -> None:
    """Exercise 3 of notebook 01: new weights ``A W_e``, ``W_d A^-1`` give the same reconstructions."""
    k = model.latent_dim
    A = torch.randn(k, k, generator=torch.Generator().manual_seed(3)) + 3 * torch.eye(k)
    new = _call(reparametrise, model, A)
    if not isinstance(new, nn.Module):
        _fail(f"reparametrise should return a model, got {type(new).__name__}",
              "build a new LinearAutoencoder and copy the transformed weights into it")
    if new is model:
        _fail("you returned the model you were given", "make a new LinearAutoencoder "
              "(or copy.deepcopy(model)) and change the copy, so both can be compared")
    with torch.no_grad():
        before, after = model(x), new(x)
        same_weights = torch.allclose(new.decoder.weight, model.decoder.weight)
    if same_weights:
        _fail("the decoder weights did not change", "set the decoder weight to W_d @ A^-1 "
              "(torch.linalg.inv(A)) and the encoder weight to A @ W_e")
    err = (after - before).abs().max().item()
    if err > 1e-3:
        _fail(f"the reconstructions changed by up to {err:.3g}", "the encoder bias must be "
              "transformed too: b_e -> A @ b_e; the decoder bias stays as it is")
    _ok("Different weights, the same reconstructions: the weights are not unique, the subspace is.")
