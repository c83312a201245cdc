import pytest
import torch

from course_utils import noise


@pytest.mark.parametrize("kind, level", [("gaussian", 0.3), ("masking", 0.5), ("salt_and_pepper", 0.2)])
def test_corruptions_are_reproducible_and_in_range(images, kind, level):
    a = noise.corrupt(images, kind, level, seed=3)
    b = noise.corrupt(images, kind, level, seed=3)
    c = noise.corrupt(images, kind, level, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == images.shape and 0.0 <= a.min() and a.max() <= 1.0
    assert not torch.equal(a, images)
    assert torch.equal(images, images.clone())  # input untouched


def test_gaussian_noise_statistics():
    x = torch.full((100, 1, 28, 28), 0.5)
    noisy = noise.gaussian_noise(x, 0.1, seed=0)
    assert (noisy - x).std().item() == pytest.approx(0.1, rel=0.02)  # barely clipped at 0.5 +- 0.1
    assert torch.equal(noise.gaussian_noise(x, 0.0, seed=0), x)


def test_masking_and_salt_and_pepper_fractions():
    x = torch.full((50, 1, 28, 28), 0.5)
    masked = noise.masking_noise(x, 0.3, seed=0)
    assert (masked == 0).float().mean().item() == pytest.approx(0.3, abs=0.01)
    assert set(masked.unique().tolist()) == {0.0, 0.5}
    sp = noise.salt_and_pepper(x, 0.2, seed=0)
    assert (sp != 0.5).float().mean().item() == pytest.approx(0.2, abs=0.01)
    assert (sp == 1).float().mean().item() == pytest.approx(0.1, abs=0.01)


def test_seedless_noise_follows_the_global_seed(images):
    torch.manual_seed(0)
    a = noise.gaussian_noise(images, 0.2)
    torch.manual_seed(0)
    assert torch.equal(a, noise.gaussian_noise(images, 0.2))


@pytest.mark.parametrize("call, err, message", [
    (lambda x: noise.corrupt(x, "speckle", 0.1), ValueError, "kind must be one of"),
    (lambda x: noise.gaussian_noise(x, -0.1), ValueError, "sigma must be in >= 0"),
    (lambda x: noise.masking_noise(x, 1.5), ValueError, r"fraction must be in \[0, 1.0\]"),
    (lambda x: noise.salt_and_pepper(x, "0.1"), TypeError, "fraction must be a finite number"),
    (lambda x: noise.gaussian_noise(x * 255, 0.1), ValueError, r"\[0, 1\]"),
    (lambda x: noise.gaussian_noise(x, 0.1, seed=1.5), TypeError, "seed"),
])
def test_noise_errors(images, call, err, message):
    with pytest.raises(err, match=message):
        call(images)
