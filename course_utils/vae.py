"""Variational autoencoder pieces: reparameterisation, the KL term and the ELBO (Kingma & Welling 2013)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._validate import arguments, as_float_tensor
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


@arguments
def vae_loss(output: tuple[torch.Tensor, torch.Tensor, torch.Tensor], x: torch.Tensor,
             beta: float = 1.0) -> torch.Tensor:
    """Negative ELBO averaged over the batch, in nats per image: summed binary cross-entropy over
    the pixels plus ``beta`` times the KL term. ``output`` is ``(x_hat, mu, logvar)`` from a
    :class:`~course_utils.models.VAE`. Introduced in notebook 06.
    """
    if not (isinstance(output, tuple) and len(output) == 3):
        raise TypeError("output must be the tuple (x_hat, mu, logvar) that a VAE returns")
    x_hat, mu, logvar = output
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat and x must have the same shape, got {tuple(x_hat.shape)} and "
                         f"{tuple(x.shape)}")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    reconstruction = F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
    return reconstruction + beta * kl_divergence(mu, logvar).mean()


@arguments
def negative_elbo_per_image(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Negative ELBO of every image in ``x`` ``(N, 1, 28, 28)``, shape ``(N,)``, in nats (beta = 1).

    The encoder's mean code is used (no sampling), so the result is deterministic. Introduced in
    notebook 07 as an anomaly score.
    """
    x = as_float_tensor(x, "x", ndim=4, unit_range=True)

    def nelbo(m, xb):
        x_hat, mu, logvar = m(xb)
        bce = F.binary_cross_entropy(x_hat, xb, reduction="none").flatten(1).sum(1)
        return (bce + kl_divergence(mu, logvar)).cpu()

    return torch.cat(map_batches(model, nelbo, x, batch_size=batch_size))


@arguments
def negative_elbo(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> float:
    """Mean negative ELBO of ``x`` ``(N, 1, 28, 28)`` under ``model``, in nats per image (beta = 1).

    Introduced in notebook 06.
    """
    return negative_elbo_per_image(model, x, batch_size).mean().item()
