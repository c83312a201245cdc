"""Checks of assignment 2 (the beta-VAE)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..vae import kl_divergence as gaussian_kl
from ._feedback import _call, _checked, _fail, _given, _ok


@_checked
def check_beta_vae_loss(beta_vae_loss: Callable) -> None:
    """Assignment 2: summed BCE per image plus beta times the KL, averaged over the batch."""
    g = torch.Generator().manual_seed(12)
    x = torch.rand(8, 1, 28, 28, generator=g)
    x_hat = torch.rand(8, 1, 28, 28, generator=g) * 0.98 + 0.01
    mu, logvar = torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g)
    bce = torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="sum") / 8
    kl = gaussian_kl(mu, logvar).mean()
    tol = 1e-5  # relative: float32 rounding is about 1e-6 here; 1e-3 would hide a wrong KL term
    gots = {}
    for beta in (0.5, 1.0, 4.0):
        got = float(_call(beta_vae_loss, (x_hat, mu, logvar), x, beta))
        want = (bce + beta * kl).item()
        gots[beta] = got
        if abs(got - want) < tol * abs(want):
            continue
        if abs(got - (bce / 784 + beta * kl).item()) < 1e-3 * abs(want):
            _fail(f"with beta = {beta} you return {got:.2f}, expected {want:.2f}",
                  "sum the cross-entropy over the pixels (reduction='sum') and divide by the "
                  "batch size; a mean over pixels is beta = 784 in disguise")
        if abs(got - (beta * bce + kl).item()) < 1e-3 * abs(want):
            _fail(f"with beta = {beta} you return {got:.2f}, expected {want:.2f}",
                  "beta multiplies the KL term, not the reconstruction")
        if abs(got - 8 * want) < 1e-3 * abs(8 * want):
            _fail(f"with beta = {beta} you return {got:.2f}, 8 times too large for a batch of 8",
                  "average over the batch: nats per image")
        _fail(f"with beta = {beta} you return {got:.2f}, expected {want:.2f}",
              "BCE summed over pixels / batch size + beta * KL averaged over the batch")
    kl_coefficient = (gots[4.0] - gots[0.5]) / 3.5  # the KL term alone, the BCE cancels
    if abs(kl_coefficient - kl.item()) > 1e-2:
        _fail(f"your loss grows by {kl_coefficient:.3f} nats per unit of beta; the mean KL is "
              f"{kl.item():.3f}", "beta multiplies vae.kl_divergence(mu, logvar).mean(), the KL "
              "averaged over the batch")
    _ok("beta = 1 is the ELBO; beta > 1 trades reconstruction for a simpler code.")


@_checked
def check_reconstruction_and_kl(reconstruction_and_kl: Callable, model: nn.Module,
                                x: torch.Tensor) -> None:
    """Assignment 2: mean reconstruction BCE (summed over pixels) and mean KL, in nats."""
    _given(callable(getattr(model, "encode", None)) and hasattr(model, "latent_dim"), "model",
           "a VAE (with .encode and .latent_dim)")
    _given(x.dim() == 4 and x.is_floating_point() and 0 <= x.min() and x.max() <= 1, "x",
           "a batch of images (N, 1, 28, 28) in [0, 1]")
    with torch.no_grad():  # the expected numbers at z = mu, without touching the model's mode
        mu, logvar = model.encode(x)
        x_hat = model.decode(mu)
        want = ((torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)).item(),
                gaussian_kl(mu, logvar).mean().item())
    model.train()  # as train.fit leaves it: switching to evaluation mode is the student's job
    got = _call(reconstruction_and_kl, model, x)
    if not (isinstance(got, tuple) and len(got) == 2):
        _fail(f"expected a pair (reconstruction, kl), got {type(got).__name__}",
              "return two numbers: return recon.item(), kl.item()")
    recon, kl = map(float, got)
    if abs(recon - want[0]) > 1e-3 * want[0] + 1e-3 and model.training:
        _fail(f"reconstruction {recon:.2f} nats, expected {want[0]:.2f}: your function left the "
              "model in training mode, so the decoder got a sampled z, not mu",
              "call model.eval() at the start of reconstruction_and_kl")
    if abs(recon - want[0]) > 1e-3 * want[0] + 1e-3:
        _fail(f"reconstruction {recon:.2f} nats, expected {want[0]:.2f}",
              "binary cross-entropy summed over the pixels, averaged over the images; use the "
              "model in eval mode (model.eval()) so that z = mu")
    if abs(kl - want[1]) > 1e-3 * want[1] + 1e-3:
        _fail(f"KL {kl:.2f} nats, expected {want[1]:.2f}",
              "vae.kl_divergence(mu, logvar) gives one value per image: take .mean()")
    _ok(f"reconstruction {want[0]:.1f} + KL {want[1]:.1f} = {sum(want):.1f} nats per image.")


@_checked
def check_beta_tradeoff(results: dict, trained: dict, x_test: torch.Tensor) -> None:
    """Assignment 2: ``{beta: (reconstruction, kl)}`` measured on ``x_test`` with the models
    ``trained[beta]``; KL falls and reconstruction rises with beta."""
    if not isinstance(results, dict) or len(results) < 3:
        _fail("results should be a dict {beta: (reconstruction, kl)} with at least three betas",
              "train one model per beta, e.g. betas = [0.5, 1, 4], and store the test numbers")
    _given(x_test.dim() == 4 and x_test.is_floating_point() and len(x_test) > 0
           and 0 <= x_test.min() and x_test.max() <= 1, "x_test", "a batch of test images in [0, 1]")
    if not isinstance(trained, dict) or set(trained) != set(results):
        _fail("trained should hold one model for each beta of results",
              "store each model: trained[beta] = model")
    for beta, model in trained.items():
        if not (isinstance(model, nn.Module) and callable(getattr(model, "encode", None))
                and callable(getattr(model, "decode", None))):
            _fail(f"trained[{beta}] is not a VAE", "store the trained model: trained[beta] = model")
    if len({id(m) for m in trained.values()}) < len(trained):
        _fail("two betas share one model object", "build a fresh models.VAE(LATENT_DIM) inside the "
              "loop, for each beta")
    betas = sorted(results)
    if betas[0] >= 1 or betas[-1] <= 1:
        _fail(f"your betas are {betas}", "include a beta below 1 and one above 1")
    for beta in betas:
        model = trained[beta]
        device = next(model.parameters()).device
        with torch.no_grad():  # the numbers at z = mu, on these test images
            mu, logvar = (t.cpu() for t in model.encode(x_test.to(device)))
            x_hat = model.decode(mu.to(device)).cpu()
            want = ((torch.nn.functional.binary_cross_entropy(x_hat, x_test, reduction="sum")
                     / len(x_test)).item(), gaussian_kl(mu, logvar).mean().item())
        got = tuple(map(float, results[beta]))
        if any(abs(g - w) > 1e-3 * abs(w) + 1e-3 for g, w in zip(got, want)):
            _fail(f"results[{beta}] = ({got[0]:.1f}, {got[1]:.1f}), but trained[{beta}] gives "
                  f"({want[0]:.1f}, {want[1]:.1f}) on the test images",
                  "store results[beta] = reconstruction_and_kl(model, x_test), measured on x_test "
                  "with the model you keep in trained[beta], in evaluation mode (z = mu): a model "
                  "left in training mode decodes a sampled z and gives other numbers")
    kls = [results[b][1] for b in betas]
    recons = [results[b][0] for b in betas]
    if any(k2 >= k1 for k1, k2 in zip(kls, kls[1:])):
        _fail(f"the KL does not fall as beta grows: {dict(zip(betas, [round(k, 1) for k in kls]))}",
              "pass beta to your loss (loss_fn=lambda out, x: beta_vae_loss(out, x, beta)) and "
              "retrain a fresh model for each beta")
    if recons[-1] <= recons[0]:
        _fail("the reconstruction error does not grow from the smallest to the largest beta",
              "measure both on the same test images, in eval mode")
    _ok("Larger beta: a lower KL (the rate, an upper bound on the information in the code), "
        "blurrier reconstructions.")
