"""Auto-checked exercises: each check says what is wrong and gives a hint, never a bare assert."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.distributions import Normal, kl_divergence

from .metrics import psnr
from .models import LinearAutoencoder, MLPAutoencoder, count_parameters


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


def _count_feedback(case: str, got, want: int, mistakes: list[tuple[bool, str]],
                    fallback: str) -> None:
    """Feedback for a counting exercise: the hint of the first known mistake that matches."""
    if got == want:
        return
    what = f"for {case} you count {got}, expected {want}"
    for matched, hint in mistakes:
        if matched:
            _fail(what, hint)
    _fail(what, fallback)


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


def check_bce(bce: Callable) -> None:
    """Exercise 2 of notebook 02: binary cross-entropy (Bernoulli negative log-likelihood)."""
    g = torch.Generator().manual_seed(2)
    x = torch.rand(8, 1, 28, 28, generator=g)
    x_hat = torch.rand(8, 1, 28, 28, generator=g) * 0.98 + 0.01
    want = nn.functional.binary_cross_entropy(x_hat, x)
    got = _call(bce, x_hat, x)
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        _fail(f"bce should return a single number as a tensor, got {got!r:.60}",
              "average over all pixels and images with .mean()")
    if torch.isclose(got, want, rtol=1e-4):
        _ok("BCE is the negative log-likelihood of the pixels under independent Bernoullis.")
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


def check_encode(encode: Callable, model: nn.Module, x: torch.Tensor) -> None:
    """Exercise 3 of notebook 02: the codes ``z`` ``(N, latent_dim)`` of a batch, without gradients."""
    z = _call(encode, model, x)
    want = (len(x), model.latent_dim)
    if not isinstance(z, torch.Tensor):
        _fail(f"encode should return a tensor, got {type(z).__name__}", "return model.encoder(x)")
    if tuple(z.shape) != want:
        _fail(f"your encoder returns shape {tuple(z.shape)}; the bottleneck should be {want}",
              "use only the encoder half (model.encoder), not the whole model")
    if z.requires_grad:
        _fail("your codes still carry gradients", "compute them inside `with torch.no_grad():` "
              "(and call model.eval() first)")
    with torch.no_grad():
        ref = model.encoder(x)
    if not torch.allclose(z, ref, atol=1e-5):
        _fail("your codes differ from model.encoder(x)", "pass the images through model.encoder, "
              "unchanged")
    _ok("These codes are the learned representation: 784 pixels summarised in "
        f"{model.latent_dim} numbers.")


def check_conv_output_size(conv_output_size: Callable) -> None:
    """Exercise 1 of notebook 03: spatial size after a convolution."""
    cases = [(28, 3, 2, 1), (14, 3, 2, 1), (28, 5, 1, 0), (32, 4, 2, 1), (7, 3, 1, 1)]
    for size, kernel, stride, padding in cases:
        conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
        want = conv(torch.zeros(1, 1, size, size)).shape[-1]
        got = _call(conv_output_size, size, kernel, stride, padding)
        if got == want:
            continue
        if got == (size + 2 * padding - kernel) / stride + 1:
            _fail(f"for size={size}, kernel={kernel}, stride={stride}, padding={padding} you "
                  f"return {got}, expected {want}", "a layer has a whole number of outputs: "
                  "use integer division //")
        _fail(f"for size={size}, kernel={kernel}, stride={stride}, padding={padding} you return "
              f"{got}, expected {want}", "(size + 2 * padding - kernel) // stride + 1")
    _ok("Two stride-2 convolutions take 28x28 to 14x14 to 7x7.")


def check_conv_parameters(conv_parameters: Callable) -> None:
    """Exercise 2 of notebook 03: parameters of one ``nn.Conv2d`` layer."""
    for c_in, c_out, kernel in ((1, 16, 3), (16, 32, 3), (3, 8, 5)):
        want = count_parameters(nn.Conv2d(c_in, c_out, kernel))
        got = _call(conv_parameters, c_in, c_out, kernel)
        _count_feedback(f"({c_in}, {c_out}, {kernel})", got, want, [
            (got == c_in * c_out * kernel * kernel, "each output channel also has one bias"),
            (got == c_out * kernel * kernel + c_out,
             "each filter spans all input channels: kernel x kernel x c_in weights"),
        ], "c_out filters, each with kernel*kernel*c_in weights and one bias")
    _ok("The count does not depend on the image size: the same filter slides everywhere.")


def check_upsample(make_upsample: Callable) -> None:
    """Exercise 3 of notebook 03: a block mapping ``(N, c_in, 7, 7)`` to ``(N, c_out, 14, 14)``."""
    block = _call(make_upsample, 32, 16)
    if not isinstance(block, nn.Module):
        _fail(f"make_upsample should return an nn.Module, got {type(block).__name__}",
              "return nn.ConvTranspose2d(...) or an nn.Sequential")
    out = block(torch.zeros(2, 32, 7, 7))
    if tuple(out.shape) != (2, 16, 14, 14):
        hint = ("add output_padding=1: with stride 2, padding 1 and kernel 3 a transposed "
                "convolution gives 13, one short" if tuple(out.shape[-2:]) == (13, 13)
                else "use stride=2 to double the size, and c_out output channels")
        _fail(f"your block maps (2, 32, 7, 7) to {tuple(out.shape)}; expected (2, 16, 14, 14)", hint)
    _ok("A stride-2 transposed convolution doubles the size: the mirror of the encoder's stride 2.")


def check_to_ntc(to_ntc: Callable) -> None:
    """Exercise 1 of notebook 04: ``(N, C, T)`` => ``(N, T, C)``."""
    x = torch.arange(2 * 3 * 5, dtype=torch.float32).reshape(2, 3, 5)   # N=2, C=3, T=5
    got = _call(to_ntc, x)
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != (2, 5, 3):
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        _fail(f"for input (N, C, T) = (2, 3, 5) you return {shape}; expected (2, 5, 3)",
              "swap the last two dimensions: x.transpose(1, 2)")
    if not torch.equal(got, x.transpose(1, 2)):
        _fail("the shape is right but the values are scrambled", "reshape reorders memory; "
              "transpose (or permute(0, 2, 1)) swaps axes")
    _ok("Time is the second axis, channels the last: (N, T, C).")


def check_shift_right(shift_right: Callable) -> None:
    """Exercise 2 of notebook 04: the teacher-forcing input (a zero first step, then x[:, :-1])."""
    x = torch.arange(1, 13, dtype=torch.float32).reshape(2, 6, 1)
    want = torch.cat([torch.zeros(2, 1, 1), x[:, :-1]], dim=1)
    got = _call(shift_right, x)
    if not isinstance(got, torch.Tensor) or got.shape != x.shape:
        _fail(f"shift_right should keep the shape {tuple(x.shape)}", "prepend one zero step and "
              "drop the last step, so the length stays T")
    if torch.equal(got, torch.cat([x[:, 1:], torch.zeros(2, 1, 1)], dim=1)):
        _fail("you shifted to the left", "at step t the decoder may see x[t-1], never x[t+1]")
    if not torch.equal(got, want):
        _fail("the values are not x shifted by one step", "torch.cat([zeros, x[:, :-1]], dim=1)")
    _ok("At step t the decoder sees the true x[t-1]: that is teacher forcing.")


def check_gru_parameters(gru_parameters: Callable) -> None:
    """Exercise 3 of notebook 04: parameters of a one-layer ``nn.GRU``."""
    for inputs, hidden in ((1, 48), (8, 48), (3, 10)):
        want = count_parameters(nn.GRU(inputs, hidden))
        got = _call(gru_parameters, inputs, hidden)
        _count_feedback(f"({inputs}, {hidden})", got, want, [
            (got == 3 * (hidden * inputs + hidden * hidden),
             "each gate has two bias vectors in PyTorch (input and hidden side)"),
            (got == hidden * inputs + hidden * hidden + 2 * hidden,
             "a GRU has three sets of weights: reset gate, update gate, candidate state"),
        ], "3 x (hidden*inputs + hidden*hidden + 2*hidden)")
    _ok("The count does not depend on the sequence length: the same cell runs at every step.")


def check_psnr(psnr_db: Callable) -> None:
    """Exercise 1 of notebook 05: PSNR in dB for images in [0, 1]."""
    g = torch.Generator().manual_seed(5)
    x = torch.rand(4, 1, 28, 28, generator=g)
    for sigma in (0.05, 0.2):
        x_hat = (x + sigma * torch.randn(x.shape, generator=g)).clamp(0, 1)
        want = psnr(x, x_hat)
        got = float(_call(psnr_db, x, x_hat))
        if abs(got - want) < 1e-3:
            continue
        mse = torch.mean((x - x_hat) ** 2).item()
        if abs(got - 10 * torch.log(torch.tensor(1 / mse)).item()) < 1e-3:
            _fail(f"you return {got:.2f}, expected {want:.2f}", "decibels use log10, not log")
        if abs(got - want / 10) < 1e-3:
            _fail(f"you return {got:.2f}, expected {want:.2f}", "multiply the log10 by 10")
        if abs(got + want) < 1e-3:
            _fail(f"you return {got:.2f}, expected {want:.2f}", "it is 1 / MSE inside the log "
                  "(peak squared over error), so a better image gives a larger PSNR")
        _fail(f"you return {got:.2f}, expected {want:.2f}", "10 * log10(1 / MSE), with MSE the "
              "mean over all pixels")
    _ok("Every 3 dB is a halving of the squared error.")


def check_training_pair(make_training_pair: Callable, x: torch.Tensor) -> None:
    """Exercise 2 of notebook 05: ``(model input, target)`` for a denoising autoencoder."""
    pair = _call(make_training_pair, x, 0.3, 0)
    if not (isinstance(pair, tuple) and len(pair) == 2):
        _fail("make_training_pair should return a pair (inputs, targets)", "return noisy, x")
    inputs, targets = pair
    if torch.equal(inputs, x) and not torch.equal(targets, x):
        _fail("the clean images are the input and the noisy ones the target", "the model sees the "
              "corrupted images and must recover the clean originals: return (noisy, x)")
    if torch.equal(inputs, x):
        _fail("the model's input is the clean image, so this trains a plain autoencoder",
              "corrupt the input: noisy = noise.gaussian_noise(x, sigma, seed=seed)")
    if not torch.equal(targets, x):
        _fail("the target is not the clean image", "the target is x itself, untouched")
    if inputs.min() < 0 or inputs.max() > 1:
        _fail("the noisy images leave [0, 1]", "clip them (noise.gaussian_noise does)")
    noise_std = (inputs - x).std().item()
    if not 0.1 < noise_std < 0.35:
        _fail(f"the noise has standard deviation {noise_std:.2f}; expected about 0.25 after "
              "clipping at sigma = 0.3", "use the sigma you are given")
    _ok("Corrupted input, clean target: the whole idea of a denoising autoencoder.")


def check_best_k(best_k: Callable, pca, noisy_val: torch.Tensor, clean_val: torch.Tensor) -> None:
    """Exercise 3 of notebook 05: choose PCA's ``k`` for denoising on validation data."""
    ks = [8, 16, 32, 64, 128, 256]
    scores = {k: psnr(clean_val, pca.reconstruct(noisy_val, k).clamp(0, 1)) for k in ks}
    want = max(scores, key=scores.get)
    got = _call(best_k, pca, noisy_val, clean_val, ks)
    if got == want:
        _ok(f"k = {want} gives {scores[want]:.2f} dB on validation data; too few components "
            "blur, too many let the noise through.")
        return
    if got == min(scores, key=scores.get):
        _fail(f"you chose k = {got}, the worst of the list", "a larger PSNR is better: take the max")
    if got not in scores:
        _fail(f"you return {got!r}, which is not one of {ks}", "return the best k from the list")
    _fail(f"you chose k = {got} ({scores[got]:.2f} dB); k = {want} gives {scores[want]:.2f} dB",
          "compare each reconstruction with the CLEAN validation images")


def check_discrete_kl(discrete_kl: Callable) -> None:
    """Exercise 1 of notebook 06: D_KL(P || Q) = sum_i P(i) log(P(i) / Q(i))."""
    p = torch.tensor([0.6, 0.3, 0.1])
    q = torch.tensor([0.2, 0.5, 0.3])
    want = float((p * (p / q).log()).sum())
    got = float(_call(discrete_kl, p, q))
    if abs(got - want) < 1e-5:
        if abs(float(_call(discrete_kl, p, p))) > 1e-6:
            _fail("KL(P || P) should be 0", "log(P / P) = 0 for every i")
        _ok(f"KL(P || Q) = {want:.4f} nats; it is zero only when P = Q, and not symmetric.")
        return
    if abs(got - float((q * (q / p).log()).sum())) < 1e-5:
        _fail("you computed KL(Q || P)", "weight the log-ratio by P, the first argument")
    if abs(got + want) < 1e-5:
        _fail(f"your value {got:.4f} has the wrong sign", "it is log(P / Q), not log(Q / P)")
    _fail(f"your value {got:.4f}, expected {want:.4f}", "(p * torch.log(p / q)).sum()")


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
          "-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)")


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
    if abs(mean - 3.0) > 0.05:
        _fail(f"your samples have mean {mean:.2f}; expected mu = 3", "add mu")
    if abs(std - 0.25) < 0.02:
        _fail(f"your samples have standard deviation {std:.2f}; expected 0.5", "logvar is the log "
              "of the variance: std = exp(logvar / 2), not exp(logvar)")
    if abs(std - 0.5) > 0.02:
        _fail(f"your samples have standard deviation {std:.2f}; expected 0.5",
              "std = torch.exp(0.5 * logvar)")
    _ok("The randomness sits in eps, so gradients reach mu and logvar.")
