import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as SkPCA
from torch import nn

from course_utils import models
from course_utils.models import (
    PCA,
    ConvAutoencoder,
    DenoisingAutoencoder,
    LinearAutoencoder,
    MLPAutoencoder,
    RecurrentAutoencoder,
    count_parameters,
)


def test_pca_in_chunks_matches_the_svd():
    # more rows than one 2048-row chunk: the scatter matrix summed in chunks gives the SVD's S and V
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5000, 30, generator=g) * torch.linspace(3, 0.1, 30) + 2.0
    pca = PCA().fit(x)
    centred = x.double() - x.double().mean(dim=0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    torch.testing.assert_close(pca.mean.double(), x.double().mean(dim=0), rtol=0, atol=1e-6)
    torch.testing.assert_close(pca.singular_values.double(), s, rtol=1e-5, atol=0)
    cosines = (pca.components.double() * vh.T).sum(dim=0).abs()
    torch.testing.assert_close(cosines, torch.ones(30, dtype=torch.float64), rtol=0, atol=1e-5)


def test_pca_matches_sklearn(low_rank_data):
    ours = PCA().fit(low_rank_data)
    sk = SkPCA(n_components=5).fit(low_rank_data.numpy())
    np.testing.assert_allclose(ours.mean.numpy(), sk.mean_, atol=1e-5)
    for i in range(3):  # the signal directions, same up to sign (4+ are isotropic noise)
        cos = abs(float(ours.components[:, i] @ torch.from_numpy(sk.components_[i]).float()))
        assert cos == pytest.approx(1.0, abs=1e-5)
    for k in (1, 2, 3):
        sk_k = SkPCA(n_components=k).fit(low_rank_data.numpy())
        ref = sk_k.inverse_transform(sk_k.transform(low_rank_data.numpy()))
        np.testing.assert_allclose(ours.reconstruct(low_rank_data, k).numpy(), ref, atol=1e-4)


def test_pca_keeps_image_shape_and_orthonormal_columns(images):
    pca = PCA().fit(images)
    assert repr(pca) == "PCA(dim=784, components=16)"
    assert pca.reconstruct(images, 4).shape == images.shape
    gram = pca.components.T @ pca.components
    assert torch.allclose(gram, torch.eye(16), atol=1e-4)
    assert pca.encode(images, 4).shape == (16, 4)


def test_pca_errors(images):
    with pytest.raises(RuntimeError, match="fit"):
        PCA().encode(images, 2)
    pca = PCA().fit(images)
    with pytest.raises(ValueError, match="at most 16"):
        pca.reconstruct(images, 17)
    with pytest.raises(ValueError, match="positive integer"):
        pca.reconstruct(images, 0)
    with pytest.raises(ValueError, match="fitted on 784"):
        pca.encode(torch.zeros(3, 100), 2)
    with pytest.raises(ValueError, match="2 or 4 dimensions"):
        pca.encode(torch.zeros(28), 2)
    with pytest.raises(ValueError, match="at least 2 samples"):
        PCA().fit(torch.zeros(1, 784))
    with pytest.raises(TypeError, match="255"):
        PCA().fit(torch.zeros(5, 784, dtype=torch.uint8))


def test_linear_autoencoder_shapes_and_errors():
    model = LinearAutoencoder(784, 8)
    assert model(torch.zeros(5, 784)).shape == (5, 784)
    assert model.encoder(torch.zeros(5, 784)).shape == (5, 8)
    with pytest.raises(ValueError, match=r"flat vectors \(N, 784\).*reshape"):
        model(torch.zeros(5, 1, 28, 28))
    with pytest.raises(ValueError, match="positive integer"):
        LinearAutoencoder(784, 0)
    with pytest.raises(ValueError, match="at most 784"):
        LinearAutoencoder(784, 1000)
    with pytest.raises(TypeError, match="positive integer"):
        LinearAutoencoder(784, 2.0)


@pytest.mark.parametrize("cls", [MLPAutoencoder, ConvAutoencoder])
def test_image_autoencoders_map_images_to_images(cls, images):
    model = cls(latent_dim=8)
    x_hat = model(images)
    assert x_hat.shape == images.shape
    assert 0.0 <= x_hat.min() and x_hat.max() <= 1.0  # sigmoid output, like the data
    assert model.encoder(images).shape == (16, 8)


@pytest.mark.parametrize("cls", [MLPAutoencoder, ConvAutoencoder])
def test_image_autoencoders_reject_flat_input(cls):
    with pytest.raises(ValueError, match=r"expects images \(N, 1, 28, 28\), got shape \(4, 784\)"):
        cls(latent_dim=8)(torch.zeros(4, 784))


def test_image_autoencoder_arguments():
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        MLPAutoencoder(latent_dim=0)
    with pytest.raises(ValueError, match="hidden size"):
        MLPAutoencoder(hidden=(256, -1))
    with pytest.raises(ValueError, match="two numbers"):
        ConvAutoencoder(channels=(8, 16, 32))
    assert len(MLPAutoencoder(4, hidden=(100,)).encoder) == 4  # flatten, linear, relu, linear


def test_count_parameters():
    assert count_parameters(torch.nn.Linear(10, 3)) == 33
    frozen = torch.nn.Linear(10, 3)
    frozen.bias.requires_grad_(False)
    assert count_parameters(frozen) == 30
    assert count_parameters(MLPAutoencoder(32)) == 439_728
    with pytest.raises(TypeError, match="nn.Module"):
        count_parameters("model")


def test_recurrent_autoencoder_shapes_and_layout_errors():
    model = RecurrentAutoencoder(channels=1, latent_dim=4, hidden_size=8)
    x = torch.randn(5, 40, 1)
    assert model(x).shape == (5, 40, 1) and model.encode(x).shape == (5, 4)
    assert model(torch.randn(3, 17, 1)).shape == (3, 17, 1)  # any length
    with pytest.raises(ValueError, match=r"looks like \(N, C, T\).*transpose\(1, 2\)"):
        model(torch.randn(5, 1, 40))
    with pytest.raises(ValueError, match=r"\(N, T, 1\)"):
        model(torch.randn(5, 40, 3))
    with pytest.raises(ValueError, match="3 dimensions"):
        model(torch.randn(40, 1))


def test_denoising_autoencoder_is_overcomplete(images):
    model = DenoisingAutoencoder()
    assert model(images).shape == images.shape
    assert model.encoder(images)[0].numel() > 784  # wider than the image: no narrow bottleneck
    with pytest.raises(ValueError, match="expects images"):
        model(images.reshape(16, -1))
    with pytest.raises(ValueError, match="two numbers"):
        DenoisingAutoencoder(channels=(4,))


def test_assert_same_function_sees_a_dropped_activation():
    from torch import nn

    x = torch.rand(4, 1, 28, 28)
    models.assert_same_function(models.ConvAutoencoder(8), models.ConvAutoencoder(8), x)
    no_relu = models.ConvAutoencoder(8)
    no_relu.encoder[1] = nn.Identity()  # the same parameters, one ReLU fewer
    with pytest.raises(AssertionError, match="computes something else"):
        models.assert_same_function(no_relu, models.ConvAutoencoder(8), x)
    with pytest.raises(AssertionError, match="different parameters"):
        models.assert_same_function(models.ConvAutoencoder(4), models.ConvAutoencoder(8), x)


def test_the_course_convolutional_models_store_their_weights_channels_last_on_the_cpu(monkeypatch):
    from course_utils import train
    monkeypatch.setattr(models.config, "get_device", lambda: torch.device("cpu"))
    torch.manual_seed(0)
    for build in (lambda: models.ConvAutoencoder(8), models.DenoisingAutoencoder):
        model = build()
        convs = [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        assert all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
        assert any(not w.is_contiguous() for w in convs)   # channels-last, not the default order
        reference = build()
        torch.nn.utils.convert_conv2d_weight_memory_format(reference, torch.contiguous_format)
        reference.load_state_dict(model.state_dict())
        x = torch.rand(6, 1, 28, 28)
        assert torch.allclose(train.predict(model, x), reference.eval()(x), atol=1e-5)  # same function
        loaded = build()
        loaded.load_state_dict(reference.state_dict())     # a checkpoint keeps the order
        assert all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in loaded.modules()
                   if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    conv = models.ConvAutoencoder(8)
    assert conv.features(torch.rand(3, 1, 28, 28)).is_contiguous()   # .view works on what it returns


def test_the_course_convolutional_models_keep_the_default_order_off_the_cpu(monkeypatch):
    monkeypatch.setattr(models.config, "get_device", lambda: torch.device("cuda"))
    for model in (models.ConvAutoencoder(8), models.DenoisingAutoencoder()):
        assert all(p.is_contiguous() for p in model.parameters())
