"""Jet helpers on small hand-made jets, and the generator on a few real events."""

import json
import math

import numpy as np
import pytest
import torch

from course_utils import jets


def _jet(*rows):
    """One jet (1, C, 3) from (pT, d_eta, d_phi) rows."""
    return torch.tensor([rows], dtype=torch.float32)


def _rotate(c, angle, shift=(0.0, 0.0)):
    out = c.clone()
    cos, sin = math.cos(angle), math.sin(angle)
    out[..., 1] = cos * c[..., 1] - sin * c[..., 2] + shift[0]
    out[..., 2] = sin * c[..., 1] + cos * c[..., 2] + shift[1]
    return out


THREE_PRONGS = _jet((300.0, 0.05, 0.02), (200.0, -0.30, 0.25), (100.0, 0.20, -0.35), (5.0, 0.4, 0.4))


def test_preprocessing_centres_on_the_pt_weighted_centroid_and_puts_the_long_axis_vertical():
    p = jets.preprocess(THREE_PRONGS)[0]
    w = p[:, 0] / p[:, 0].sum()
    assert torch.allclose((w.unsqueeze(1) * p[:, 1:]).sum(0), torch.zeros(2), atol=1e-6)
    spread = (w * p[:, 1] ** 2).sum(), (w * p[:, 2] ** 2).sum()
    assert spread[1] > spread[0], "the principal axis is vertical"


@pytest.mark.parametrize("angle, shift", [(0.7, (0.0, 0.0)), (2.0, (0.3, -0.1)), (-1.2, (-0.5, 0.2))])
def test_preprocessing_forgets_position_rotation_and_mirroring(angle, shift):
    want = jets.preprocess(THREE_PRONGS)
    moved = _rotate(THREE_PRONGS, angle, shift)
    mirrored = moved.clone()
    mirrored[..., 1] *= -1
    for jet in (moved, mirrored):
        assert torch.allclose(jets.preprocess(jet), want, atol=1e-5)


def test_images_hold_the_pt_fractions_and_flip_the_heavier_side_up_and_right():
    image = jets.images(THREE_PRONGS, size=16, extent=1.0)
    assert image.shape == (1, 1, 16, 16)
    assert image.sum().item() == pytest.approx(100.0, abs=1e-4), "per cent of the jet's pT"
    assert image.max().item() == pytest.approx(100 * 300 / 605, abs=1e-4)
    top, bottom = image[0, 0, :8].sum(), image[0, 0, 8:].sum()
    left, right = image[0, 0, :, :8].sum(), image[0, 0, :, 8:].sum()
    assert top >= bottom and right >= left


def test_two_equal_prongs_give_two_equal_pixels_on_the_vertical_axis():
    image = jets.images(_jet((100.0, 0.0, 0.3), (100.0, 0.0, -0.3)), size=10, extent=1.0)[0, 0]
    rows, cols = image.nonzero(as_tuple=True)
    assert image[rows, cols].tolist() == pytest.approx([50.0, 50.0])
    assert cols[0] == cols[1] and rows[0] != rows[1]


def test_constituents_outside_the_image_are_dropped_and_padding_ignored():
    far = _jet((300.0, 0.0, 0.0), (100.0, 5.0, 0.0), (0.0, 0.0, 0.0))   # centroid at 1.25
    assert jets.images(far, size=8, extent=2.0).sum().item() == pytest.approx(75.0)


@pytest.mark.parametrize("bad, message", [
    (torch.zeros(2, 5, 3), "no constituents"),
    (torch.rand(2, 5, 2), "(N, C, 3)"),
    (torch.rand(5, 3), "3 dimensions"),
    (-torch.rand(1, 4, 3), "negative pT"),
])
def test_bad_constituents_are_named(bad, message):
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(").replace(")", r"\)")):
        jets.images(bad)


def test_images_are_preprocessing_then_pixelating():
    assert torch.equal(jets.images(THREE_PRONGS), jets.pixelate(jets.preprocess(THREE_PRONGS)))
    assert jets.images(THREE_PRONGS).shape == (1, 1, 28, 28)


def test_the_jet_autoencoder_is_notebook_03s_with_a_linear_output():
    model = jets.JetAutoencoder(**jets.AE_ARGS)
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in model.modules())
    with torch.no_grad():
        model.decoder[-2].bias.fill_(150.0)              # pixels up to 100 must be reachable
        out = model(jets.images(THREE_PRONGS))
    assert out.shape == (1, 1, 28, 28) and out.max() > 100


def test_significance_improvement():
    assert jets.significance_improvement(0.5, 0.01) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="background_efficiency is 0"):
        jets.significance_improvement(0.5, 0.0)
    with pytest.raises(ValueError, match="fraction"):
        jets.significance_improvement(50, 0.1)


def test_a_missing_file_says_how_to_generate_it(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(jets.JetsUnavailableError, match="make setup"):
        jets.load("qcd")
    with pytest.raises(ValueError, match="process must be one of"):
        jets.load("higgs")


def test_splits_partition_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    (tmp_path / "jets").mkdir()
    n = 101
    table = np.zeros((n, 4), dtype=np.float32)
    table[:, 0] = np.arange(n)                      # pT = jet number, to trace every jet
    np.savez(tmp_path / "jets" / "qcd.npz", constituents=np.ones((n, 4, 3), np.float32),
             jets=table, meta=np.array(json.dumps({"process": "qcd"})))
    seen = torch.cat([jets.load("qcd", split).pt for split in ("train", "val", "test")])
    assert sorted(seen.tolist()) == list(range(n))
    assert len(jets.load("qcd", "val", limit=5)) == 5


@pytest.mark.parametrize("process, mass_range", [("qcd", (0, 400)), ("top", (120, 230)),
                                                 ("wprime", (60, 130))])
def test_the_generator_makes_jets_in_the_window(process, mass_range):
    pytest.importorskip("pythia8mc")
    import generate_jets

    out = generate_jets.generate_chunk((process, 7, 6))
    table, constituents = out["jets"], out["constituents"]
    assert (table[:, 0] > 550).all() and (table[:, 0] < 650).all()
    assert (np.abs(table[:, 1]) < 2).all()
    assert mass_range[0] < np.median(table[:, 3]) < mass_range[1]
    pt = constituents[:, :, 0]
    assert (np.diff(pt, axis=1) <= 0).all(), "constituents sorted by pT, padding last"
    assert (np.abs(constituents[:, :, 1:][pt > 0]) < 0.9).all(), "constituents within R of the axis"
