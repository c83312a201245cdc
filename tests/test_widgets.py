import matplotlib.pyplot as plt
import pytest
import torch

from course_utils import plot, widgets
from course_utils.metrics import reconstruction_mse
from course_utils.models import PCA


@pytest.fixture
def pca_and_images(images):
    return PCA().fit(images), images[:4]


def test_pure_figure_shows_the_rank_k_reconstruction(pca_and_images):
    pca, x = pca_and_images
    fig = widgets.pca_reconstruction_figure(pca, x, 3)
    shown = torch.from_numpy(plot.tile(fig.axes[1].images[0].get_array(), 0)).float()
    expected = pca.reconstruct(x, 3).clamp(0, 1)[0, 0]
    assert torch.allclose(shown, expected, atol=1e-6)
    mse = reconstruction_mse(x, pca.reconstruct(x, 3))
    assert f"{mse:.4f}" in fig._suptitle.get_text()


def test_headless_returns_a_static_figure(pca_and_images, monkeypatch):
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    out = widgets.pca_k_slider(*pca_and_images, k=2)
    assert isinstance(out, plt.Figure)
    assert plt.get_fignums() == []  # closed, so the inline backend does not show it twice


def test_slider_redraws_the_figure(pca_and_images, monkeypatch):
    monkeypatch.delenv("COURSE_HEADLESS", raising=False)
    calls = []
    real = widgets.pca_reconstruction_figure
    monkeypatch.setattr(widgets, "pca_reconstruction_figure",
                        lambda pca, x, k: calls.append(k) or real(pca, x, k))
    ui = widgets.pca_k_slider(*pca_and_images, k=2, k_max=10)
    slider = ui.children[0].children[0]
    assert (slider.value, slider.min, slider.max) == (2, 1, 10)
    slider.value = 5
    assert calls[-1] == 5


def test_widget_errors(pca_and_images):
    pca, x = pca_and_images
    with pytest.raises(TypeError, match="fitted"):
        widgets.pca_k_slider(PCA(), x)
    with pytest.raises(ValueError, match="at most 16"):
        widgets.pca_k_slider(pca, x, k=40)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        widgets.pca_k_slider(pca, x * 3)


def test_denoise_figure_shows_the_model_output_for_the_corrupted_input(images, monkeypatch):
    from course_utils import noise
    from course_utils.models import DenoisingAutoencoder

    model = DenoisingAutoencoder()
    x = images[:3]
    fig = widgets.denoise_figure(model, x, "masking", 0.5, seed=7)
    noisy = noise.masking_noise(x, 0.5, seed=7)
    shown_noisy = torch.from_numpy(plot.tile(fig.axes[1].images[0].get_array(), 0)).float()
    assert torch.allclose(shown_noisy, noisy[0, 0])
    with torch.no_grad():
        expected = model(noisy)[0, 0]
    shown = torch.from_numpy(plot.tile(fig.axes[2].images[0].get_array(), 0)).float()
    assert torch.allclose(shown, expected, atol=1e-6)

    monkeypatch.delenv("COURSE_HEADLESS", raising=False)
    ui = widgets.denoise_sliders(model, x)
    kind, level = ui.children[0].children
    calls = []
    monkeypatch.setattr(widgets, "denoise_figure", lambda m, x, k, lv: calls.append((k, lv)) or
                        plt.figure())
    kind.value = "salt_and_pepper"
    level.value = 0.1
    assert calls[-1] == ("salt_and_pepper", 0.1)
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    assert isinstance(widgets.denoise_sliders(model, x), plt.Figure)


def test_latent_explorer(monkeypatch):
    from course_utils.models import VAE

    model = VAE(latent_dim=2, hidden=16)
    fig = widgets.latent_figure(model.decoder, [0.5, -1.0])
    with torch.no_grad():
        expected = model.decoder(torch.tensor([[0.5, -1.0]]))[0, 0]
    shown = torch.from_numpy(fig.axes[0].images[0].get_array().data).float()
    assert torch.allclose(shown, expected, atol=1e-6)
    assert "+0.5, -1.0" in fig._suptitle.get_text()

    monkeypatch.delenv("COURSE_HEADLESS", raising=False)
    ui = widgets.latent_explorer(model.decoder, 2)
    z1, z2 = ui.children[0].children
    calls = []
    monkeypatch.setattr(widgets, "latent_figure", lambda d, z: calls.append(z) or plt.figure())
    z2.value = 1.5
    assert calls[-1] == [0.0, 1.5]
    with pytest.raises(ValueError, match="at most 8"):
        widgets.latent_explorer(model.decoder, 20)
