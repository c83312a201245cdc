import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import plot
from course_utils.train import History


def test_image_grid_layout(images):
    fig = plot.image_grid(images[:10], ncols=4, titles=[str(i) for i in range(10)])
    assert isinstance(fig, plt.Figure)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10 and len(fig.axes) == 12  # 3 rows of 4, two empty
    assert shown[3].get_title() == "3"


def test_image_grid_accepts_flat_vectors(images):
    fig = plot.image_grid(images.reshape(16, -1))
    assert fig.axes[0].images[0].get_array().shape == (28, 28)


def test_reconstruction_rows_and_clipping(images):
    fig = plot.reconstruction_rows({"original": images[:5], "k = 2": images[:5] * 1.5 - 0.2})
    assert len(fig.axes) == 2  # one image strip per row
    assert fig.axes[0].get_ylabel() == "original"
    assert torch.allclose(torch.from_numpy(plot.tile(fig.axes[0].images[0].get_array(), 4)),
                          images[4, 0])
    shown = fig.axes[1].images[0].get_array()
    assert shown.shape == (28, 5 * 28 + 4 * plot.GAP) and shown.mask.sum() == 28 * 4 * plot.GAP
    assert shown.min() >= 0.0 and shown.max() <= 1.0


def test_average_jets_log_scale_and_bad_images():
    x = torch.zeros(4, 1, 28, 28)
    x[:, 0, 14, 14] = 100.0                                   # every jet: all pT in one pixel
    fig = plot.average_jets({"QCD": x, "top": x / 2})
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["average QCD jet", "average top jet"]
    assert shown[0].images[0].get_array()[14, 14] == pytest.approx(2.0)          # log10(100)
    assert shown[1].images[0].get_array()[0, 0] == pytest.approx(-3.0)          # empty: clipped
    with pytest.raises(ValueError, match="jet images"):
        plot.average_jets({"QCD": -x})
    with pytest.raises(TypeError, match="non-empty dict"):
        plot.average_jets({})


def test_loss_curves():
    h = History(train_loss=[3.0, 2.0, 1.0], val_loss=[3.5, 2.5, 1.5])
    fig = plot.loss_curves({"a": h, "b": History(train_loss=[1.0, 0.5])})
    assert len(fig.axes[0].lines) == 3 and fig.axes[0].get_yscale() == "log"


@pytest.mark.parametrize("call, err, message", [
    (lambda x: plot.image_grid(x.numpy()), TypeError, "torch.Tensor"),
    (lambda x: plot.image_grid(x * 255), ValueError, "divide by 255"),
    (lambda x: plot.image_grid(x.reshape(16, -1)[:, :700]), ValueError, "square number"),
    (lambda x: plot.image_grid(x, titles=["a"]), ValueError, "1 titles for 16 images"),
    (lambda x: plot.image_grid(x, ncols=0), ValueError, "ncols"),
    (lambda x: plot.reconstruction_rows({"a": x, "b": x[:3]}), ValueError, "same number"),
    (lambda x: plot.reconstruction_rows([x]), TypeError, "dict"),
    (lambda x: plot.loss_curves({"a": History()}), ValueError, "no training losses"),
    (lambda x: plot.image_grid(x[0, 0, 0]), ValueError, "2 or 3 or 4 dimensions"),
])
def test_plot_errors(images, call, err, message):
    with pytest.raises(err, match=message):
        call(images)


def test_image_grid_rejects_uint8():
    with pytest.raises(TypeError, match="divide uint8 images by 255"):
        plot.image_grid(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))


def test_sequence_rows():
    x = torch.randn(8, 40, 1)
    fig = plot.sequence_rows({"input": x, "recon": x * 0.9}, n=4)
    assert len(fig.axes) == 4 and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="same"):
        plot.sequence_rows({"a": x, "b": torch.randn(8, 30, 1)})
    with pytest.raises(ValueError, match="3 dimensions"):
        plot.sequence_rows({"a": x[:, :, 0]})


def test_detectors_draws_the_strongest_units_with_grey_at_zero():
    weights = torch.zeros(5, 784)
    weights[1, :10], weights[3, 0] = 2.0, -7.0          # unit 3 is strongest, then unit 1
    fig = plot.detectors(weights, n=2, ncols=2)
    drawn = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]
    assert len(drawn) == 2
    assert drawn[0].min() == pytest.approx(0.0) and np.median(drawn[0]) == pytest.approx(0.5)
    assert drawn[1].max() == pytest.approx(1.0) and np.median(drawn[1]) == pytest.approx(0.5)
    filters = plot.detectors(torch.randn(4, 1, 3, 3))   # convolution filters: all of them
    assert len([ax for ax in filters.axes if ax.images]) == 4
