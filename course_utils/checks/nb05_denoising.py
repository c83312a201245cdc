"""Checks of notebook 05 (denoising autoencoders): exercises 1-3."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..metrics import psnr
from ..models import PCA
from ..noise import gaussian_noise
from ._feedback import _call, _checked, _fail, _given, _ok


def _per_image_psnr(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each image of a batch ``(N, ...)``: ``(N,)``."""
    return 10 * torch.log10(1 / ((x - x_hat) ** 2).flatten(1).mean(1))


@_checked
def check_psnr(psnr_db: Callable) -> None:
    """Exercise 1 of notebook 05: PSNR in dB for images in [0, 1], of the batch (one MSE over every
    pixel) or the mean of the images' PSNRs: both are in use, and the exercise allows either."""
    g = torch.Generator().manual_seed(5)
    x = torch.rand(4, 1, 28, 28, generator=g)
    kind = "batch"
    for sigmas in ((0.05, 0.05, 0.05, 0.05), (0.02, 0.05, 0.1, 0.3)):  # the two differ for the second
        sigma = torch.tensor(sigmas).reshape(4, 1, 1, 1)
        x_hat = (x + sigma * torch.randn(x.shape, generator=g)).clamp(0, 1)
        got = _call(psnr_db, x, x_hat)
        if isinstance(got, torch.Tensor) and got.numel() > 1:
            _fail(f"you return {got.numel()} numbers", "return one number for the batch: the PSNR "
                  "of all pixels together, or the mean of the images' PSNRs (.mean().item())")
        got = float(got)
        wants = {"batch": psnr(x, x_hat), "mean": _per_image_psnr(x, x_hat).mean().item()}
        matches = {name for name, want in wants.items() if abs(got - want) < 1e-3}
        if matches:
            kind = "batch" if "batch" in matches else "mean"
            continue
        want = wants["batch"]
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
    which = {"batch": "one MSE over the whole batch (as metrics.psnr)",
             "mean": "the mean of the images' PSNRs (larger than the batch's: log is concave)"}
    _ok(f"You compute {which[kind]}. Every 3 dB is a halving of the squared error.")


@_checked
def check_training_pair(make_training_pair: Callable, x: torch.Tensor) -> None:
    """Exercise 2 of notebook 05: ``(model input, target)`` for a denoising autoencoder, at several
    noise levels."""
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
    for sigma in (0.1, 0.3, 0.5):  # a fixed sigma in the answer cannot match all three
        noisy = _call(make_training_pair, x, sigma, 0)[0]
        got = (noisy - x).std().item()
        want = (gaussian_noise(x, sigma, seed=0) - x).std().item()  # std after clipping
        if abs(got - want) > 0.1 * want:
            _fail(f"at sigma = {sigma} the noise has standard deviation {got:.2f}; expected "
                  f"about {want:.2f} after clipping", "use the sigma you are given (the "
                  "argument), not a fixed number")
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
        # the same images at another noise level, whose best k differs: a fixed k cannot pass
        clean = clean_val[:500]
        for level in (0.6, 0.1, 0.05, 1.0):
            other = gaussian_noise(clean, level, seed=11)
            other_scores = {k: psnr(clean, pca.reconstruct(other, k).clamp(0, 1)) for k in ks}
            other_want = max(other_scores, key=other_scores.get)
            if other_want != want:
                other_got = _call(best_k, pca, other, clean, ks)
                if other_got != other_want:
                    _fail(f"for these images with noise of sigma = {level} the best k is {other_want}, "
                          f"you return {other_got!r}",
                          "compute the choice from the images you are given; do not fix k in advance")
                break
        _ok(f"k = {want} gives {scores[want]:.2f} dB on these validation images; too few components "
            "blur, too many let the noise through.")
        return
    if got == min(scores, key=scores.get):
        _fail(f"you chose k = {got}, the worst of the list", "a larger PSNR is better: take the max")
    if got not in scores:
        _fail(f"you return {got!r}, which is not one of {ks}", "return the best k from the list")
    _fail(f"you chose k = {got} ({scores[got]:.2f} dB); k = {want} gives {scores[want]:.2f} dB",
          "compare each reconstruction with the CLEAN validation images")
