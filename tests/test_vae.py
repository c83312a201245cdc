import pytest
import torch
from torch.distributions import Normal, kl_divergence

from course_utils import vae
from course_utils.models import VAE


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(dim=1)
    assert torch.allclose(vae.kl_divergence(mu, logvar), ref, atol=1e-5)
    assert torch.equal(vae.kl_divergence(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))


def test_reparameterize_moments_and_gradients():
    mu = torch.full((50_000, 1), 2.0, requires_grad=True)
    logvar = torch.full((50_000, 1), 0.0, requires_grad=True)
    torch.manual_seed(0)
    z = vae.reparameterize(mu, logvar)
    assert z.mean().item() == pytest.approx(2.0, abs=0.02)
    assert z.std().item() == pytest.approx(1.0, abs=0.02)
    z.sum().backward()
    assert torch.allclose(mu.grad, torch.ones_like(mu))


def test_vae_loss_is_summed_bce_plus_kl():
    x = torch.rand(3, 1, 28, 28)
    x_hat = torch.full_like(x, 0.5)
    mu, logvar = torch.ones(3, 2), torch.zeros(3, 2)
    bce = torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="sum") / 3
    assert vae.vae_loss((x_hat, mu, logvar), x).item() == pytest.approx(bce.item() + 1.0, rel=1e-5)
    assert vae.vae_loss((x_hat, mu, logvar), x, beta=0).item() == pytest.approx(bce.item(), rel=1e-5)


def test_vae_model_and_negative_elbo():
    model = VAE(latent_dim=3, hidden=32)
    x = torch.rand(10, 1, 28, 28)
    x_hat, mu, logvar = model(x)
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (10, 3)
    model.eval()
    assert torch.equal(model(x)[0], model.decode(model.encode(x)[0]))  # evaluation uses mu
    nelbo = vae.negative_elbo(model, x, batch_size=4)
    assert nelbo == pytest.approx(vae.vae_loss(model(x), x).item(), rel=1e-5)
    assert nelbo > 0
    per_image = vae.negative_elbo_per_image(model, x, batch_size=4)
    assert per_image.shape == (10,) and per_image.mean().item() == pytest.approx(nelbo, rel=1e-5)
    assert per_image[3].item() == pytest.approx(vae.vae_loss(model(x[3:4]), x[3:4]).item(), rel=1e-5)


@pytest.mark.parametrize("call, err, message", [
    (lambda: vae.kl_divergence(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError, "same shape"),
    (lambda: vae.kl_divergence(torch.zeros(3), torch.zeros(3)), ValueError, "2 dimensions"),
    (lambda: vae.vae_loss(torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)), TypeError,
     r"\(x_hat, mu, logvar\)"),
    (lambda: vae.vae_loss((torch.zeros(2, 784), torch.zeros(2, 2), torch.zeros(2, 2)),
                          torch.zeros(2, 1, 28, 28)), ValueError, "same shape"),
    (lambda: vae.vae_loss((torch.zeros(2, 3), torch.zeros(2, 2), torch.zeros(2, 2)),
                          torch.zeros(2, 3), beta=-1), ValueError, "beta"),
    (lambda: vae.negative_elbo(VAE(2, 8), torch.rand(2, 784)), ValueError, "4 dimensions"),
    (lambda: VAE(latent_dim=0), ValueError, "latent_dim"),
    (lambda: vae.negative_elbo_per_image(VAE(2, 8), torch.rand(2, 1, 28, 28) * 2), ValueError, "0, 1"),
])
def test_vae_errors(call, err, message):
    with pytest.raises(err, match=message):
        call()
