"""Checks of notebook 06 (variational autoencoders): exercises 1-3."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.distributions import Normal, kl_divergence

from ._feedback import _call, _checked, _fail, _ok


@_checked
def check_discrete_kl(discrete_kl: Callable) -> None:
    """Exercise 1 of notebook 06: D_KL(P || Q) = sum_i P(i) log(P(i) / Q(i)), where a term with
    P(i) = 0 is 0 (the limit of p log p)."""
    p = torch.tensor([0.6, 0.3, 0.1])
    q = torch.tensor([0.2, 0.5, 0.3])
    want = float((p * (p / q).log()).sum())
    got = float(_call(discrete_kl, p, q))
    if abs(got - want) >= 1e-5:
        if abs(got - float((q * (q / p).log()).sum())) < 1e-5:
            _fail("you computed KL(Q || P)", "weight the log-ratio by P, the first argument")
        if abs(got - want / math.log(2)) < 1e-5:
            _fail(f"your value {got:.4f} is the KL in bits (log base 2)", "the course measures "
                  "information in nats: use the natural logarithm, torch.log")
        if abs(got + want) < 1e-5:
            _fail(f"your value {got:.4f} has the wrong sign", "it is log(P / Q), not log(Q / P)")
        _fail(f"your value {got:.4f}, expected {want:.4f}", "sum over i of P(i) times the log of "
              "the ratio P(i) / Q(i)")
    if abs(float(_call(discrete_kl, p, p))) > 1e-6:
        _fail("KL(P || P) should be 0", "log(P / P) = 0 for every i")
    p0 = torch.tensor([0.5, 0.5, 0.0])  # an outcome P never gives
    want0 = float((p0[:2] * (p0[:2] / q[:2]).log()).sum())
    got0 = float(_call(discrete_kl, p0, q))
    if not abs(got0 - want0) < 1e-5:
        _fail(f"for P = {p0.tolist()} you return {got0:.4f}, expected {want0:.4f}",
              "a term with P(i) = 0 counts 0 (the limit of p log p as p -> 0), but 0 * log(0) is "
              "nan in floating point: keep only the terms with P(i) > 0")
    _ok(f"KL(P || Q) = {want:.4f} nats; it is zero only when P = Q, and not symmetric.")


@_checked
def check_gaussian_kl(gaussian_kl: Callable) -> None:
    """Exercise 2 of notebook 06: closed-form KL of a diagonal Gaussian from N(0, I)."""
    g = torch.Generator().manual_seed(6)
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    want = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(dim=1)
    got = _call(gaussian_kl, mu, logvar)
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        _fail(f"gaussian_kl should return one value per sample, shape (5,), got {shape}",
              "sum over the latent dimensions only: .sum(dim=1)")
    if torch.allclose(got, want, atol=1e-5):
        _ok("Zero only when mu = 0 and logvar = 0: the KL pulls every q(z|x) towards the prior.")
        return
    if torch.allclose(got, -want, atol=1e-5):
        _fail("your values have the wrong sign", "the formula starts with -1/2")
    if torch.allclose(got, 2 * want, atol=1e-5):
        _fail("your values are twice too large", "do not forget the factor 1/2")
    _fail("your values differ from torch.distributions.kl_divergence",
          "compare your code term by term with the closed form above the exercise; "
          "sigma^2 = exp(logvar)")


@_checked
def check_reparameterize(reparameterize: Callable) -> None:
    """Exercise 3 of notebook 06: z = mu + sigma * eps, differentiable in mu and logvar."""
    mu = torch.full((20000, 2), 3.0, requires_grad=True)
    logvar = torch.full((20000, 2), 2 * torch.log(torch.tensor(0.5)).item(), requires_grad=True)
    torch.manual_seed(0)
    z = _call(reparameterize, mu, logvar)
    if not isinstance(z, torch.Tensor) or z.shape != mu.shape:
        _fail("reparameterize should return z with the shape of mu", "mu + std * eps, with eps "
              "of the same shape (torch.randn_like(mu))")
    if not z.requires_grad:
        _fail("no gradient flows from z back to mu and logvar", "build z from mu and logvar with "
              "torch operations; only eps is random")
    mean, std = z.mean().item(), z.std().item()
    grads = torch.autograd.grad(z.sum(), (mu, logvar), allow_unused=True)
    grad_mu, grad_logvar = (torch.zeros_like(mu) if g is None else g for g in grads)
    if not (grad_mu.abs().sum() > 0 or grad_logvar.abs().sum() > 0):
        _fail("z does not depend on mu and logvar: their gradients are zero", "torch.normal(mu, "
              "std) samples, but it is not reparameterised; write z = mu + std * eps with "
              "eps = torch.randn_like(mu)")
    if abs(mean - 3.0) > 0.05:
        _fail(f"your samples have mean {mean:.2f}; expected mu = 3", "add mu")
    if abs(std - 0.25) < 0.02:
        _fail(f"your samples have standard deviation {std:.2f}; expected 0.5", "logvar is the log "
              "of the variance: std = exp(logvar / 2), not exp(logvar)")
    if abs(std - 0.5) > 0.02:
        _fail(f"your samples have standard deviation {std:.2f}; expected 0.5",
              "std = torch.exp(0.5 * logvar)")
    correlation = torch.corrcoef(z.detach().T)[0, 1].item()  # sampling error about 0.007
    if abs(correlation) > 0.05:
        _fail(f"the two latent dimensions of your samples have correlation {correlation:.2f}; "
              "q(z|x) has a diagonal covariance, so it should be about 0", "draw one independent "
              "eps per sample AND per latent dimension: torch.randn_like(mu), not torch.randn(N, 1)")
    if not torch.allclose(grad_mu, torch.ones_like(grad_mu)) or \
            not torch.allclose(grad_logvar, 0.5 * (z - mu).detach(), atol=1e-5):
        _fail("the gradients of z are not those of mu + exp(logvar / 2) * eps",
              "dz/dmu should be 1 and dz/dlogvar = (z - mu) / 2: only eps is random")
    eps = ((z - mu) / 0.5).detach()
    beyond = (eps.abs() > 2).float().mean().item()            # N(0, 1): 4.55 %, sampling error 0.1 %
    if abs(beyond - 0.0455) > 0.006:
        _fail(f"{100 * beyond:.1f} % of your eps lie beyond 2 standard deviations; a standard normal "
              "puts 4.6 % there", "eps must be Gaussian: torch.randn_like(mu), not rand or a sign")
    torch.manual_seed(1)                                      # another draw: new noise expected
    again = _call(reparameterize, mu, logvar)
    if torch.equal(again.detach(), z.detach()):
        _fail("two calls return the same z: your noise does not change between calls",
              "draw eps fresh on every call (torch.randn_like(mu)); no seed inside the function")
    _ok("The randomness sits in eps, so gradients reach mu and logvar.")
