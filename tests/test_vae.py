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


def test_vae_model_elbo_and_iwae():
    torch.manual_seed(0)
    model = VAE(latent_dim=3, hidden=32)
    x = torch.rand(10, 1, 28, 28)
    x_hat, mu, logvar = model(x)
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (10, 3)
    model.eval()
    assert torch.equal(model(x)[0], model.decode(model.encode(x)[0]))  # evaluation uses mu
    elbo = vae.elbo(model, x, samples=2000, batch_size=4)
    assert elbo.shape == (10,) and torch.equal(elbo, vae.elbo(model, x, samples=2000, batch_size=4))
    # Reference: the definition, E_q[log p(x|z) + log p(z) - log q(z|x)], by plain Monte Carlo.
    mu, logvar = model.encode(x)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    z = q.sample((2000,))
    log_px = torch.stack([vae.log_likelihood(model.decode(zs), x) for zs in z])
    log_w = log_px + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)
    assert torch.allclose(elbo, log_w.mean(0).detach(), atol=0.5)
    iwae = vae.iwae_bound(model, x, samples=2000)
    want = (torch.logsumexp(log_w, 0) - torch.log(torch.tensor(2000.0))).detach()
    assert torch.allclose(iwae, want, atol=0.5)
    assert (iwae >= elbo - 1e-4).all(), "the importance-weighted bound is the tighter one"


def test_validation_loss_is_measured_like_the_training_loss():
    """fit(val_training=True) samples a VAE's codes for the validation loss, as training does (a
    fixed seed); without it the loss is measured at z = mu. Works for a VAE written in a notebook:
    no class attribute is read."""
    from course_utils import train

    class NotebookVAE(VAE):  # a student's own class: nothing but the model
        pass

    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    for cls in (VAE, NotebookVAE):
        torch.manual_seed(0)
        model = cls(latent_dim=4, hidden=32)
        history = train.fit(model, x, x, loss_fn=vae.vae_loss, epochs=1, progress=False,
                            device="cpu", val_training=True)
        sampled = train.evaluate(model, x, vae.vae_loss, training=True)
        at_mu = train.evaluate(model, x, vae.vae_loss)
        assert history.val_loss[-1] == pytest.approx(sampled) and sampled != pytest.approx(at_mu)
        assert not model.training
        torch.manual_seed(0)
        model = cls(latent_dim=4, hidden=32)
        history = train.fit(model, x, x, loss_fn=vae.vae_loss, epochs=1, progress=False, device="cpu")
        assert history.val_loss[-1] == pytest.approx(train.evaluate(model, x, vae.vae_loss))
    with pytest.raises(TypeError, match="val_training"):
        train.fit(VAE(latent_dim=4, hidden=32), x, x, loss_fn=vae.vae_loss, epochs=1,
                  progress=False, device="cpu", val_training="yes")


def test_continuous_bernoulli_is_a_normalised_density():
    lam = torch.tensor([0.02, 0.2, 0.4999, 0.5, 0.5001, 0.8, 0.97])
    grid = torch.linspace(0, 1, 200_001, dtype=torch.float64)
    log_c = vae.continuous_bernoulli_log_norm(lam).double()
    for l_i, c in zip(lam.double(), log_c):
        density = c.exp() * l_i**grid * (1 - l_i) ** (1 - grid)
        assert torch.trapezoid(density, grid).item() == pytest.approx(1.0, abs=1e-4)
    ref = torch.distributions.ContinuousBernoulli(probs=lam)
    x = torch.tensor([0.1, 0.3, 0.5, 0.9, 0.0, 1.0, 0.6])
    ours = -torch.nn.functional.binary_cross_entropy(lam, x, reduction="none") + \
        vae.continuous_bernoulli_log_norm(lam)
    assert torch.allclose(ours, ref.log_prob(x), atol=1e-3)


def test_bernoulli_on_grey_levels_is_not_normalised():
    """For grey pixels the best possible 'log-likelihood' (x_hat = x) is minus their entropy, not 0."""
    x = torch.full((1, 1, 28, 28), 0.5)
    assert vae.log_likelihood(x, x).item() == pytest.approx(-784 * torch.log(torch.tensor(2.0)).item(),
                                                             rel=1e-5)
    assert vae.log_likelihood(x.round(), x.round()).item() == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize("call, err, message", [
    (lambda: vae.kl_divergence(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError, "same shape"),
    (lambda: vae.kl_divergence(torch.zeros(3), torch.zeros(3)), ValueError, "2 dimensions"),
    (lambda: vae.vae_loss(torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)), TypeError,
     r"\(x_hat, mu, logvar\)"),
    (lambda: vae.vae_loss((torch.zeros(2, 784), torch.zeros(2, 2), torch.zeros(2, 2)),
                          torch.zeros(2, 1, 28, 28)), ValueError, "same shape"),
    (lambda: vae.vae_loss((torch.zeros(2, 3), torch.zeros(2, 2), torch.zeros(2, 2)),
                          torch.zeros(2, 3), beta=-1), ValueError, "beta"),
    (lambda: vae.elbo(VAE(2, 8), torch.rand(2, 784)), ValueError, "4 dimensions"),
    (lambda: vae.elbo(VAE(2, 8), torch.rand(2, 1, 28, 28), likelihood="gauss"), ValueError, "likelihood"),
    (lambda: VAE(latent_dim=0), ValueError, "latent_dim"),
    (lambda: vae.iwae_bound(VAE(2, 8), torch.rand(2, 1, 28, 28) * 2), ValueError, "0, 1"),
    (lambda: vae.iwae_bound(torch.nn.Linear(2, 2), torch.rand(2, 1, 28, 28)), TypeError, "VAE"),
])
def test_vae_errors(call, err, message):
    with pytest.raises(err, match=message):
        call()


def test_prior_coverage():
    """Held-out codes from the training distribution score about 1, codes from elsewhere far more."""
    g = torch.Generator().manual_seed(0)
    train_codes = torch.randn(2000, 4, generator=g)
    same = torch.randn(500, 4, generator=g)
    assert vae.prior_coverage(train_codes, same, torch.randn(500, 4, generator=g)) == pytest.approx(1, abs=0.1)
    assert vae.prior_coverage(train_codes, 3 + torch.randn(500, 4, generator=g), same) > 2
    with pytest.raises(ValueError, match="same d"):
        vae.prior_coverage(train_codes, torch.randn(5, 3), same)


def test_assignment_2_check_needs_eval_mode():
    """check_reconstruction_and_kl hands over the model in training mode, as fit leaves it: an answer
    without model.eval() measures sampled codes and fails; eval() in any form passes."""
    from torch.nn import functional as F

    from course_utils import checks

    torch.manual_seed(0)
    model, x = VAE(latent_dim=4, hidden=32), torch.rand(16, 1, 28, 28)

    def measure(m, x, switch=True):
        if switch:
            m.train(False)  # model.eval() in another form
        with torch.no_grad():
            x_hat, mu, logvar = m(x)
        return ((F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)).item(),
                vae.kl_divergence(mu, logvar).mean().item())

    checks.check_reconstruction_and_kl(measure, model.eval(), x)  # passes, whatever mode it came in
    with pytest.raises(checks.ExerciseFeedback, match="eval"):
        checks.check_reconstruction_and_kl(lambda m, x: measure(m, x, switch=False), model.eval(), x)


def test_dequantize():
    x = torch.randint(0, 256, (20, 1, 28, 28)).float() / 255
    x_deq = vae.dequantize(x, seed=3)
    assert x_deq.shape == x.shape and 0 < x_deq.min() and x_deq.max() < 1
    u = x_deq * 256 - (x * 255).round()                                 # each pixel stays in its bin
    assert -1e-4 < u.min() and u.max() < 1 + 1e-4 and u.std() > 0.25
    assert torch.equal(x_deq, vae.dequantize(x, seed=3)) and not torch.equal(x_deq, vae.dequantize(x, seed=4))
    with pytest.raises(ValueError, match="already dequantised"):
        vae.dequantize(x_deq)
