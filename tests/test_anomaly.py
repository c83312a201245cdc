import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix

from course_utils import anomaly, widgets
from course_utils.data import Split
from course_utils.models import ConvAutoencoder, LinearAutoencoder

NAMES = tuple(f"c{i}" for i in range(3))


def _split(n, seed, split):
    g = torch.Generator().manual_seed(seed)
    return Split(torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 3, NAMES, "toy", split)


@pytest.fixture
def toy():
    return anomaly.one_class(_split(60, 0, "train"), _split(30, 1, "val"), _split(30, 2, "test"), 1)


def test_one_class_keeps_only_the_normal_class_for_training(toy):
    assert len(toy.x_train) == 20 and len(toy.x_val) == 10 and len(toy.x_test) == 30
    assert toy.is_anomaly.dtype == torch.bool
    assert torch.equal(toy.is_anomaly, toy.test_labels != 1) and int(toy.is_anomaly.sum()) == 20
    assert "normal='c1'" in repr(toy)


def test_reconstruction_error_is_per_image_summed_squared_error(images):
    model = LinearAutoencoder(784, 4)
    flat = images.flatten(1)
    err = anomaly.reconstruction_error(model, flat, batch_size=5)
    with torch.no_grad():
        expected = ((model(flat) - flat) ** 2).sum(1)
    assert err.shape == (16,) and torch.allclose(err, expected, rtol=1e-5)


def test_knn_distance_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    ref, z = torch.randn(50, 3, generator=g), torch.randn(7, 3, generator=g)
    d = torch.cdist(z, ref).sort(dim=1).values[:, :5].mean(1)
    assert torch.allclose(anomaly.knn_distance(ref, z, k=5, batch_size=2), d)
    assert torch.allclose(anomaly.knn_distance(ref, ref[:3], k=1), torch.zeros(3), atol=1e-3)  # cdist: matmul precision


def test_standardize_threshold_and_confusion_agree_with_numpy_and_sklearn():
    g = torch.Generator().manual_seed(1)
    val, test = torch.randn(1000, generator=g), torch.randn(500, generator=g)
    s = anomaly.standardize(test, val)
    assert torch.allclose(s, (test - val.mean()) / val.std())
    thr = anomaly.threshold_at_fpr(val, 0.05)
    assert (val > thr).float().mean().item() == pytest.approx(0.05, abs=0.002)
    labels = torch.rand(500, generator=g) < 0.3
    cm = anomaly.confusion(test, labels, thr)
    assert np.array_equal(cm, confusion_matrix(labels.numpy(), (test > thr).numpy()))


def test_autoencoder_scores_on_a_conv_ae(toy):
    model = ConvAutoencoder(latent_dim=4, channels=(4, 8))
    scores = anomaly.autoencoder_scores(model, toy, k=3)
    assert set(scores) == {"error", "code kNN", "feature kNN", "combined"}
    for val, test in scores.values():
        assert val.shape == (10,) and test.shape == (30,)
    parts = [anomaly.standardize(scores[n][1], scores[n][0]) for n in ("error", "code kNN", "feature kNN")]
    assert torch.allclose(scores["combined"][1], sum(parts), atol=1e-5)
    z, h = anomaly.conv_features(model, toy.x_test)
    assert z.shape == (30, 4) and h.shape == (30, 8 * 9)


def test_threshold_figure_marks_the_operating_point():
    scores = torch.tensor([0.1, 0.2, 0.3, 0.8, 0.9, 0.4])
    labels = torch.tensor([False, False, False, True, True, True])
    fig = widgets.threshold_figure(scores, labels, 0.35)
    roc_ax = fig.axes[1]
    point = roc_ax.lines[1]
    assert point.get_xdata()[0] == 0.0 and point.get_ydata()[0] == 1.0  # all 3 anomalies flagged
    assert "1.000" in roc_ax.get_legend().get_texts()[0].get_text()      # AUROC
    assert widgets.threshold_slider(scores, labels, 0.35) is not None


@pytest.mark.parametrize("call, err, message", [
    (lambda t: anomaly.one_class(t[0], t[1], t[2], 3), ValueError, "class index 0..2"),
    (lambda t: anomaly.one_class(t[0].x, t[1], t[2], 0), TypeError, "Split"),
    (lambda t: anomaly.one_class(Split(t[0].x[:3], torch.tensor([0, 0, 0]), NAMES, "toy", "train"),
                                 t[1], t[2], 1), ValueError, "no images of class 1"),
    (lambda t: anomaly.knn_distance(torch.zeros(5, 3), torch.zeros(2, 4)), ValueError, "same d"),
    (lambda t: anomaly.knn_distance(torch.zeros(5, 3), torch.zeros(2, 3), k=6), ValueError, "larger"),
    (lambda t: anomaly.standardize(torch.zeros(3), torch.ones(4)), ValueError, "all equal"),
    (lambda t: anomaly.standardize(torch.zeros(3, 1), torch.arange(4.0)), ValueError, "1-D"),
    (lambda t: anomaly.threshold_at_fpr(torch.arange(4.0), 5), ValueError, "fraction"),
    (lambda t: anomaly.threshold_at_fpr(torch.arange(4), 0.1), TypeError, "floating"),
    (lambda t: anomaly.confusion(torch.zeros(3), torch.tensor([0, 1, 0]), 0.5), TypeError, "bool"),
    (lambda t: anomaly.confusion(torch.zeros(3), torch.tensor([True, False]), 0.5), ValueError,
     "same length"),
    (lambda t: anomaly.conv_features(LinearAutoencoder(784, 2), torch.zeros(2, 1, 28, 28)),
     TypeError, "ConvAutoencoder"),
    (lambda t: anomaly.autoencoder_scores(ConvAutoencoder(2), t[0]), TypeError, "OneClassData"),
])
def test_bad_input_gives_clear_errors(call, err, message):
    t = (_split(60, 0, "train"), _split(30, 1, "val"), _split(30, 2, "test"))
    with pytest.raises(err, match=message):
        call(t)
