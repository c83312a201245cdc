"""Variational autoencoder pieces: reparameterisation, the KL term, the likelihood, the ELBO and its
importance-weighted refinement (Kingma & Welling 2013; Burda et al. 2015)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from ._validate import arguments, as_float_tensor, positive_int
from .anomaly import knn_distance
from .train import map_batches


def _check_pair(mu: torch.Tensor, logvar: torch.Tensor) -> None:
    as_float_tensor(mu, "mu", ndim=2)
    as_float_tensor(logvar, "logvar", ndim=2)
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape (N, latent_dim), got "
                         f"{tuple(mu.shape)} and {tuple(logvar.shape)}")


@arguments
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``; shapes ``(N, latent_dim)``.

    Introduced in notebook 06.
    """
    _check_pair(mu, logvar)
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


@arguments
def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, diag exp(logvar)) || N(0, I) ) per sample, in nats, shape ``(N,)``:
    ``-1/2 * sum(1 + logvar - mu**2 - exp(logvar))`` (Kingma & Welling 2013, appendix B).

    Introduced in notebook 06.
    """
    _check_pair(mu, logvar)
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


LIKELIHOODS = ("bernoulli", "continuous-bernoulli")


@arguments
def continuous_bernoulli_log_norm(x_hat: torch.Tensor) -> torch.Tensor:
    """``log C(x_hat)`` elementwise: the log normaliser that turns the Bernoulli formula into a
    density on [0, 1] (Loaiza-Ganem & Cunningham 2019), ``C = 2 artanh(1 - 2 x_hat) / (1 - 2 x_hat)``
    (2 at ``x_hat = 1/2``, where a series is used). Introduced in notebook 07.
    """
    lam = as_float_tensor(x_hat, "x_hat", unit_range=True).clamp(1e-6, 1 - 1e-6)
    u = 1 - 2 * lam
    near_half = u.abs() < 1e-2
    safe = torch.where(near_half, torch.full_like(u, 0.5), u)
    exact = torch.log(2 * torch.atanh(safe) / safe)
    series = torch.log(torch.tensor(2.0)) + torch.log1p(u**2 / 3 + u**4 / 5)
    return torch.where(near_half, series, exact)


@arguments
def dequantize(x: torch.Tensor, seed: int = 0, levels: int = 256) -> torch.Tensor:
    """Uniform dequantisation of 8-bit images in [0, 1] (Theis, van den Oord & Bethge 2016):
    ``(255 x + u) / 256`` with ``u ~ U(0, 1)`` per pixel from a generator seeded with ``seed``, so
    that no pixel sits exactly on 0 or 1, where a density on [0, 1] such as the continuous Bernoulli
    can grow without bound. Same shape as ``x``. Introduced in notebook 07.
    """
    x = as_float_tensor(x, "x", unit_range=True)
    steps = (levels - 1) * x
    if not torch.allclose(steps, steps.round(), atol=1e-4):
        raise ValueError(f"x must hold {levels}-level images (k / {levels - 1}, as the course's data "
                         "loaders give them); these are not, or are already dequantised")
    # in place: the same values, one image-set-sized temporary fewer
    return steps.add_(torch.rand(x.shape, generator=torch.Generator().manual_seed(seed))).div_(levels)


@arguments
def log_likelihood(x_hat: torch.Tensor, x: torch.Tensor, likelihood: str = "bernoulli") -> torch.Tensor:
    """``log p(x | z)`` of every image, summed over pixels, shape ``(N,)``, in nats.

    ``"bernoulli"``: minus the binary cross-entropy, the lecture's reconstruction term; a true
    likelihood only for binary pixels (for grey levels its maximum, at ``x_hat = x``, is minus the
    pixels' entropy, not 0). ``"continuous-bernoulli"``: the same plus ``log C(x_hat)``, a
    normalised density on [0, 1]. Introduced in notebook 06.
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    as_float_tensor(x_hat, "x_hat", unit_range=True)
    as_float_tensor(x, "x", unit_range=True)
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat and x must have the same shape, got {tuple(x_hat.shape)} and "
                         f"{tuple(x.shape)}")
    log_p = -F.binary_cross_entropy(x_hat, x, reduction="none")
    if likelihood == "continuous-bernoulli":
        log_p = log_p + continuous_bernoulli_log_norm(x_hat)
    return log_p.flatten(1).sum(1)


@arguments
def vae_loss(output: tuple[torch.Tensor, torch.Tensor, torch.Tensor], x: torch.Tensor,
             beta: float = 1.0, likelihood: str = "bernoulli") -> torch.Tensor:
    """Negative ELBO averaged over the batch, in nats per image: the reconstruction term (binary
    cross-entropy summed over the pixels, or the continuous Bernoulli's negative log-density)
    plus ``beta`` times the KL term, for the one sample ``z`` the model drew. ``output`` is
    ``(x_hat, mu, logvar)`` from a :class:`~course_utils.models.VAE`. Introduced in notebook 06.
    """
    if not (isinstance(output, tuple) and len(output) == 3):
        raise TypeError("output must be the tuple (x_hat, mu, logvar) that a VAE returns")
    x_hat, mu, logvar = output
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    reconstruction = -log_likelihood(x_hat, x, likelihood).mean()
    return reconstruction + beta * kl_divergence(mu, logvar).mean()


def _check_vae(model) -> None:
    if not (callable(getattr(model, "encode", None)) and callable(getattr(model, "decode", None))):
        raise TypeError(f"model must be a VAE with .encode and .decode (course_utils.models.VAE), "
                        f"got {type(model).__name__}")


def _sampled_log_px(m: nn.Module, xb: torch.Tensor, samples: int, likelihood: str,
                    g: torch.Generator) -> tuple[torch.Tensor, ...]:
    """``samples`` draws ``z ~ q(z|x)`` per image and ``log p(x|z)`` of each, ``(S, N)``; the one
    sampling path of :func:`elbo` and :func:`iwae_bound`. Returns ``(log_px, z, mu, logvar)``."""
    mu, logvar = m.encode(xb)
    std = torch.exp(0.5 * logvar)
    eps = torch.randn((samples, *mu.shape), generator=g).to(mu.device)
    z = mu + std * eps                                                # (S, N, k)
    x_hat = m.decode(z.flatten(0, 1)).reshape(samples, *xb.shape)
    log_px = torch.stack([log_likelihood(x_hat[s], xb, likelihood) for s in range(samples)])
    return log_px, z, mu, logvar


def _per_image(model: nn.Module, x: torch.Tensor, samples: int, likelihood: str, seed: int,
               batch_size: int, bound: Callable) -> torch.Tensor:
    _check_vae(model)
    x = as_float_tensor(x, "x", ndim=4, unit_range=True)
    samples = positive_int(samples, "samples")
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    g = torch.Generator().manual_seed(seed)
    return torch.cat(map_batches(
        model, lambda m, xb: bound(*_sampled_log_px(m, xb, samples, likelihood, g)).cpu(), x,
        batch_size=batch_size))


@arguments
def elbo(model: nn.Module, x: torch.Tensor, samples: int = 1, likelihood: str = "bernoulli",
         seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """Monte Carlo estimate of the ELBO of every image, shape ``(N,)``, in nats:
    ``mean over samples z ~ q(z|x) of log p(x|z)``, minus ``KL(q(z|x) || p(z))`` in closed form.

    A lower bound on ``log p(x)``: ``log p(x) = ELBO + KL(q(z|x) || p(z|x))``. The noise comes from
    a generator seeded with ``seed``, so the estimate is repeatable. Introduced in notebook 06.
    """
    def bound(log_px, z, mu, logvar):
        return log_px.mean(0) - kl_divergence(mu, logvar)

    return _per_image(model, x, samples, likelihood, seed, batch_size, bound)


@arguments
def iwae_bound(model: nn.Module, x: torch.Tensor, samples: int = 64, likelihood: str = "bernoulli",
               seed: int = 0, batch_size: int = 250) -> torch.Tensor:
    """Importance-weighted estimate of ``log p(x)`` of every image (Burda et al. 2015), ``(N,)``:
    ``log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)`` with ``K = samples`` draws ``z_k ~ q(z|x)``.

    Also a lower bound on ``log p(x)`` (in expectation), tighter than the ELBO, and tighter the
    larger ``K``; its negation is therefore an estimate of an *upper* bound on ``-log p(x)``.
    Same draws as :func:`elbo` for the same ``seed``. Introduced in notebook 06.
    """
    def bound(log_px, z, mu, logvar):
        log_w = (log_px + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
                 - torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1))  # (K, N)
        return torch.logsumexp(log_w, 0) - math.log(len(log_w))

    return _per_image(model, x, samples, likelihood, seed, batch_size, bound)


@arguments
def prior_coverage(train_codes: torch.Tensor, sampled_codes: torch.Tensor,
                   heldout_codes: torch.Tensor, k: int = 5) -> float:
    """Where generated codes land: the median distance from each row of ``sampled_codes`` (e.g.
    prior draws, ``(M, k)``) to its ``k`` nearest ``train_codes`` (codes of training images, the
    aggregate posterior, ``(N, k)``), divided by the same median for ``heldout_codes`` (codes of
    test images). About 1: the samples come from where the decoder was trained; much larger:
    from regions no training code covers. Introduced in notebook 06.
    """
    return (knn_distance(train_codes, sampled_codes, k).median()
            / knn_distance(train_codes, heldout_codes, k).median()).item()
