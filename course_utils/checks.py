"""Auto-checked exercises: each check says what is wrong and gives a hint, never a bare assert."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.distributions import Normal, kl_divergence

from ._validate import arguments
from .anomaly import reconstruction_error
from .data import Split
from .metrics import psnr, reconstruction_mse
from .models import PCA, MLPAutoencoder, count_parameters
from .train import predict
from .vae import kl_divergence as gaussian_kl


class ExerciseFeedback(AssertionError):
    """A wrong answer, with a message meant for the student."""


def _fail(what: str, hint: str) -> None:
    raise ExerciseFeedback(f"Not yet: {what}\nHint: {hint}")


def _argument_feedback(name: str, message: str, value) -> ExerciseFeedback:
    """A wrong argument to a check: usually a result the student has not set, or overwrote."""
    if value is None:
        return ExerciseFeedback(f"Not yet: {name} is not set yet\nHint: replace `raise "
                                "NotImplementedError()` in the cell above with your code, and run "
                                "that cell again")
    if "must be a function" in message:
        hint = ("pass the function itself, without calling it: check(my_function), not "
                "check(my_function(...))")
    else:
        hint = f"run the cells above again in order; a later cell may have replaced {name}"
    return ExerciseFeedback(f"Not yet: {message}\nHint: {hint}")


_checked = arguments(error=_argument_feedback)


def _given(condition: bool, name: str, what: str) -> None:
    """An argument the notebook passes to a check (not the student's answer) is not what it was."""
    if not condition:
        _fail(f"{name} is not {what}", f"run the cells above again in order; a later cell may "
              f"have replaced {name}")


def _scores_and_labels(scores: torch.Tensor, is_anomaly: torch.Tensor) -> None:
    _given(scores.dim() == 1 and scores.is_floating_point(), "scores", "one number per image")
    _given(is_anomaly.dtype == torch.bool and is_anomaly.shape == scores.shape, "is_anomaly",
           "a bool tensor with one entry per score")


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


@_checked
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


@_checked
def check_bce(bce: Callable) -> None:
    """Exercise 2 of notebook 02: binary cross-entropy (Bernoulli negative log-likelihood)."""
    g = torch.Generator().manual_seed(2)
    x = torch.rand(8, 1, 28, 28, generator=g)
    x_hat = torch.rand(8, 1, 28, 28, generator=g) * 0.98 + 0.01
    want = nn.functional.binary_cross_entropy(x_hat, x)
    got = _call(bce, x_hat, x)
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        got = torch.tensor(float(got))  # a Python number is a fine answer too
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        _fail(f"bce should return a single number, got {got!r:.60}",
              "average over all pixels and images with .mean()")
    got = got.detach().reshape(()).to(want.dtype)
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


@_checked
def check_encode(encode: Callable, model: nn.Module, x: torch.Tensor) -> None:
    """Exercise 3 of notebook 02: the codes ``z`` ``(N, latent_dim)`` of a batch, without gradients."""
    _given(isinstance(getattr(model, "encoder", None), nn.Module) and hasattr(model, "latent_dim"),
           "model", "an autoencoder with .encoder and .latent_dim")
    _given(x.dim() == 4 and x.is_floating_point(), "x", "a batch of images (N, 1, 28, 28)")
    modes = []  # was the model in training mode when its encoder ran?
    hook = model.encoder.register_forward_pre_hook(lambda module, args: modes.append(model.training))
    was_training = model.training
    model.train()  # as it is right after train.fit
    try:
        z = _call(encode, model, x)
    finally:
        hook.remove()
        model.train(was_training)
    want = (len(x), model.latent_dim)
    if not isinstance(z, torch.Tensor):
        _fail(f"encode should return a tensor, got {type(z).__name__}", "return model.encoder(x)")
    if tuple(z.shape) != want:
        _fail(f"your encoder returns shape {tuple(z.shape)}; the bottleneck should be {want}",
              "use only the encoder half (model.encoder), not the whole model")
    if z.requires_grad:
        _fail("your codes still carry gradients", "compute them inside `with torch.no_grad():` "
              "(and call model.eval() first)")
    if any(modes):
        _fail("the encoder ran in training mode", "call model.eval() before encoding: layers such "
              "as dropout and batch normalisation behave differently while training")
    with torch.no_grad():
        ref = model.eval().encoder(x)
    model.train(was_training)
    if not torch.allclose(z, ref, atol=1e-5):
        _fail("your codes differ from model.encoder(x)", "pass the images through model.encoder, "
              "unchanged")
    _ok("These codes are the learned representation: 784 pixels summarised in "
        f"{model.latent_dim} numbers.")


@_checked
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


@_checked
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


@_checked
def check_upsample(make_upsample: Callable) -> None:
    """Exercise 3 of notebook 03: a block mapping ``(N, c_in, 7, 7)`` to ``(N, c_out, 14, 14)``."""
    block = _call(make_upsample, 32, 16)
    if not isinstance(block, nn.Module):
        _fail(f"make_upsample should return an nn.Module, got {type(block).__name__}",
              "return nn.ConvTranspose2d(...) or an nn.Sequential")
    if not any(isinstance(m, nn.ConvTranspose2d) for m in block.modules()):
        _fail("your block upsamples without a transposed convolution", "the exercise is about the "
              "learned upsampling of the decoder: use nn.ConvTranspose2d(c_in, c_out, 3, stride=2, ...)")
    out = block(torch.zeros(2, 32, 7, 7))
    if tuple(out.shape) != (2, 16, 14, 14):
        hint = ("add output_padding=1: with stride 2, padding 1 and kernel 3 a transposed "
                "convolution gives 13, one short" if tuple(out.shape[-2:]) == (13, 13)
                else "use stride=2 to double the size, and c_out output channels")
        _fail(f"your block maps (2, 32, 7, 7) to {tuple(out.shape)}; expected (2, 16, 14, 14)", hint)
    _ok("A stride-2 transposed convolution doubles the size: the mirror of the encoder's stride 2.")


@_checked
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


@_checked
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


@_checked
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


@_checked
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


@_checked
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
    again, other = _call(make_training_pair, x, 0.3, 0), _call(make_training_pair, x, 0.3, 1)
    if not torch.equal(again[0], inputs):
        _fail("two calls with the same seed give different noise", "pass the seed on to the noise "
              "function, so that a validation set is the same every time: seed=seed")
    if torch.equal(other[0], inputs):
        _fail("a different seed gives the same noise", "the noise must come from the seed you are "
              "given, not from a fixed one")
    _ok("Corrupted input, clean target: the whole idea of a denoising autoencoder.")


@_checked
def check_best_k(best_k: Callable, pca: PCA, noisy_val: torch.Tensor, clean_val: torch.Tensor,
                 ks: Sequence[int]) -> None:
    """Exercise 3 of notebook 05: choose PCA's ``k`` among ``ks`` for denoising on validation data."""
    ks = list(ks)
    _given(ks and all(isinstance(k, int) and 0 < k <= pca.components.shape[1] for k in ks), "ks",
           "a list of component counts")
    scores = {k: psnr(clean_val, pca.reconstruct(noisy_val, k).clamp(0, 1)) for k in ks}
    want = max(scores, key=scores.get)
    got = _call(best_k, pca, noisy_val, clean_val, ks)
    if got == want:
        _ok(f"k = {want} gives {scores[want]:.2f} dB on these validation images; too few components "
            "blur, too many let the noise through.")
        return
    if got == min(scores, key=scores.get):
        _fail(f"you chose k = {got}, the worst of the list", "a larger PSNR is better: take the max")
    if got not in scores:
        _fail(f"you return {got!r}, which is not one of {ks}", "return the best k from the list")
    _fail(f"you chose k = {got} ({scores[got]:.2f} dB); k = {want} gives {scores[want]:.2f} dB",
          "compare each reconstruction with the CLEAN validation images")


@_checked
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
    _fail(f"your value {got:.4f}, expected {want:.4f}", "sum over i of P(i) times the log of "
          "the ratio P(i) / Q(i)")


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
    grad_mu, grad_logvar = torch.autograd.grad(z.sum(), (mu, logvar), allow_unused=True)
    if grad_mu is None or grad_logvar is None or not grad_mu.abs().sum() > 0 \
            or not grad_logvar.abs().sum() > 0:
        _fail("z does not depend on mu and logvar: their gradients are zero", "torch.normal(mu, "
              "std) samples, but it is not reparameterised; write z = mu + std * eps with "
              "eps = torch.randn_like(mu)")
    if not torch.allclose(grad_mu, torch.ones_like(grad_mu)) or \
            not torch.allclose(grad_logvar, 0.5 * (z - mu).detach(), atol=1e-5):
        _fail("the gradients of z are not those of mu + exp(logvar / 2) * eps",
              "dz/dmu should be 1 and dz/dlogvar = (z - mu) / 2: only eps is random")
    if abs(mean - 3.0) > 0.05:
        _fail(f"your samples have mean {mean:.2f}; expected mu = 3", "add mu")
    if abs(std - 0.25) < 0.02:
        _fail(f"your samples have standard deviation {std:.2f}; expected 0.5", "logvar is the log "
              "of the variance: std = exp(logvar / 2), not exp(logvar)")
    if abs(std - 0.5) > 0.02:
        _fail(f"your samples have standard deviation {std:.2f}; expected 0.5",
              "std = torch.exp(0.5 * logvar)")
    _ok("The randomness sits in eps, so gradients reach mu and logvar.")


@_checked
def check_per_image_error(per_image_error: Callable) -> None:
    """Exercise 1 of notebook 07: one reconstruction error per image, summed over its pixels."""
    g = torch.Generator().manual_seed(7)
    x, x_hat = torch.rand(6, 1, 28, 28, generator=g), torch.rand(6, 1, 28, 28, generator=g)
    want = (x - x_hat).pow(2).flatten(1).sum(1)
    got = _call(per_image_error, x, x_hat)
    if not isinstance(got, torch.Tensor):
        _fail(f"per_image_error should return a torch.Tensor, got {type(got).__name__}",
              "stay in PyTorch: (x - x_hat).pow(2) ...")
    if got.numel() == 1:
        _fail("you return a single number for the whole batch", "an anomaly score needs one "
              "number per image: sum over every dimension except the first, .flatten(1).sum(1)")
    if got.shape != want.shape:
        _fail(f"per_image_error returns shape {tuple(got.shape)}; expected (6,), one per image",
              "flatten each image first, then sum over dim=1")
    if torch.allclose(got, want / 784, rtol=1e-4):
        _fail("you averaged over the pixels", "this ranks images the same way, but the course "
              "reports the summed squared error: .sum(1) instead of .mean(1)")
    if torch.allclose(got, (x - x_hat).abs().flatten(1).sum(1), rtol=1e-4):
        _fail("you summed absolute differences", "square the differences: .pow(2)")
    if not torch.allclose(got, want, rtol=1e-4):
        _fail("your values differ from the summed squared error", "(x - x_hat).pow(2).flatten(1).sum(1)")
    _ok("One score per image: the larger it is, the worse the model represents that image.")


@_checked
def check_threshold_for_fpr(threshold_for_fpr: Callable) -> None:
    """Exercise 2 of notebook 07: the threshold that flags a fraction fpr of normal images."""
    normal = torch.randn(2000, generator=torch.Generator().manual_seed(8))
    for fpr in (0.05, 0.2):
        got = float(_call(threshold_for_fpr, normal, fpr))
        flagged = (normal > got).float().mean().item()
        if abs(flagged - fpr) <= 0.002:
            continue
        if abs(flagged - (1 - fpr)) <= 0.002:
            _fail(f"with fpr = {fpr} your threshold flags {flagged:.1%} of normal images",
                  "false positives are the normal images ABOVE the threshold: which quantile "
                  "leaves a fraction fpr above it?")
        _fail(f"with fpr = {fpr} your threshold flags {flagged:.1%} of normal images, expected "
              f"{fpr:.0%}", "the threshold is a quantile of the normal scores (torch.quantile)")
    _ok("The threshold comes from normal validation data only; the test set is never used to choose it.")


@_checked
def check_auroc_by_ranking(auroc_by_ranking: Callable) -> None:
    """Exercise 3 of notebook 07: AUROC as P(anomaly's score > normal's score), ties half."""
    g = torch.Generator().manual_seed(9)
    scores = torch.cat([torch.randn(300, generator=g), torch.randn(200, generator=g) + 1.0])
    scores[::7] = scores[::7].round()  # some ties
    is_anomaly = torch.arange(500) >= 300
    a, n = scores[is_anomaly], scores[~is_anomaly]
    diff = a[:, None] - n[None, :]
    want = ((diff > 0).double().mean() + 0.5 * (diff == 0).double().mean()).item()
    got = float(_call(auroc_by_ranking, scores, is_anomaly))
    if abs(got - want) < 1e-6:
        _ok(f"AUROC = {want:.4f}: the chance that a random anomaly outscores a random normal "
            "image; 0.5 is guessing. It equals sklearn.metrics.roc_auc_score.")
        return
    if abs(got - (1 - want)) < 1e-6:
        _fail(f"you return {got:.4f}, which is 1 - AUROC", "count pairs where the ANOMALY has "
              "the higher score")
    if abs(got - (diff > 0).double().mean().item()) < 1e-6:
        _fail(f"you return {got:.4f}; ties are not counted", "a tied pair counts one half")
    if not 0 <= got <= 1:
        _fail(f"you return {got:.4f}, which is not a probability", "divide the count of "
              "pairs by the number of (anomaly, normal) pairs")
    _fail(f"you return {got:.4f}, expected {want:.4f}", "compare every anomaly score with every "
          "normal score: a[:, None] - n[None, :]")


def _jets_for_checks() -> torch.Tensor:
    """Six small jets (6, 5, 3) of (pT, d_eta, d_phi), with padding rows, for the jet checks."""
    g = torch.Generator().manual_seed(13)
    c = torch.zeros(6, 5, 3)
    c[:, :4, 0] = 20 + 200 * torch.rand(6, 4, generator=g)
    c[:, :4, 1:] = 0.6 * (torch.rand(6, 4, 2, generator=g) - 0.5)
    c[0] = torch.tensor([[100.0, 0.0, 0.3], [100.0, 0.0, -0.3], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    return c


def _reference_jet_mass(constituents: torch.Tensor) -> torch.Tensor:
    c = constituents.double()
    pt, eta, phi = c[..., 0], c[..., 1], c[..., 2]
    e, px = (pt * torch.cosh(eta)).sum(1), (pt * torch.cos(phi)).sum(1)
    py, pz = (pt * torch.sin(phi)).sum(1), (pt * torch.sinh(eta)).sum(1)
    return (e ** 2 - px ** 2 - py ** 2 - pz ** 2).clamp(min=0).sqrt()


@_checked
def check_jet_mass(jet_mass: Callable) -> None:
    """Exercise 1 of notebook 08: a jet's invariant mass from massless constituents."""
    c = _jets_for_checks()
    want = _reference_jet_mass(c)
    got = _call(jet_mass, c.clone())
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        _fail(f"jet_mass returns {shape}; expected one mass per jet, shape {tuple(want.shape)}",
              "sum the four-momenta over the constituents (dim=1), then take the mass")
    got = got.double()
    if torch.allclose(got, want, rtol=1e-3, atol=1e-2):
        _ok(f"Two 100 GeV particles 0.6 apart make a {want[0]:.1f} GeV jet: mass comes from "
            "the opening angles, so a jet of three spread prongs is heavy.")
        return
    if torch.allclose(got, want ** 2, rtol=1e-3, atol=1e-1):
        _fail("you return the mass squared", "take the square root of E^2 - |p|^2")
    if abs(got[0] - want[0]) > 1e-2 and torch.allclose(got[0], torch.tensor(0.0, dtype=got.dtype), atol=1e-2):
        _fail(f"two 100 GeV particles 0.6 apart in phi give {got[0]:.2f} GeV, expected {want[0]:.1f}",
              "use every direction: px = pT cos(phi), py = pT sin(phi), pz = pT sinh(eta), "
              "E = pT cosh(eta) for a massless particle")
    _fail(f"for the first jets you return {got[:3].tolist()}, expected {want[:3].tolist()}",
          "E = sum of pT cosh(eta); p = sum of (pT cos(phi), pT sin(phi), pT sinh(eta)); "
          "mass = sqrt(E^2 - |p|^2); padding rows have pT = 0 and add nothing")


@_checked
def check_pixelate(pixelate: Callable) -> None:
    """Exercise 2 of notebook 08: jet images from preprocessed constituents, in per cent of pT."""
    from .jets import pixelate as reference

    c = _jets_for_checks()
    c[1, 3] = torch.tensor([50.0, 2.0, 0.0])                    # outside the image: dropped
    size, extent = 8, 0.5
    want = reference(c, size, extent)
    got = _call(pixelate, c.clone(), size, extent)
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        _fail(f"pixelate returns {shape}; expected {tuple(want.shape)}", "one image (1, size, "
              "size) per jet: zeros, then add each constituent's pT to its pixel")
    got = got.float()
    if torch.allclose(got, want, atol=1e-4):
        _ok("Each pixel holds its share of the jet's pT in per cent; row 0 is the top (largest y).")
        return
    if torch.allclose(100 * got, want, atol=1e-3):
        _fail("your pixels sum to 1, not 100", "pixels are per cent of the jet's pT: multiply by 100")
    if torch.allclose(got, want.transpose(2, 3), atol=1e-4):
        _fail("rows and columns are swapped", "the row comes from y (d_phi), the column from x (d_eta)")
    if torch.allclose(got, want.flip(2), atol=1e-4):
        _fail("the image is upside down", "row 0 is the TOP of the image: the largest y")
    if abs(got[1].sum() - want[1].sum()) > 1e-3:
        _fail(f"jet 1 has a constituent outside the image; your image sums to {got[1].sum():.1f}, "
              f"expected {want[1].sum():.1f}", "drop constituents outside [-extent, extent], but "
              "divide by the pT of the whole jet (all constituents)")
    _fail("your images differ from the expected ones", "pixel index = floor((value + extent) / "
          "(2 * extent) * size); row from y counted from the top, column from x")


@_checked
def check_improvement_at(improvement_at: Callable) -> None:
    """Exercise 3 of notebook 08: epsilon_S / sqrt(epsilon_B) of the cut score > threshold."""
    g = torch.Generator().manual_seed(21)
    signal = torch.randn(400, generator=g) + 1.5
    background = torch.randn(2000, generator=g)
    background[:100] = 1.0                                     # ties at the threshold
    threshold = 1.0
    eps_s = (signal > threshold).float().mean().item()
    eps_b = (background > threshold).float().mean().item()
    want = eps_s / eps_b ** 0.5
    got = float(_call(improvement_at, threshold, signal, background))
    if abs(got - want) < 1e-4:
        _ok(f"At this cut {eps_s:.0%} of the signal and {eps_b:.1%} of the background pass: "
            f"S / sqrt(B) grows {want:.2f} times.")
        return
    ge_s = (signal >= threshold).float().mean().item()
    ge_b = (background >= threshold).float().mean().item()
    if abs(got - ge_s / ge_b ** 0.5) < 1e-4:
        _fail("a jet whose score equals the threshold passes in your cut", "keep jets with a "
              "score strictly above the threshold (>)")
    if abs(got - eps_s / eps_b) < 1e-4:
        _fail(f"you return {got:.3f} = epsilon_S / epsilon_B", "the background enters through its "
              "square root: epsilon_S / sqrt(epsilon_B)")
    if abs(got - eps_b / eps_s ** 0.5) < 1e-4:
        _fail("signal and background are swapped", "epsilon_S is the fraction of SIGNAL jets above "
              "the threshold")
    _fail(f"you return {got:.3f}, expected {want:.3f}", "epsilon = fraction of jets with a score "
          "above the threshold, for the signal and for the background; then epsilon_S / "
          "sqrt(epsilon_B)")


# --- Assignments (notebooks/assignments/) -------------------------------------------------------

@_checked
def check_conv_autoencoder(model_class: Callable[[], nn.Module], latent_dim: int) -> None:
    """Assignment 1: ``model_class()`` is a convolutional autoencoder with a ``latent_dim`` bottleneck."""
    model = _call(model_class)
    if not isinstance(model, nn.Module):
        _fail(f"ConvAE() should build a torch.nn.Module, got {type(model).__name__}",
              "pass the class itself to the check, and subclass nn.Module")
    for part in ("encoder", "decoder"):
        if not isinstance(getattr(model, part, None), nn.Module):
            _fail(f"the model has no .{part}", f"assign self.{part} = nn.Sequential(...) in __init__")
    if not any(isinstance(m, nn.Conv2d) for m in model.encoder.modules()):
        _fail("the encoder has no nn.Conv2d layer", "this is the convolutional assignment: "
              "start the encoder with nn.Conv2d(1, 16, 3, stride=2, padding=1)")
    x = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(11))
    model.eval()
    with torch.no_grad():
        z = model.encoder(x)
        if tuple(z.shape) != (64, latent_dim):
            hint = ("flatten the feature maps and end the encoder with nn.Linear(..., "
                    f"{latent_dim})") if z.dim() != 2 else f"the last encoder layer must output {latent_dim} numbers"
            _fail(f"your encoder returns shape {tuple(z.shape)}; the bottleneck should be "
                  f"(64, {latent_dim})", hint)
        out = model(x)
    if tuple(out.shape) != (64, 1, 28, 28):
        _fail(f"your model returns shape {tuple(out.shape)} for input (64, 1, 28, 28)",
              "the decoder must undo the encoder: nn.Linear back to c x 7 x 7, nn.Unflatten, then "
              "ConvTranspose2d(..., 3, stride=2, padding=1, output_padding=1) twice")
    if out.min() < 0 or out.max() > 1:
        _fail(f"the outputs range over [{out.min():.2f}, {out.max():.2f}]; pixels are in [0, 1]",
              "end the decoder with nn.Sigmoid()")
    _ok(f"{count_parameters(model):,} parameters, a {latent_dim}-number bottleneck.")


@_checked
def check_reconstruction_target(model: nn.Module, x_test: torch.Tensor, target: float) -> float:
    """Assignment 1: the trained model's test MSE must be at most ``target``; returns the MSE."""
    if not isinstance(model, nn.Module):
        _fail(f"model should be your trained network, got {type(model).__name__}",
              "model = ConvAE(), then train.fit(model, ...)")
    mse = reconstruction_mse(x_test, predict(model, x_test))
    if mse > target:
        if mse > 0.05:
            _fail(f"your test MSE is {mse:.4f}, far above the target {target}",
                  "is the model trained at all? Check that train.fit ran on x_train and that the "
                  "loss went down")
        _fail(f"your test MSE is {mse:.4f}; the target is at most {target}",
              "train for a few more epochs, or use cosine=True with lr=2e-3")
    _ok(f"test MSE {mse:.4f} <= {target}.")
    return mse


@_checked
def check_beta_vae_loss(beta_vae_loss: Callable) -> None:
    """Assignment 2: summed BCE per image plus beta times the KL, averaged over the batch."""
    g = torch.Generator().manual_seed(12)
    x = torch.rand(8, 1, 28, 28, generator=g)
    x_hat = torch.rand(8, 1, 28, 28, generator=g) * 0.98 + 0.01
    mu, logvar = torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g)
    bce = torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="sum") / 8
    kl = gaussian_kl(mu, logvar).mean()
    for beta in (0.5, 1.0, 4.0):
        got = float(_call(beta_vae_loss, (x_hat, mu, logvar), x, beta))
        want = (bce + beta * kl).item()
        if abs(got - want) < 1e-3 * abs(want):
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
    if abs(recon - want[0]) > 1e-3 * want[0] + 1e-3:
        _fail(f"reconstruction {recon:.2f} nats, expected {want[0]:.2f}",
              "binary cross-entropy summed over the pixels, averaged over the images; use the "
              "model in eval mode (model.eval()) so that z = mu")
    if abs(kl - want[1]) > 1e-3 * want[1] + 1e-3:
        _fail(f"KL {kl:.2f} nats, expected {want[1]:.2f}",
              "vae.kl_divergence(mu, logvar) gives one value per image: take .mean()")
    _ok(f"reconstruction {want[0]:.1f} + KL {want[1]:.1f} = {sum(want):.1f} nats per image.")


@_checked
def check_beta_tradeoff(results: dict) -> None:
    """Assignment 2: ``{beta: (reconstruction, kl)}``; KL falls and reconstruction rises with beta."""
    if not isinstance(results, dict) or len(results) < 3:
        _fail("results should be a dict {beta: (reconstruction, kl)} with at least three betas",
              "train one model per beta, e.g. betas = [0.5, 1, 4], and store the test numbers")
    betas = sorted(results)
    if betas[0] >= 1 or betas[-1] <= 1:
        _fail(f"your betas are {betas}", "include a beta below 1 and one above 1")
    kls = [results[b][1] for b in betas]
    recons = [results[b][0] for b in betas]
    if any(k2 >= k1 for k1, k2 in zip(kls, kls[1:])):
        _fail(f"the KL does not fall as beta grows: {dict(zip(betas, [round(k, 1) for k in kls]))}",
              "pass beta to your loss (loss_fn=lambda out, x: beta_vae_loss(out, x, beta)) and "
              "retrain a fresh model for each beta")
    if recons[-1] <= recons[0]:
        _fail("the reconstruction error does not grow from the smallest to the largest beta",
              "measure both on the same test images, in eval mode")
    _ok("Larger beta: less information in the code (lower KL), blurrier reconstructions.")


@_checked
def check_one_class_split(x_normal_train: torch.Tensor, x_normal_val: torch.Tensor,
                          is_anomaly: torch.Tensor, train_set: Split, val_set: Split,
                          test_set: Split, normal_class: int) -> None:
    """Assignment 3: training and validation images of the normal class only; test labels True
    for anomalies."""
    for name, got, split in [("x_normal_train", x_normal_train, train_set),
                             ("x_normal_val", x_normal_val, val_set)]:
        want = split.x[split.y == normal_class]
        which = "training" if split is train_set else "validation"
        if got.shape != want.shape:
            _fail(f"{name} has shape {tuple(got.shape)}; expected {tuple(want.shape)}",
                  f"keep only the {which} images whose label is the normal class")
        if not torch.equal(got, want):
            _fail(f"{name} holds the right number of images, but not the right ones",
                  f"select the {which} images with the labels of the same split")
    if is_anomaly.dtype != torch.bool:
        _fail("is_anomaly should be a bool tensor (True = anomaly)", "compare the test labels "
              "with the normal class")
    if torch.equal(is_anomaly, test_set.y == normal_class):
        _fail("is_anomaly is True for the normal class", "anomalies are the OTHER classes")
    if not torch.equal(is_anomaly, test_set.y != normal_class):
        _fail("is_anomaly does not match the test labels", "one entry per test image: True "
              "where the label is not the normal class")
    _ok(f"{len(x_normal_train)} normal training and {len(x_normal_val)} validation images; "
        f"{int(is_anomaly.sum())} anomalies among {len(is_anomaly)} test images.")


@_checked
def check_threshold_value(threshold: float, test_fpr: float, test_tpr: float,
                          normal_val_scores: torch.Tensor, test_scores: torch.Tensor,
                          is_anomaly: torch.Tensor, fpr: float) -> None:
    """Assignment 3: a threshold flagging a fraction ``fpr`` of the normal validation scores,
    and the false- and true-positive rates it gives on the test set."""
    _given(0 < fpr < 1, "fpr", "a false-positive rate between 0 and 1")
    _given(normal_val_scores.dim() == 1 and normal_val_scores.is_floating_point(),
           "normal_val_scores", "one score per normal validation image")
    _scores_and_labels(test_scores, is_anomaly)
    threshold = float(threshold)
    normal_test = test_scores[~is_anomaly]
    if abs(threshold - torch.quantile(normal_test, 1 - fpr).item()) < 1e-6:
        _fail("your threshold is a quantile of the TEST scores", "choose it on the normal "
              "validation scores; the test set is only for measuring")
    flagged = (normal_val_scores > threshold).float().mean().item()
    tolerance = max(2.0 / len(normal_val_scores), 0.002)
    if abs(flagged - fpr) > tolerance:
        if abs(flagged - (1 - fpr)) <= tolerance:
            _fail(f"your threshold flags {flagged:.1%} of normal validation images",
                  "false positives are the normal images ABOVE the threshold: which quantile "
                  f"leaves only {fpr:.0%} above it?")
        _fail(f"your threshold flags {flagged:.1%} of normal validation images, expected {fpr:.1%}",
              "the threshold is a quantile of the normal validation scores (torch.quantile)")
    want_fpr = (normal_test > threshold).float().mean().item()
    want_tpr = (test_scores[is_anomaly] > threshold).float().mean().item()
    if abs(float(test_fpr) - want_fpr) > 1e-6:
        hint = ("that is the true-positive rate" if abs(float(test_fpr) - want_tpr) < 1e-6 else
                "the fraction of NORMAL test images whose score is above the threshold")
        _fail(f"test_fpr = {float(test_fpr):.4f}, expected {want_fpr:.4f}", hint)
    if abs(float(test_tpr) - want_tpr) > 1e-6:
        hint = ("that is 1 - the true-positive rate" if abs(float(test_tpr) - (1 - want_tpr)) < 1e-6
                else "the fraction of ANOMALIES whose score is above the threshold")
        _fail(f"test_tpr = {float(test_tpr):.4f}, expected {want_tpr:.4f}", hint)
    _ok(f"{flagged:.1%} of normal validation images above the threshold; on the test set "
        f"{want_fpr:.1%} false positives (the tail of the normal class) and {want_tpr:.1%} of the "
        "anomalies caught.")


@_checked
def check_auroc_value(auroc: float, scores: torch.Tensor, is_anomaly: torch.Tensor) -> None:
    """Assignment 3: the AUROC of ``scores`` for the labels ``is_anomaly``."""
    from sklearn.metrics import roc_auc_score
    _scores_and_labels(scores, is_anomaly)
    want = roc_auc_score(is_anomaly.numpy(), scores.numpy())
    got = float(auroc)
    if abs(got - want) < 1e-6:
        _ok(f"AUROC {want:.3f}.")
        return
    if abs(got - (1 - want)) < 1e-6:
        _fail(f"your AUROC {got:.3f} is 1 - the right value", "roc_auc_score(y_true, score) wants "
              "y_true = True for anomalies and larger scores for anomalies")
    if got > 1:
        _fail(f"your AUROC is {got:.3f}", "sklearn returns a fraction between 0 and 1, not a percentage")
    _fail(f"your AUROC {got:.3f}, expected {want:.3f} for these scores",
          "sklearn.metrics.roc_auc_score(is_anomaly, scores)")


@_checked
def check_jet_scores(scores: torch.Tensor, model: nn.Module, x: torch.Tensor) -> None:
    """Assignment 4: the autoencoder's error per jet image, summed over the pixels."""
    want = reconstruction_error(model, x)
    if not isinstance(scores, torch.Tensor):
        _fail(f"the scores are a {type(scores).__name__}", "one tensor with one number per jet")
    if scores.shape != want.shape:
        _fail(f"the scores have shape {tuple(scores.shape)}; expected {tuple(want.shape)}, one "
              "number per jet", "sum the squared error over all pixels of each image: "
              ".flatten(1).sum(1)")
    scores = scores.double().cpu()
    if torch.allclose(scores, want.double(), rtol=1e-4, atol=1e-3):
        _ok(f"{len(want)} scores, median {want.median():.1f} (squared per cent of the jet's pT).")
        return
    if torch.allclose(scores, want.double() / x[0].numel(), rtol=1e-4, atol=1e-5):
        _fail("your scores are the mean over the pixels", "use the SUM over the pixels, as notebook 08 does")
    _fail("your scores differ from the autoencoder's summed squared error on these jets",
          "anomaly.reconstruction_error(model, x) on the W' test images, with the QCD-trained model")


@_checked
def check_improvement_value(improvement: float, eps_s: float, eps_b: float) -> None:
    """Assignment 4: the significance improvement epsilon_S / sqrt(epsilon_B) of a cut."""
    _given(0 <= eps_s <= 1 and 0 < eps_b <= 1, "eps_s, eps_b", "fractions between 0 and 1")
    want = eps_s / eps_b ** 0.5
    got = float(improvement)
    if abs(got - want) < 1e-6:
        verdict = "improves" if want > 1 else "does NOT improve"
        _ok(f"epsilon_S / sqrt(epsilon_B) = {want:.2f}: this cut {verdict} the significance.")
        return
    if abs(got - eps_s / eps_b) < 1e-6:
        _fail("you divide by epsilon_B", "the background enters through its square root")
    _fail(f"improvement = {got:.3f}, expected {want:.3f}", "epsilon_S / sqrt(epsilon_B), from your "
          "own eps_s and eps_b")
