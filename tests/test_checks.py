import json
from copy import deepcopy

import numpy as np
import pytest
import torch

from course_utils import checks, jets, search, train
from course_utils.models import PCA, LinearAutoencoder, MLPAutoencoder


@pytest.fixture
def svd(low_rank_data):
    mean = low_rank_data.mean(0)
    _, s, vh = torch.linalg.svd(low_rank_data - mean, full_matrices=False)
    return low_rank_data, mean, s, vh.T


def _stub(*args):
    raise NotImplementedError()


def test_variance_fraction(svd, capsys):
    _, _, s, _ = svd
    checks.check_variance_fraction(lambda s, k: ((s[:k] ** 2).sum() / (s**2).sum()).item(), s)
    assert "Correct" in capsys.readouterr().out
    with pytest.raises(checks.ExerciseFeedback, match="s_i squared"):
        checks.check_variance_fraction(lambda s, k: (s[:k].sum() / s.sum()).item(), s)
    with pytest.raises(checks.ExerciseFeedback, match="more than 1"):
        checks.check_variance_fraction(lambda s, k: (s[:k] ** 2).sum().item(), s)
    with pytest.raises(checks.ExerciseFeedback, match="NotImplementedError"):
        checks.check_variance_fraction(_stub, s)
    with pytest.raises(checks.ExerciseFeedback, match="pass the function itself"):
        checks.check_variance_fraction(0.5, s)


def test_pca_reconstruct(svd):
    x, mean, _, V = svd
    x = torch.cat([x, x], dim=1)[:, :32]  # needs at least 32 features for k = 32
    mean = x.mean(0)
    V = PCA().fit(x).components
    checks.check_pca_reconstruct(lambda x, m, V, k: m + (x - m) @ V[:, :k] @ V[:, :k].T, x, mean, V)
    with pytest.raises(checks.ExerciseFeedback, match="subtract the mean"):
        checks.check_pca_reconstruct(lambda x, m, V, k: x @ V[:, :k] @ V[:, :k].T, x, mean, V)
    with pytest.raises(checks.ExerciseFeedback, match="add the mean back"):
        checks.check_pca_reconstruct(lambda x, m, V, k: (x - m) @ V[:, :k] @ V[:, :k].T, x, mean, V)
    with pytest.raises(checks.ExerciseFeedback, match=r"returns shape \(500, 1\)"):
        checks.check_pca_reconstruct(lambda x, m, V, k: (x - m) @ V[:, :k], x, mean, V)


def test_reparameterize_weights():
    model = LinearAutoencoder(784, 4)
    x = torch.rand(20, 784)

    def good(model, A):
        new = deepcopy(model)
        with torch.no_grad():
            new.encoder.weight.copy_(A @ model.encoder.weight)
            new.encoder.bias.copy_(A @ model.encoder.bias)
            new.decoder.weight.copy_(model.decoder.weight @ torch.linalg.inv(A))
        return new

    def forgot_bias(model, A):
        new = good(model, A)
        with torch.no_grad():
            new.encoder.bias.copy_(model.encoder.bias)
        return new

    def fresh(model, A):  # another valid form: a new model, the inverse through a solve
        new = LinearAutoencoder(784, model.latent_dim)
        state = model.state_dict()
        state["encoder.weight"], state["encoder.bias"] = A @ state["encoder.weight"], A @ state["encoder.bias"]
        state["decoder.weight"] = torch.linalg.solve(A.T, state["decoder.weight"].T).T
        new.load_state_dict(state)
        return new

    def doubled(model, A):  # ignores A: encoder and its bias times 2, decoder halved
        new = deepcopy(model)
        with torch.no_grad():
            new.encoder.weight.mul_(2), new.encoder.bias.mul_(2), new.decoder.weight.div_(2)
        return new

    def inverse_code(model, A):  # computes A^-1 z instead of A z: same reconstructions, wrong code
        new = deepcopy(model)
        A_inv = torch.linalg.inv(A)
        with torch.no_grad():
            new.encoder.weight.copy_(A_inv @ model.encoder.weight)
            new.encoder.bias.copy_(A_inv @ model.encoder.bias)
            new.decoder.weight.copy_(model.decoder.weight @ A)
        return new

    checks.check_reparameterize_weights(good, model, x)
    checks.check_reparameterize_weights(fresh, model, x)
    small_bias = deepcopy(model)   # helper-35: with a small b_e, the reconstructions barely change
    with torch.no_grad():
        small_bias.encoder.bias.mul_(0.01)
    with pytest.raises(checks.ExerciseFeedback, match="encoder bias is not A @ b_e"):
        checks.check_reparameterize_weights(forgot_bias, small_bias, x)
    with pytest.raises(checks.ExerciseFeedback, match="encoder weight is not A @ W_e"):
        checks.check_reparameterize_weights(inverse_code, model, x)
    with pytest.raises(checks.ExerciseFeedback, match=r"2 x W_e, whatever A is\nHint: use the matrix"):
        checks.check_reparameterize_weights(doubled, model, x)
    with pytest.raises(checks.ExerciseFeedback, match="not a linear autoencoder of the same sizes"):
        checks.check_reparameterize_weights(lambda m, A: LinearAutoencoder(784, 3), model, x)
    with pytest.raises(checks.ExerciseFeedback, match="bias"):
        checks.check_reparameterize_weights(forgot_bias, model, x)
    with pytest.raises(checks.ExerciseFeedback, match="returned the model you were given"):
        checks.check_reparameterize_weights(lambda m, A: m, model, x)
    with pytest.raises(checks.ExerciseFeedback, match="did not change"):
        checks.check_reparameterize_weights(lambda m, A: deepcopy(m), model, x)
    with pytest.raises(checks.ExerciseFeedback, match="return a model"):
        checks.check_reparameterize_weights(lambda m, A: A, model, x)


def test_feedback_is_an_assertion_with_a_hint():
    with pytest.raises(AssertionError) as info:
        checks.check_variance_fraction(_stub, torch.tensor([2.0, 1.0]))
    assert "Hint:" in str(info.value)


def test_mlp_parameters():
    def good(sizes):
        layers = list(zip(sizes[:-1], sizes[1:]))
        return sum(a * b + b for a, b in layers) + sum(a * b + a for a, b in layers)

    checks.check_mlp_parameters(good)
    with pytest.raises(checks.ExerciseFeedback, match="biases"):
        checks.check_mlp_parameters(lambda s: 2 * sum(a * b for a, b in zip(s[:-1], s[1:])))
    with pytest.raises(checks.ExerciseFeedback, match="count the decoder too"):
        checks.check_mlp_parameters(lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:])))


def test_bce():
    formula = lambda x_hat, x: -(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat))  # noqa: E731
    checks.check_bce(lambda x_hat, x: formula(x_hat, x).mean())
    checks.check_bce(lambda x_hat, x: formula(x_hat, x).mean().item())  # a float is correct too
    for builtin in (lambda x_hat, x: torch.nn.functional.binary_cross_entropy(x_hat, x),
                    lambda x_hat, x: torch.nn.BCELoss()(x_hat, x)):  # the exercise forbids both
        with pytest.raises(checks.ExerciseFeedback, match="PyTorch's own binary cross-entropy"):
            checks.check_bce(builtin)
    with pytest.raises(checks.ExerciseFeedback, match="wrong sign"):
        checks.check_bce(lambda x_hat, x: -formula(x_hat, x).mean())
    with pytest.raises(checks.ExerciseFeedback, match="swaps"):
        checks.check_bce(lambda x_hat, x: formula(x, x_hat).mean())
    with pytest.raises(checks.ExerciseFeedback, match="sum"):
        checks.check_bce(lambda x_hat, x: formula(x_hat, x).sum())
    with pytest.raises(checks.ExerciseFeedback, match="single number"):
        checks.check_bce(lambda x_hat, x: formula(x_hat, x))


def test_encode():
    model = MLPAutoencoder(8)
    x = torch.rand(64, 1, 28, 28)

    def good(model, x):
        model.eval()
        with torch.no_grad():
            return model.encoder(x)

    def forgot_eval(model, x):
        with torch.no_grad():
            return model.encoder(x)

    checks.check_encode(good, model, x)
    with torch.inference_mode():  # another valid form: no graph is built
        checks.check_encode(lambda m, x: m.eval().encoder(x), model, x)
    with pytest.raises(checks.ExerciseFeedback, match="gradient tracking on"):  # graph built, then cut
        checks.check_encode(lambda m, x: m.eval().encoder(x).detach(), model, x)

    def encoder_eval(model, x):  # another valid form: only the encoder in evaluation mode
        model.encoder.eval()
        with torch.no_grad():
            return model.encoder(x)

    checks.check_encode(encoder_eval, model, x)
    checks.check_encode(lambda m, x: train.predict(m.encoder, x), model, x)  # the course's helper
    with pytest.raises(checks.ExerciseFeedback, match="training mode"):
        checks.check_encode(forgot_eval, model, x)
    with pytest.raises(checks.ExerciseFeedback,
                       match=r"returns shape \(64, 784\); the bottleneck should be \(64, 8\)"):
        checks.check_encode(lambda m, x: x.reshape(64, -1), model, x)
    with pytest.raises(checks.ExerciseFeedback, match="no_grad"):
        checks.check_encode(lambda m, x: m.encoder(x), model, x)


def test_conv_exercises():
    checks.check_conv_output_size(lambda s, k, st, p: (s + 2 * p - k) // st + 1)
    with pytest.raises(checks.ExerciseFeedback, match="integer division"):
        checks.check_conv_output_size(lambda s, k, st, p: (s + 2 * p - k) / st + 1)
    checks.check_conv_parameters(lambda ci, co, k: co * (ci * k * k + 1))
    with pytest.raises(checks.ExerciseFeedback, match="bias"):
        checks.check_conv_parameters(lambda ci, co, k: co * ci * k * k)
    with pytest.raises(checks.ExerciseFeedback, match="all input channels"):
        checks.check_conv_parameters(lambda ci, co, k: co * k * k + co)
    checks.check_upsample(lambda ci, co: torch.nn.ConvTranspose2d(ci, co, 3, 2, 1, output_padding=1))
    checks.check_upsample(lambda ci, co: torch.nn.Sequential(  # another valid form
        torch.nn.ConvTranspose2d(ci, co, (3, 3), stride=2, padding=1, output_padding=1), torch.nn.ReLU()))
    with pytest.raises(checks.ExerciseFeedback, match="kernel size 4x4; the exercise asks for 3x3"):
        checks.check_upsample(lambda ci, co: torch.nn.ConvTranspose2d(ci, co, 4, 2, 1))  # 14 x 14 too
    with pytest.raises(checks.ExerciseFeedback, match="without a transposed convolution"):
        checks.check_upsample(lambda ci, co: torch.nn.Sequential(
            torch.nn.Upsample(scale_factor=2), torch.nn.Conv2d(ci, co, 3, padding=1)))
    with pytest.raises(checks.ExerciseFeedback, match="output_padding=1"):
        checks.check_upsample(lambda ci, co: torch.nn.ConvTranspose2d(ci, co, 3, 2, 1))
    with pytest.raises(checks.ExerciseFeedback, match="stride 1: it does not upsample"):
        checks.check_upsample(lambda ci, co: torch.nn.Sequential(  # the upsampling is not learned
            torch.nn.ConvTranspose2d(ci, co, 3, padding=1), torch.nn.Upsample(scale_factor=2)))
    with pytest.raises(checks.ExerciseFeedback, match="use the arguments"):  # ignores c_in, c_out
        checks.check_upsample(lambda ci, co: torch.nn.ConvTranspose2d(32, 16, 3, 2, 1, output_padding=1))


def test_sequence_exercises():
    checks.check_to_ntc(lambda x: x.transpose(1, 2))
    with pytest.raises(checks.ExerciseFeedback, match="scrambled"):
        checks.check_to_ntc(lambda x: x.reshape(x.shape[0], x.shape[2], x.shape[1]))
    checks.check_shift_right(lambda x: torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1))
    with pytest.raises(checks.ExerciseFeedback, match="wrapped around"):
        checks.check_shift_right(lambda x: torch.roll(x, 1, dims=1))
    with pytest.raises(checks.ExerciseFeedback, match="left"):
        checks.check_shift_right(lambda x: torch.cat([x[:, 1:], torch.zeros_like(x[:, :1])], 1))
    with pytest.raises(checks.ExerciseFeedback, match=r"shape \(N, T, C\) = \(2, 6, 3\).*raises"):
        checks.check_shift_right(lambda x: torch.cat([torch.zeros(len(x), 1, 1), x[:, :-1]], 1))
    with pytest.raises(checks.ExerciseFeedback, match="C = 3 channels"):  # shifts single values
        checks.check_shift_right(lambda x: torch.cat([torch.zeros(len(x), 1), x.reshape(len(x), -1)[:, :-1]],
                                                     1).reshape(x.shape))
    checks.check_gru_parameters(lambda i, h: 3 * (h * i + h * h + 2 * h))
    checks.check_gru_parameters(lambda i, h: 3 * h * (i + h + 2))  # another valid form
    with pytest.raises(checks.ExerciseFeedback, match="two bias vectors"):
        checks.check_gru_parameters(lambda i, h: 3 * (h * i + h * h))
    with pytest.raises(checks.ExerciseFeedback, match=r"(?s)textbook GRU.*keeps two.*bias_ih.*bias_hh"):
        checks.check_gru_parameters(lambda i, h: 3 * (h * i + h * h + h))  # one bias per gate
    for wrong in (lambda i, h: 3 * (h * i + h * h + h), lambda i, h: 4 * (h * i + h * h + 2 * h),
                  lambda i, h: 0):  # every hint leaves the counting to the student
        with pytest.raises(checks.ExerciseFeedback) as info:
            checks.check_gru_parameters(wrong)
        assert "2*hidden" not in str(info.value) and "3 x" not in str(info.value)


def test_denoising_exercises():
    from course_utils import metrics, noise

    checks.check_psnr(lambda x, y: metrics.psnr(x, y))
    per_image = lambda x, y: 10 * torch.log10(1 / ((x - y) ** 2).flatten(1).mean(1))  # noqa: E731
    checks.check_psnr(lambda x, y: per_image(x, y).mean())  # the mean of per-image PSNRs: allowed
    with pytest.raises(checks.ExerciseFeedback, match="you return 4 numbers"):
        checks.check_psnr(per_image)
    with pytest.raises(checks.ExerciseFeedback, match="log10"):
        checks.check_psnr(lambda x, y: (10 * torch.log(1 / ((x - y) ** 2).mean())).item())
    x = torch.rand(64, 1, 28, 28)
    checks.check_training_pair(lambda x, s, seed: (noise.gaussian_noise(x, s, seed=seed), x), x)
    checks.check_training_pair(  # another valid form: its own generator, seeded
        lambda x, s, seed: ((x + s * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed)))
                            .clamp(0, 1), x), x)
    with pytest.raises(checks.ExerciseFeedback, match="(?s)at sigma = 0.1 .* use the sigma you are given"):
        checks.check_training_pair(lambda x, s, seed: (noise.gaussian_noise(x, 0.3, seed=seed), x), x)
    with pytest.raises(checks.ExerciseFeedback, match="at sigma = 0.5"):
        checks.check_training_pair(lambda x, s, seed: (noise.gaussian_noise(x, min(s, 0.3), seed=seed), x), x)
    with pytest.raises(checks.ExerciseFeedback, match="same seed give different noise"):
        checks.check_training_pair(lambda x, s, seed: (noise.gaussian_noise(x, s), x), x)
    with pytest.raises(checks.ExerciseFeedback, match="different seed gives the same noise"):
        checks.check_training_pair(lambda x, s, seed: (noise.gaussian_noise(x, s, seed=0), x), x)
    with pytest.raises(checks.ExerciseFeedback, match="plain autoencoder"):
        checks.check_training_pair(lambda x, s, seed: (x, x), x)
    with pytest.raises(checks.ExerciseFeedback, match="clean images are the input"):
        checks.check_training_pair(lambda x, s, seed: (x, noise.gaussian_noise(x, s, seed=seed)), x)
    clean = torch.rand(200, 1, 28, 28)
    pca = PCA().fit(torch.rand(300, 1, 28, 28))
    noisy = noise.gaussian_noise(clean, 0.3, seed=0)

    def best(pca, noisy, clean, ks):
        return max(ks, key=lambda k: metrics.psnr(clean, pca.reconstruct(noisy, k).clamp(0, 1)))

    ks = (8, 16, 32, 64, 128, 256)
    checks.check_best_k(best, pca, noisy, clean, ks)
    checks.check_best_k(best, pca, noisy, clean, list(ks))  # a list is fine too
    with pytest.raises(checks.ExerciseFeedback):
        checks.check_best_k(lambda *a: 12345, pca, noisy, clean, ks)
    fixed = best(pca, noisy, clean, ks)          # right for this case, hard-coded
    with pytest.raises(checks.ExerciseFeedback, match="do not fix k in advance"):
        checks.check_best_k(lambda *a: fixed, pca, noisy, clean, ks)


def test_vae_exercises():
    checks.check_discrete_kl(lambda p, q: torch.where(p > 0, p * torch.log(p / q), 0.0).sum())
    checks.check_discrete_kl(lambda p, q: torch.special.xlogy(p, p / q).sum())  # another valid form
    with pytest.raises(checks.ExerciseFeedback, match="in bits"):
        checks.check_discrete_kl(lambda p, q: torch.where(p > 0, p * torch.log2(p / q), 0.0).sum())
    with pytest.raises(checks.ExerciseFeedback, match=r"(?s)for P = \[0.5, 0.5, 0.0\] you return nan.*P\(i\) = 0"):
        checks.check_discrete_kl(lambda p, q: (p * torch.log(p / q)).sum())  # 0 * log 0 = nan
    with pytest.raises(checks.ExerciseFeedback, match=r"KL\(Q \|\| P\)"):
        checks.check_discrete_kl(lambda p, q: (q * torch.log(q / p)).sum())
    checks.check_gaussian_kl(lambda mu, lv: -0.5 * (1 + lv - mu**2 - lv.exp()).sum(dim=1))
    with pytest.raises(checks.ExerciseFeedback, match="twice"):
        checks.check_gaussian_kl(lambda mu, lv: -(1 + lv - mu**2 - lv.exp()).sum(dim=1))
    with pytest.raises(checks.ExerciseFeedback, match="one value per sample"):
        checks.check_gaussian_kl(lambda mu, lv: -0.5 * (1 + lv - mu**2 - lv.exp()))
    checks.check_reparameterize(lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn_like(mu))
    checks.check_reparameterize(lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape))
    fixed_noise = lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(  # noqa: E731
        mu.shape, generator=torch.Generator().manual_seed(0))
    with pytest.raises(checks.ExerciseFeedback, match="two calls return the same z"):
        checks.check_reparameterize(fixed_noise)
    with pytest.raises(checks.ExerciseFeedback, match="beyond 2 standard deviations"):   # mean 0, variance 1
        checks.check_reparameterize(lambda mu, lv: mu + (0.5 * lv).exp() * (torch.rand_like(mu) - 0.5) * 12**0.5)
    with pytest.raises(checks.ExerciseFeedback, match="beyond 2 standard deviations"):
        checks.check_reparameterize(lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn_like(mu).sign())
    with pytest.raises(checks.ExerciseFeedback, match="gradients are zero"):
        checks.check_reparameterize(lambda mu, lv: torch.normal(mu, torch.exp(0.5 * lv)))
    with pytest.raises(checks.ExerciseFeedback, match="gradients"):
        checks.check_reparameterize(lambda mu, lv: mu + torch.exp(0.5 * lv).detach() * torch.randn_like(mu))
    with pytest.raises(checks.ExerciseFeedback, match="(?s)standard deviation 0.25; expected 0.5.*log of the variance"):
        checks.check_reparameterize(lambda mu, lv: mu + torch.exp(lv) * torch.randn_like(mu))
    with pytest.raises(checks.ExerciseFeedback, match="mean -?0.00; expected mu = 3"):
        checks.check_reparameterize(lambda mu, lv: torch.exp(0.5 * lv) * torch.randn_like(mu) + 0 * mu)
    with pytest.raises(checks.ExerciseFeedback, match="gradients of z are not those"):  # right numbers, wrong path
        checks.check_reparameterize(lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn_like(mu) + 0.01 * (lv - lv.detach()))
    with pytest.raises(checks.ExerciseFeedback, match="no gradient"):
        checks.check_reparameterize(lambda mu, lv: torch.normal(mu.detach(), torch.exp(0.5 * lv.detach())))
    with pytest.raises(checks.ExerciseFeedback, match="correlation 1.00"):  # one eps for all dimensions
        checks.check_reparameterize(lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn(len(mu), 1))


def test_anomaly_exercises(capsys):
    checks.check_per_image_error(lambda x, y: (x - y).pow(2).flatten(1).sum(1))
    with pytest.raises(checks.ExerciseFeedback, match="single number"):
        checks.check_per_image_error(lambda x, y: (x - y).pow(2).sum())
    with pytest.raises(checks.ExerciseFeedback, match="averaged over the pixels"):
        checks.check_per_image_error(lambda x, y: (x - y).pow(2).flatten(1).mean(1))
    with pytest.raises(checks.ExerciseFeedback, match="square the differences"):
        checks.check_per_image_error(lambda x, y: (x - y).abs().flatten(1).sum(1))

    checks.check_threshold_for_fpr(lambda s, f: torch.quantile(s, 1 - f).item())
    with pytest.raises(checks.ExerciseFeedback, match="ABOVE the threshold"):
        checks.check_threshold_for_fpr(lambda s, f: torch.quantile(s, f).item())
    with pytest.raises(checks.ExerciseFeedback, match="NotImplementedError"):
        checks.check_threshold_for_fpr(_stub)
    with pytest.raises(checks.ExerciseFeedback, match="expected 5%"):  # a Gaussian quantile of skewed scores
        checks.check_threshold_for_fpr(lambda s, f: (s.mean() + 1.6448536 * s.std()).item())

    def ranking(scores, is_anomaly, ties=0.5, flip=False):
        a, n = scores[is_anomaly], scores[~is_anomaly]
        d = (n[None, :] - a[:, None]) if flip else (a[:, None] - n[None, :])
        return ((d > 0).double().mean() + ties * (d == 0).double().mean()).item()

    checks.check_auroc_by_ranking(ranking)
    assert "roc_auc_score" in capsys.readouterr().out
    with pytest.raises(checks.ExerciseFeedback, match="1 - AUROC"):
        checks.check_auroc_by_ranking(lambda s, a: ranking(s, a, flip=True))
    with pytest.raises(checks.ExerciseFeedback, match="one half"):
        checks.check_auroc_by_ranking(lambda s, a: ranking(s, a, ties=0.0))
    from sklearn.metrics import roc_auc_score  # imported by the student: still caught

    with pytest.raises(checks.ExerciseFeedback, match="calls sklearn"):
        checks.check_auroc_by_ranking(lambda s, a: float(roc_auc_score(a.numpy(), s.numpy())))
    checks.check_auroc_by_ranking(ranking)  # the watch is gone afterwards: the right answer passes


def test_assignment_1_checks():
    from torch import nn

    from course_utils.models import ConvAutoencoder

    checks.check_conv_autoencoder(lambda: ConvAutoencoder(16), latent_dim=16)
    with pytest.raises(checks.ExerciseFeedback, match=r"encoder returns shape \(64, 32\); the bottleneck should be \(64, 16\)"):
        checks.check_conv_autoencoder(lambda: ConvAutoencoder(32), latent_dim=16)
    with pytest.raises(checks.ExerciseFeedback, match="NotImplementedError"):
        checks.check_conv_autoencoder(_stub, latent_dim=16)
    with pytest.raises(checks.ExerciseFeedback, match="no nn.Conv2d"):
        checks.check_conv_autoencoder(lambda: MLPAutoencoder(16), latent_dim=16)

    class NoSigmoid(ConvAutoencoder):
        def forward(self, x):
            return 100 * (super().forward(x) - 0.5)

    with pytest.raises(checks.ExerciseFeedback, match="nn.Sigmoid"):
        checks.check_conv_autoencoder(lambda: NoSigmoid(16), latent_dim=16)
    four_d = ConvAutoencoder(16)
    four_d.encoder = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1))
    with pytest.raises(checks.ExerciseFeedback, match="flatten the feature maps"):
        checks.check_conv_autoencoder(lambda: four_d, latent_dim=16)
    one_by_one = ConvAutoencoder(16)  # a 1x1 convolution, then fully connected: not the exercise
    one_by_one.encoder = nn.Sequential(nn.Conv2d(1, 1, 1), nn.Flatten(), nn.Linear(784, 16))
    one_by_one.decoder = nn.Sequential(nn.Linear(16, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))
    with pytest.raises(checks.ExerciseFeedback, match="28x28 to 14x14 to 7x7"):
        checks.check_conv_autoencoder(lambda: one_by_one, latent_dim=16)
    no_transpose = ConvAutoencoder(16)  # the right encoder, a fully connected decoder
    no_transpose.decoder = one_by_one.decoder
    with pytest.raises(checks.ExerciseFeedback, match="does not upsample with transposed convolutions"):
        checks.check_conv_autoencoder(lambda: no_transpose, latent_dim=16)


    class ExtraLayers(nn.Module):  # valid too: a stride-1 convolution at 14x14 and at 28x28
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(784, 16))
            self.decoder = nn.Sequential(
                nn.Linear(16, 784), nn.Unflatten(1, (16, 7, 7)),
                nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                nn.ConvTranspose2d(8, 1, 3, padding=1), nn.Sigmoid())

        def forward(self, x):
            return self.decoder(self.encoder(x))

    checks.check_conv_autoencoder(ExtraLayers, latent_dim=16)


    class Identity(ConvAutoencoder):  # a perfect "reconstruction" that skips the bottleneck
        def forward(self, x):
            return x

    with pytest.raises(checks.ExerciseFeedback, match="not model.decoder\\(model.encoder\\(x\\)\\)"):
        checks.check_conv_autoencoder(lambda: Identity(16), latent_dim=16)

    class Shift(nn.Module):  # reconstructs x + delta; the parameter gives it a device
        def __init__(self, delta):
            super().__init__()
            self.delta = delta
            self.dummy = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return x + self.delta

    x = torch.rand(50, 1, 28, 28)
    assert checks.check_reconstruction_target(Shift(0.0), x, 0.01) == 0.0
    with pytest.raises(checks.ExerciseFeedback, match="is not set yet"):
        checks.check_reconstruction_target(None, x, 0.01)
    with pytest.raises(checks.ExerciseFeedback, match="far above the target"):
        checks.check_reconstruction_target(Shift(2.0), x, 0.01)
    with pytest.raises(checks.ExerciseFeedback, match="the target is at most 0.01"):
        checks.check_reconstruction_target(Shift(0.15), x, 0.01)
    with pytest.raises(checks.ExerciseFeedback, match="asks for exactly 16 numbers"):  # a 64-number code
        checks.check_reconstruction_target(ConvAutoencoder(64), x, 1.0, latent_dim=16)
    checks.check_reconstruction_target(ConvAutoencoder(16), x, 1.0, latent_dim=16)

    class Memorised(ConvAutoencoder):  # perfect on the images it was "trained" on, poor elsewhere
        def __init__(self, seen):
            super().__init__(16)
            self.seen = seen

        def forward(self, x):
            known = (x[:, None] - self.seen[None].to(x)).flatten(2).abs().amax(2).amin(1) == 0
            return torch.where(known[:, None, None, None], x, (x + 0.1).clamp(0, 1))

    x_train = torch.rand(80, 1, 28, 28)
    assert checks.check_reconstruction_target(Memorised(x_train), x_train, 0.02, x_train=x_train) == 0.0
    with pytest.raises(checks.ExerciseFeedback, match="trained on x_val"):
        checks.check_reconstruction_target(Memorised(x), x, 0.02, x_train=x_train, latent_dim=16)
    checks.check_reconstruction_target(Shift(0.05), x, 0.01, x_train=x_train)  # as good on both
    unseen = torch.rand(60, 1, 28, 28)  # validation images the notebook never loaded
    assert checks.check_reconstruction_target(Shift(0.05), x, 0.01, x_train=x_train, unseen=unseen) == \
        pytest.approx(0.0025)  # judged on the unseen images
    with pytest.raises(checks.ExerciseFeedback, match="never loaded"):  # trained on x_train + x_val
        checks.check_reconstruction_target(Memorised(torch.cat([x_train, x])), x, 0.02, x_train=x_train,
                                           unseen=unseen)
    with pytest.raises(checks.ExerciseFeedback, match=r"validation \(on 60 validation images you never "
                       r"loaded\) MSE is 0.0100; the target is at most 0.005"):
        checks.check_reconstruction_target(Shift(0.1), x, 0.005, unseen=unseen)


def test_assignment_2_checks():
    from torch.nn import functional as F

    from course_utils import vae
    from course_utils.models import VAE

    def loss(output, x, beta):
        x_hat, mu, logvar = output
        return F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x) + beta * vae.kl_divergence(mu, logvar).mean()

    checks.check_beta_vae_loss(loss)
    with pytest.raises(checks.ExerciseFeedback, match="beta = 784 in disguise"):
        checks.check_beta_vae_loss(lambda o, x, b: F.binary_cross_entropy(o[0], x) + b * vae.kl_divergence(o[1], o[2]).mean())
    with pytest.raises(checks.ExerciseFeedback, match="multiplies the KL"):
        checks.check_beta_vae_loss(lambda o, x, b: b * F.binary_cross_entropy(o[0], x, reduction="sum") / len(x)
                                   + vae.kl_divergence(o[1], o[2]).mean())

    model, x = VAE(3, 16), torch.rand(20, 1, 28, 28)

    def measure(m, x):
        m.eval()
        x_hat, mu, logvar = m(x)
        return (F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)).item(), vae.kl_divergence(mu, logvar).mean().item()

    checks.check_reconstruction_and_kl(measure, model, x)

    def forgot_eval(m, x):
        x_hat, mu, logvar = m(x)  # training mode: z is sampled
        return (F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)).item(), vae.kl_divergence(mu, logvar).mean().item()

    with pytest.raises(checks.ExerciseFeedback, match="left the model in training mode"):
        checks.check_reconstruction_and_kl(forgot_eval, model, x)
    with pytest.raises(checks.ExerciseFeedback, match="KL"):
        checks.check_reconstruction_and_kl(lambda m, x: (measure(m, x)[0], 2 * measure(m, x)[1] + 1), model, x)
    with pytest.raises(checks.ExerciseFeedback, match="KL"):  # the KL weighted 1.01 * beta
        checks.check_beta_vae_loss(lambda o, x, b: loss(o, x, 1.01 * b))

    torch.manual_seed(0)
    trained = {beta: VAE(3, 16).eval() for beta in (0.5, 1.0, 4.0)}
    with torch.no_grad():
        for scale, m in zip((3.0, 2.0, 1.0), trained.values()):
            m.to_mu.weight *= scale                  # a smaller code for a larger beta: the KL falls
        trained[4.0].decoder[2].bias += 3.0          # and the last reconstructs worst
    results = {beta: measure(m, x) for beta, m in trained.items()}
    checks.check_beta_tradeoff(results, trained, x)
    with pytest.raises(checks.ExerciseFeedback, match=r"but trained\[0.5\] gives"):  # typed numbers
        checks.check_beta_tradeoff({**results, 0.5: (250.0, 30.0)}, trained, x)
    with pytest.raises(checks.ExerciseFeedback, match="measured on x_test"):  # other images
        checks.check_beta_tradeoff({b: measure(m, torch.rand(20, 1, 28, 28)) for b, m in trained.items()},
                                   trained, x)
    with pytest.raises(checks.ExerciseFeedback, match="share one model"):
        shared = {beta: trained[1.0] for beta in trained}
        checks.check_beta_tradeoff({b: measure(m, x) for b, m in shared.items()}, shared, x)
    swapped = {0.5: trained[4.0], 1.0: trained[1.0], 4.0: trained[0.5]}
    with pytest.raises(checks.ExerciseFeedback, match="does not fall"):
        checks.check_beta_tradeoff({b: measure(m, x) for b, m in swapped.items()}, swapped, x)
    with pytest.raises(checks.ExerciseFeedback, match="one model for each beta"):
        checks.check_beta_tradeoff(results, {0.5: trained[0.5]}, x)
    with pytest.raises(checks.ExerciseFeedback, match="at least three"):
        checks.check_beta_tradeoff({}, trained, x)


def test_assignment_3_checks():
    from course_utils.data import Split

    g = torch.Generator().manual_seed(0)
    names = tuple("abc")
    train_set = Split(torch.rand(30, 1, 28, 28, generator=g), torch.arange(30) % 3, names, "toy", "train")
    val_set = Split(torch.rand(15, 1, 28, 28, generator=g), torch.arange(15) % 3, names, "toy", "val")
    test_set = Split(torch.rand(12, 1, 28, 28, generator=g), torch.arange(12) % 3, names, "toy", "test")
    x_normal, x_val = train_set.x[train_set.y == 2], val_set.x[val_set.y == 2]

    def split(x_train=x_normal, x_v=x_val, labels=test_set.y != 2):
        checks.check_one_class_split(x_train, x_v, labels, train_set, val_set, test_set, 2)

    split()
    split(labels=(test_set.y - 2).bool())  # the same labels in another valid form
    with pytest.raises(checks.ExerciseFeedback, match="True for the normal class"):
        split(labels=test_set.y == 2)
    with pytest.raises(checks.ExerciseFeedback, match="expected \\(10, 1, 28, 28\\)"):
        split(x_train=train_set.x)
    with pytest.raises(checks.ExerciseFeedback, match="x_normal_val has shape"):
        split(x_v=val_set.x)
    with pytest.raises(checks.ExerciseFeedback, match="x_normal_val holds"):
        split(x_v=train_set.x[train_set.y == 2][:5])  # training images as validation
    with pytest.raises(checks.ExerciseFeedback, match="is not set yet"):
        split(x_train=None)

    val, test = torch.randn(1000, generator=g), torch.randn(500, generator=g) + 0.5
    anomalous = torch.arange(500) % 2 == 0

    def rates(threshold):
        flagged = test > threshold
        return flagged[~anomalous].float().mean().item(), flagged[anomalous].float().mean().item()

    def threshold_value(threshold, fpr_tpr=None):
        fpr, tpr = fpr_tpr or rates(threshold)
        checks.check_threshold_value(threshold, fpr, tpr, val, test, anomalous, 0.01)

    good = torch.quantile(val, 0.99)
    threshold_value(good.item())
    threshold_value(good)  # a one-element tensor is a fine answer too
    with pytest.raises(checks.ExerciseFeedback, match="TEST scores"):
        threshold_value(torch.quantile(test[~anomalous], 0.99).item())
    with pytest.raises(checks.ExerciseFeedback, match="ABOVE the threshold"):
        threshold_value(torch.quantile(val, 0.01).item())
    fpr, tpr = rates(good.item())
    with pytest.raises(checks.ExerciseFeedback, match="that is the true-positive rate"):
        threshold_value(good.item(), (tpr, tpr))
    with pytest.raises(checks.ExerciseFeedback, match="test_tpr"):
        threshold_value(good.item(), (fpr, 1 - tpr))
    with pytest.raises(checks.ExerciseFeedback, match="test_fpr is not set yet"):
        checks.check_threshold_value(good.item(), None, None, val, test, anomalous, 0.01)

    labels = torch.rand(500, generator=g) < 0.5
    from sklearn.metrics import roc_auc_score
    auroc = roc_auc_score(labels, test)
    checks.check_auroc_value(auroc, test, labels)
    with pytest.raises(checks.ExerciseFeedback, match="1 - the right value"):
        checks.check_auroc_value(1 - auroc, test, labels)
    with pytest.raises(checks.ExerciseFeedback, match="not a percentage"):
        checks.check_auroc_value(100 * auroc, test, labels)


def test_jet_exercises():
    from course_utils import jets

    def mass(c, squared=False, phi=True):
        pt, eta, angle = c[..., 0].double(), c[..., 1].double(), c[..., 2].double()
        angle = angle if phi else torch.zeros_like(angle)
        p = torch.stack([pt * torch.cos(angle), pt * torch.sin(angle), pt * torch.sinh(eta)], -1).sum(1)
        m2 = (pt * torch.cosh(eta)).sum(1) ** 2 - (p ** 2).sum(-1)
        return m2.clamp(min=0) if squared else m2.clamp(min=0).sqrt()

    checks.check_jet_mass(mass)
    checks.check_jet_mass(lambda c: mass(c).float())  # another valid form: single precision
    with pytest.raises(checks.ExerciseFeedback, match="mass squared"):
        checks.check_jet_mass(lambda c: mass(c, squared=True))
    with pytest.raises(checks.ExerciseFeedback, match="use every direction"):
        checks.check_jet_mass(lambda c: mass(c, phi=False))

    checks.check_pixelate(jets.pixelate)
    checks.check_pixelate(lambda c, size, extent: jets.pixelate(c, size, extent).double())  # float64
    with pytest.raises(checks.ExerciseFeedback, match="sum to 1, not 100"):
        checks.check_pixelate(lambda c, size, extent: jets.pixelate(c, size, extent) / 100)
    with pytest.raises(checks.ExerciseFeedback, match="swapped"):
        checks.check_pixelate(lambda c, size, extent: jets.pixelate(c, size, extent).transpose(2, 3))
    with pytest.raises(checks.ExerciseFeedback, match="upside down"):
        checks.check_pixelate(lambda c, size, extent: jets.pixelate(c, size, extent).flip(2))

    def improvement(threshold, signal, background, cut=torch.gt):
        eps_s, eps_b = cut(signal, threshold).double().mean(), cut(background, threshold).double().mean()
        return (eps_s / eps_b.sqrt()).item()

    checks.check_improvement_at(improvement)
    checks.check_improvement_at(lambda t, s, b: search.significance_improvement(  # another valid form
        (s > t).float().mean().item(), (b > t).float().mean().item()))
    with pytest.raises(checks.ExerciseFeedback, match=r"strictly above the threshold \(>\)"):
        checks.check_improvement_at(lambda t, s, b: improvement(t, s, b, cut=torch.ge))
    with pytest.raises(checks.ExerciseFeedback, match="square root"):
        checks.check_improvement_at(lambda t, s, b: ((s > t).float().mean() / (b > t).float().mean()).item())
    with pytest.raises(checks.ExerciseFeedback, match="swapped"):
        checks.check_improvement_at(lambda t, s, b: improvement(t, b, s))


# Words of the anomaly notebooks that a physicist cutting on jets should not read in assignment 4.
NOT_JET_WORDS = ("image", "anomal", "normal", "test_fpr", "test_tpr", "false-positive", "true-positive")


def _jet_feedback(check, *args) -> str:
    with pytest.raises(checks.ExerciseFeedback) as info:
        check(*args)
    message = str(info.value)
    prose = message.replace("anomaly.reconstruction_error", "").lower()  # a function's name is code
    assert not [w for w in NOT_JET_WORDS if w in prose], message
    return message


def test_assignment_4_checks(capsys, tmp_path, monkeypatch):
    checks.check_event_score(lambda s: s.min(dim=1).values)
    checks.check_event_score(lambda s: torch.minimum(s[:, 0], s[:, 1]).double())  # another valid form
    assert "ONE tagged jet" in _jet_feedback(checks.check_event_score, lambda s: s.max(dim=1).values)
    assert "leading jet" in _jet_feedback(checks.check_event_score, lambda s: s[:, 0])
    assert "average" in _jet_feedback(checks.check_event_score, lambda s: s.mean(dim=1))
    assert ".values" in _jet_feedback(checks.check_event_score, lambda s: s.min(dim=1))

    g = torch.Generator().manual_seed(1)
    val = torch.randn(2000, generator=g)                                   # validation jets, pooled
    background, signal = torch.randn(1000, 2, generator=g), torch.randn(500, 2, generator=g) + 1.5
    event_scores = torch.cat([background, signal]).min(dim=1).values
    is_signal = torch.arange(1500) >= 1000
    threshold = torch.quantile(val, 0.9).item()
    eps_b = (background.min(dim=1).values > threshold).float().mean().item()
    eps_s = (signal.min(dim=1).values > threshold).float().mean().item()

    def working_point(t=threshold, b=eps_b, s=eps_s):
        return checks.check_working_point(t, b, s, val, event_scores, is_signal, 0.1)

    working_point()
    working_point(torch.tensor(threshold), torch.tensor(eps_b), torch.tensor(eps_s))  # tensors too
    assert "both jets tagged" in capsys.readouterr().out
    message = _jet_feedback(working_point, torch.quantile(event_scores[~is_signal], 0.9).item())
    assert "TEST scores" in message and "validation QCD jets" in message
    message = _jet_feedback(working_point, torch.quantile(val, 0.1).item())
    assert "keeps 90.0% of the validation QCD jets" in message and "ABOVE" in message
    assert "signal efficiency (eps_s)" in _jet_feedback(working_point, threshold, eps_s)
    assert "1 - the signal efficiency" in _jet_feedback(working_point, threshold, eps_b, 1 - eps_s)
    assert "eps_b is not set yet" in _jet_feedback(working_point, threshold, None)

    # a falling spectrum with a bump at 1500 GeV
    rng = np.random.default_rng(3)
    mjj = torch.from_numpy(np.concatenate([1000 + rng.exponential(250, 3000), rng.normal(1500, 40, 80)]))
    mjj = mjj[mjj < 2500]

    def good(m, mass):
        return search.bump_hunt(m, [mass])[mass].significance

    checks.check_local_significance(good, mjj)
    checks.check_local_significance(lambda m, mass: torch.tensor(good(m, mass)), mjj)   # a tensor too
    fits = search.bump_hunt(mjj, [1250.0, 1500.0])
    assert "S / sqrt(B)" in _jet_feedback(checks.check_local_significance, lambda m, mass: (
        fits[mass].observed - fits[mass].expected) / fits[mass].expected ** 0.5, mjj)
    assert ".significance" in _jet_feedback(checks.check_local_significance,
                                            lambda m, mass: search.bump_hunt(m, [mass])[mass], mjj)
    assert "expected" in _jet_feedback(checks.check_local_significance, lambda m, mass: search.sideband_fit(
        m, window=(mass - 50, mass + 50), sidebands=((1000, mass - 50), (mass + 50, 2500)),
        bin_width=50, shape="dijet").significance, mjj)

    masses = [float(m) for m in range(1200, 1801, 50)]
    scan = {m: f.significance for m, f in search.bump_hunt(mjj, masses).items()}
    best = max(scan, key=scan.get)
    assert best == 1500.0 and scan[best] > 5
    right = dict(signal=True, mass=best, significance=scan[best])
    checks.check_blackbox_answer(right, scan, mjj)
    checks.check_blackbox_answer(right, {int(m): z for m, z in scan.items()}, mjj)    # int masses too
    assert "best_tagger" in _jet_feedback(checks.check_blackbox_answer, right, scan, mjj[::2]), \
        "a scan of other events (another tagger, another threshold) is refused"
    assert "largest" in _jet_feedback(checks.check_blackbox_answer,
                                      dict(signal=True, mass=best, significance=scan[1300.0]), scan, mjj)
    assert "above 5" in _jet_feedback(checks.check_blackbox_answer,
                                      dict(signal=False, mass=None, significance=scan[best]), scan, mjj)
    assert "centre of that window" in _jet_feedback(checks.check_blackbox_answer,
                                                    dict(right, mass=1300.0), scan, mjj)
    assert "exactly the keys" in _jet_feedback(checks.check_blackbox_answer, dict(signal=True), scan, mjj)
    quiet_mjj = torch.from_numpy(1000 + np.random.default_rng(4).exponential(250, 3000))
    quiet_mjj = quiet_mjj[quiet_mjj < 2500]
    quiet = {m: f.significance for m, f in search.bump_hunt(quiet_mjj, masses).items()}
    z = max(quiet.values())
    assert z < 5
    checks.check_blackbox_answer(dict(signal=False, mass=None, significance=z), quiet, quiet_mjj)

    val_events = torch.randn(1000, 2, generator=g)
    by_event = torch.quantile(val_events.min(dim=1).values, 0.9).item()
    assert "EVENTS' scores" in _jet_feedback(
        checks.check_working_point, by_event, eps_b, eps_s, val_events.flatten(), event_scores, is_signal, 0.1)

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    (tmp_path / "jets").mkdir()
    with pytest.raises(jets.JetsUnavailableError, match="make blackbox"):
        checks.check_blackbox_truth(dict(signal=False, mass=None, significance=2.0))
    jets.blackbox_truth_file().write_text(json.dumps(dict(seed=1, signal=True, mass=1550.0, n_signal=99)))
    checks.check_blackbox_truth(dict(signal=True, mass=1500.0, significance=7.0))
    assert "W' of 1550 GeV" in _jet_feedback(checks.check_blackbox_truth,
                                             dict(signal=False, mass=None, significance=2.0))
    assert "more than 100 GeV" in _jet_feedback(checks.check_blackbox_truth,
                                                dict(signal=True, mass=1300.0, significance=7.0))
    jets.blackbox_truth_file().write_text(json.dumps(dict(seed=2, signal=False, mass=None, n_signal=0)))
    checks.check_blackbox_truth(dict(signal=False, mass=None, significance=2.0))
    assert "no signal" in _jet_feedback(checks.check_blackbox_truth, dict(signal=True, mass=1500.0, significance=7.0))

    checks.check_improvement_value(eps_s / eps_b ** 0.5, eps_s, eps_b)
    checks.check_improvement_value(torch.tensor(eps_s) / torch.tensor(eps_b).sqrt(), eps_s, eps_b)
    assert "square root" in _jet_feedback(checks.check_improvement_value, eps_s / eps_b, eps_s, eps_b)
    assert "expected" in _jet_feedback(checks.check_improvement_value, eps_b / eps_s ** 0.5, eps_s, eps_b)
