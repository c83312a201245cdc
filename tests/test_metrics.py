import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.decomposition import PCA as SkPCA

from course_utils import metrics


def test_reconstruction_mse_matches_definition():
    x, x_hat = torch.zeros(4, 784), torch.full((4, 784), 0.5)
    assert metrics.reconstruction_mse(x, x_hat) == pytest.approx(0.25)
    assert metrics.reconstruction_mse(x, x) == 0.0


@pytest.mark.parametrize("layout", ["images", "transposed", "flat", "one value"])
def test_reconstruction_mse_in_chunks_is_the_one_pass_mean(layout):
    # more rows than one chunk holds (2048 images), in every layout the docstring allows
    g = torch.Generator().manual_seed(0)
    x, x_hat = torch.rand(5000, 1, 28, 28, generator=g), torch.rand(5000, 1, 28, 28, generator=g)
    x, x_hat = {"images": (x, x_hat), "transposed": (x.flatten(1).T, x_hat.flatten(1).T),
                "flat": (x.flatten(), x_hat.flatten()), "one value": (x[0, 0, 0, 0], x_hat[0, 0, 0, 0])}[layout]
    one_pass = torch.mean((x.double() - x_hat.double()) ** 2).item()
    assert metrics.reconstruction_mse(x, x_hat) == pytest.approx(one_pass, rel=1e-12)


@pytest.mark.parametrize("x, x_hat, err, message", [
    (torch.zeros(4, 784), torch.zeros(4, 1, 28, 28), ValueError, "same shape"),
    (np.zeros((4, 784)), torch.zeros(4, 784), TypeError, "torch.Tensor"),
    (torch.zeros(4, 784, dtype=torch.uint8), torch.zeros(4, 784), TypeError, "255"),
    (torch.full((2, 3), float("nan")), torch.zeros(2, 3), ValueError, "NaN"),
])
def test_reconstruction_mse_errors(x, x_hat, err, message):
    with pytest.raises(err, match=message):
        metrics.reconstruction_mse(x, x_hat)


def test_explained_variance_ratio_matches_sklearn(low_rank_data):
    s = torch.linalg.svdvals(low_rank_data - low_rank_data.mean(0))
    ours = metrics.explained_variance_ratio(s)
    sk = SkPCA().fit(low_rank_data.numpy()).explained_variance_ratio_
    np.testing.assert_allclose(ours.numpy(), sk, atol=1e-5)
    assert ours.sum().item() == pytest.approx(1.0)


def test_explained_variance_ratio_errors():
    with pytest.raises(ValueError, match="sorted"):
        metrics.explained_variance_ratio(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="non-negative"):
        metrics.explained_variance_ratio(torch.tensor([1.0, -2.0]))
    with pytest.raises(ValueError, match="no variance"):
        metrics.explained_variance_ratio(torch.zeros(3))
    with pytest.raises(ValueError, match="1 dimensions"):
        metrics.explained_variance_ratio(torch.ones(3, 3))


@pytest.mark.parametrize("k, m", [(3, 3), (2, 5), (5, 2)])
def test_principal_angles_match_scipy(k, m):
    g = torch.Generator().manual_seed(k * 10 + m)
    a, b = torch.randn(30, k, generator=g, dtype=torch.float64), torch.randn(30, m, generator=g,
                                                                              dtype=torch.float64)
    ours = metrics.principal_angles(a, b)
    ref = np.rad2deg(np.sort(scipy.linalg.subspace_angles(a.numpy(), b.numpy())))
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-8)


def test_principal_angles_tiny_and_right_angles():
    a = torch.eye(10, dtype=torch.float64)[:, :2]
    b = a.clone()
    b[2, 0] = 1e-7  # a rotation by about 1e-7 rad: arccos alone would round it to zero
    angles = metrics.principal_angles(a, b)
    assert angles[1].item() == pytest.approx(np.rad2deg(1e-7), rel=1e-3)
    perpendicular = torch.eye(10)[:, 2:4]
    assert metrics.principal_angles(a.float(), perpendicular).tolist() == pytest.approx([90.0, 90.0])
    # invariant to the basis: any invertible mix of the columns gives the same angles
    mix = torch.tensor([[2.0, 1.0], [0.5, 3.0]], dtype=torch.float64)
    np.testing.assert_allclose(metrics.principal_angles(a @ mix, b).numpy(), angles.numpy(), atol=1e-9)


def test_principal_angles_errors():
    with pytest.raises(ValueError, match="same space"):
        metrics.principal_angles(torch.ones(784, 3), torch.ones(3, 784))
    with pytest.raises(ValueError, match="linearly dependent"):
        metrics.principal_angles(torch.ones(10, 2), torch.eye(10)[:, :2])
    with pytest.raises(ValueError, match="2 dimensions"):
        metrics.principal_angles(torch.ones(10), torch.eye(10))


def test_psnr():
    x = torch.zeros(2, 1, 28, 28)
    assert metrics.psnr(x, x + 0.1) == pytest.approx(20.0)
    assert metrics.psnr(x, x) == float("inf")
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(x, torch.zeros(2, 784))


def test_knn_accuracy():
    z = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    y = torch.tensor([0, 0, 1, 1])
    assert metrics.knn_accuracy(z, y, z + 0.01, y, k=1) == 1.0
    assert metrics.knn_accuracy(z, y, z, 1 - y, k=1) == 0.0
    with pytest.raises(ValueError, match="flatten"):
        metrics.knn_accuracy(torch.rand(4, 1, 2, 2), y, z, y)
    with pytest.raises(ValueError, match="same code size"):
        metrics.knn_accuracy(z, y, torch.rand(4, 3), y)


def test_rank_correlation_matches_scipy():
    from scipy.stats import spearmanr

    g = torch.Generator().manual_seed(4)
    a = torch.randn(200, generator=g)
    b = a + 0.7 * torch.randn(200, generator=g)
    assert metrics.rank_correlation(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-9)
    with pytest.raises(ValueError, match="same length"):
        metrics.rank_correlation(a, b[:5])


def test_bootstrap_auroc_difference_is_the_resampled_roc_auc_score():
    from sklearn.metrics import roc_auc_score
    g = torch.Generator().manual_seed(1)
    labels = torch.rand(500, generator=g) < 0.2
    a = torch.randn(500, generator=g) + labels * 1.0
    b = (torch.randn(500, generator=g) + labels * 0.5).round(decimals=1)   # many tied scores
    low, high = metrics.bootstrap_auroc_difference(labels, a, b, resamples=50, seed=3)
    g = torch.Generator().manual_seed(3)                                     # the same 50 draws
    positives, negatives = torch.where(labels)[0], torch.where(~labels)[0]
    diffs = []
    for _ in range(50):                                                      # stratified: each class
        i = torch.cat([group[torch.randint(0, len(group), (len(group),), generator=g)]
                       for group in (positives, negatives)])
        assert labels[i].sum() == len(positives)
        diffs.append(roc_auc_score(labels[i], a[i]) - roc_auc_score(labels[i], b[i]))
    expected = np.quantile(np.array(diffs), [0.025, 0.975])
    assert (low, high) == pytest.approx(tuple(expected), abs=1e-12)
    assert low < roc_auc_score(labels, a) - roc_auc_score(labels, b) < high
    assert metrics.bootstrap_auroc_difference(labels, a, a) == (0.0, 0.0)
    one_positive = torch.arange(10) == 0                      # a rare class still works: stratified
    assert all(map(np.isfinite, metrics.bootstrap_auroc_difference(one_positive, torch.rand(10),
                                                                   torch.rand(10), resamples=300)))
    with pytest.raises(TypeError, match="boolean"):
        metrics.bootstrap_auroc_difference(labels.long(), a, b)
    with pytest.raises(ValueError, match="both classes"):
        metrics.bootstrap_auroc_difference(torch.ones(500, dtype=torch.bool), a, b)
    with pytest.raises(ValueError, match="one score per label"):
        metrics.bootstrap_auroc_difference(labels, a[:10], b)


def test_auroc_is_roc_auc_score():
    from sklearn.metrics import roc_auc_score
    g = torch.Generator().manual_seed(2)
    labels = torch.rand(700, generator=g) < 0.3
    scores = (torch.randn(700, generator=g) + labels * 0.8).round(decimals=1)   # many ties
    assert metrics.auroc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert metrics.auroc(labels, -scores) == pytest.approx(1 - roc_auc_score(labels, scores), abs=1e-12)
    assert metrics.auroc(labels, torch.zeros(700)) == 0.5                          # all tied
    with pytest.raises(TypeError, match="boolean"):
        metrics.auroc(labels.float(), scores)
    with pytest.raises(ValueError, match="both classes"):
        metrics.auroc(torch.zeros(700, dtype=torch.bool), scores)
