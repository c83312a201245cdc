import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as SkPCA

from course_utils.models import PCA, LinearAutoencoder


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
