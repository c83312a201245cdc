"""Checks of notebook 01 (PCA as a linear autoencoder): exercises 1-3."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ._feedback import _call, _check_shape, _checked, _fail, _given, _ok


@_checked
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


@_checked
def check_pca_reconstruct(pca_reconstruct: Callable, x: torch.Tensor, mean: torch.Tensor,
                          V: torch.Tensor) -> None:
    """Exercise 2 of notebook 01: project ``x`` ``(N, d)`` onto the top-``k`` principal subspace."""
    _given(V.dim() == 2 and V.shape[1] >= 32, "V", "the (d, r) matrix of principal directions")
    _given(mean.shape == (V.shape[0],), "mean", f"the mean image, shape ({V.shape[0]},)")
    _given(x.dim() == 2 and x.shape[1] == V.shape[0] and x.is_floating_point(), "x",
           f"a batch of flat images, shape (N, {V.shape[0]})")
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


@_checked
def check_reparameterize_weights(reparameterize_weights: Callable, model: nn.Module,
                                 x: torch.Tensor) -> None:
    """Exercise 3 of notebook 01: new weights ``A W_e``, ``W_d A^-1`` give the same reconstructions."""
    _given(isinstance(getattr(model, "encoder", None), nn.Linear)
           and isinstance(getattr(model, "decoder", None), nn.Linear) and hasattr(model, "latent_dim"),
           "model", "a linear autoencoder (nn.Linear encoder and decoder, .latent_dim)")
    k = model.latent_dim
    A = torch.randn(k, k, generator=torch.Generator().manual_seed(3)) + 3 * torch.eye(k)
    new = _call(reparameterize_weights, model, A)
    if not isinstance(new, nn.Module):
        _fail(f"reparameterize_weights should return a model, got {type(new).__name__}",
              "build a new LinearAutoencoder and copy the transformed weights into it")
    if new is model:
        _fail("you returned the model you were given", "make a new LinearAutoencoder "
              "(or copy.deepcopy(model)) and change the copy, so both can be compared")
    if not all(isinstance(getattr(new, part, None), nn.Linear)
               and getattr(new, part).weight.shape == getattr(model, part).weight.shape
               for part in ("encoder", "decoder")):
        _fail("the new model is not a linear autoencoder of the same sizes", "copy the model "
              "(copy.deepcopy(model)) and change the weights of the copy in place")
    with torch.no_grad():
        before, after = model(x), new(x)
        W_e, W_d = model.encoder.weight, model.decoder.weight
        new_e, new_d = new.encoder.weight, new.decoder.weight
    if torch.allclose(new_d, W_d):
        _fail("the decoder weights did not change", "set the decoder weight to W_d @ A^-1 "
              "(torch.linalg.inv(A)) and the encoder weight to A @ W_e")
    scale = (new_e * W_e).sum() / (W_e * W_e).sum()  # a number c with new_e = c W_e, if there is one
    if not torch.allclose(new_e, A @ W_e, atol=1e-5):
        if torch.allclose(new_e, scale * W_e, atol=1e-5):
            _fail(f"your encoder weight is {scale.item():.3g} x W_e, whatever A is",
                  "use the matrix you are given: the new code is A z, so the encoder weight is "
                  "A @ W_e")
        _fail("the encoder weight is not A @ W_e", "the new code is A z = A (W_e x + b_e): "
              "encoder weight A @ W_e, multiplied from the left")
    if not torch.allclose(new_d, W_d @ torch.linalg.inv(A), atol=1e-4):
        _fail("the decoder weight is not W_d @ A^-1", "the decoder must undo A before its own "
              "weights act: W_d @ torch.linalg.inv(A)")
    zero = torch.zeros(1)
    b_e, new_b_e = (m.encoder.bias if m.encoder.bias is not None else zero for m in (model, new))
    b_d, new_b_d = (m.decoder.bias if m.decoder.bias is not None else zero for m in (model, new))
    # checked directly: with a small b_e, a forgotten bias hardly changes the reconstructions
    if not torch.allclose(new_b_e, A @ b_e, atol=1e-5):
        _fail("the encoder bias is not A @ b_e", "the new code is A z = A (W_e x + b_e): the encoder "
              "bias is transformed too, b_e -> A @ b_e")
    if not torch.allclose(new_b_d, b_d):
        _fail("the decoder bias changed", "the decoder bias stays as it is: W_d A^-1 (A z) + b_d")
    err = (after - before).abs().max().item()
    if err > 1e-3:
        _fail(f"the reconstructions changed by up to {err:.3g}", "the encoder bias must be "
              "transformed too: b_e -> A @ b_e; the decoder bias stays as it is")
    _ok("Different weights, the same reconstructions: the weights are not unique, the subspace is.")
