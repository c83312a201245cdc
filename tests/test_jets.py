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


def test_a_missing_file_says_how_to_generate_it(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(jets.JetsUnavailableError, match="make setup"):
        jets.load("qcd")
    with pytest.raises(ValueError, match="process must be one of"):
        jets.load("higgs")


def _write(folder, n=101, events=None, **meta):
    """A small jets file in the current format; pT = jet number, to trace every jet."""
    (folder / "jets").mkdir(exist_ok=True)
    spec = jets.GENERATION["processes"]["qcd"]
    header = dict(format=jets.FORMAT, process="qcd", settings=spec["settings"], match=spec["match"],
                  jet=jets.GENERATION["jet"], nsubjettiness=jets.GENERATION["nsubjettiness"],
                  max_constituents=jets.GENERATION["max_constituents"])
    header.update(meta)
    column = np.zeros(n, np.float32)
    np.savez(folder / "jets" / "qcd.npz", constituents=np.ones((n, 4, 3), np.float32),
             pt=np.arange(n, dtype=np.float32), rapidity=column, eta=column, phi=column,
             mass=column, n_constituents=np.full(n, 4, np.int16), tau=np.zeros((n, 3), np.float32),
             event=np.arange(n) if events is None else events, meta=np.array(json.dumps(header)))


def test_splits_partition_the_file_by_event(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    n = 101
    _write(tmp_path, n, events=np.arange(n) // 2)            # jets 2k and 2k + 1: one event
    loaded = {split: jets.load("qcd", split) for split in ("train", "val", "test")}
    seen = torch.cat([j.pt for j in loaded.values()])
    assert sorted(seen.tolist()) == list(range(n))
    for j in loaded.values():                                 # both jets of an event, or neither
        pairs = set((j.pt // 2).long().tolist())
        assert len(j) == sum(2 if p < n // 2 else 1 for p in pairs)
    assert len(jets.load("qcd", "val", limit=5)) == 5


def test_an_old_or_different_file_is_refused_with_how_to_regenerate(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    _write(tmp_path, format=1)
    with pytest.raises(jets.JetsFormatError, match="format 1.*make jets"):
        jets.load("qcd")
    _write(tmp_path, settings=["PhaseSpace:pTHatMin = 500."])
    with pytest.raises(jets.JetsFormatError, match="settings"):
        jets.load("qcd")
    _write(tmp_path, jet={**jets.GENERATION["jet"], "R": 0.4})
    with pytest.raises(jets.JetsFormatError, match="jet = "):
        jets.load("qcd")


def test_tau_ratios_of_a_loaded_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    _write(tmp_path, n=40)
    loaded = jets.load("qcd", "train")
    assert (loaded.tau21 == 0).all() and (loaded.tau32 == 0).all(), "0 / 0 is 0, not NaN"


# --- N-subjettiness (Thaler & Van Tilburg, arXiv:1011.2268), on jets whose answer is known ---

def test_one_particle_has_no_subjettiness():
    pytest.importorskip("fastjet")
    assert jets.nsubjettiness(_jet((500.0, 0.1, -0.2))).tolist() == [[0.0, 0.0, 0.0]]


@pytest.mark.parametrize("d", [0.1, 0.4, 0.7])
def test_two_equal_particles(d):
    """Axis halfway (E-scheme sum of the two), each particle d / 2 from it: tau_1 = d / (2 R0)."""
    pytest.importorskip("fastjet")
    tau = jets.nsubjettiness(_jet((300.0, 0.0, d / 2), (300.0, 0.0, -d / 2)))[0]
    assert tau[0].item() == pytest.approx(d / (2 * jets.R), rel=1e-6)
    assert tau[1].item() == 0 and tau[2].item() == 0


def test_two_unequal_particles_by_hand():
    """pT 400 at y = 0.3 and pT 100 at y = 0 (same phi): the massless E-scheme axis has rapidity
    y_a = atanh(pz / E); tau_1 = (400 |0.3 - y_a| + 100 |y_a|) / (500 R0)."""
    pytest.importorskip("fastjet")
    pz, e = 400 * math.sinh(0.3), 400 * math.cosh(0.3) + 100
    y_axis = math.atanh(pz / e)
    want = (400 * (0.3 - y_axis) + 100 * y_axis) / (500 * jets.R)
    assert jets.nsubjettiness(_jet((400.0, 0.3, 0.0), (100.0, 0.0, 0.0)))[0, 0].item() == \
        pytest.approx(want, rel=1e-6)


PRONGS = [(0.0, 0.3), (0.26, -0.15), (-0.26, -0.15)]           # three prongs 0.52 apart


def _three_prong_jet(spread=0.01):
    rows = []
    for k, (y, phi) in enumerate(PRONGS):
        rows += [(200.0, y, phi), (20.0 + k, y + spread, phi - spread)]
    return _jet(*rows)


def test_three_prongs_have_small_tau32_and_the_ratios_rank_prongs():
    pytest.importorskip("fastjet")
    tau = jets.nsubjettiness(_three_prong_jet())[0]
    assert tau[2] / tau[1] < 0.1 < tau[1] / tau[0], "tau_3 << tau_2: three prongs"
    two = jets.nsubjettiness(_jet((300.0, 0.0, 0.2), (30.0, 0.01, 0.19), (300.0, 0.0, -0.2),
                                  (30.0, 0.01, -0.21)))[0]
    assert two[1] / two[0] < 0.1, "tau_2 << tau_1: two prongs"


@pytest.mark.parametrize("shift", [(0.5, 0.0), (-1.0, 2.5), (0.3, -3.0)])
def test_subjettiness_ignores_a_boost_along_the_beam_and_a_rotation(shift):
    """A shift in rapidity is a boost along z and one in phi a rotation: distances in (y, phi)
    and the kt clustering do not change (phi wraps around at pi)."""
    pytest.importorskip("fastjet")
    jet = _three_prong_jet(0.05)
    moved = jet.clone()
    moved[..., 1] += shift[0]
    moved[..., 2] = (moved[..., 2] + shift[1] + math.pi) % (2 * math.pi) - math.pi
    assert torch.allclose(jets.nsubjettiness(moved), jets.nsubjettiness(jet), atol=1e-7)


def test_subjettiness_of_padding_and_bad_jets():
    pytest.importorskip("fastjet")
    padded = torch.cat([_three_prong_jet(), torch.zeros(1, 4, 3)], dim=1)
    assert torch.equal(jets.nsubjettiness(padded), jets.nsubjettiness(_three_prong_jet()))
    with pytest.raises(ValueError, match="no constituents"):
        jets.nsubjettiness(torch.zeros(1, 3, 3))


@pytest.mark.parametrize("process, mass_range", [("qcd", (0, 400)), ("top", (120, 230)),
                                                 ("wprime", (60, 130))])
def test_the_generator_makes_jets_in_the_window(process, mass_range):
    pytest.importorskip("pythia8mc")
    import generate_jets

    out = generate_jets.generate_chunk((process, 7, 6))
    table, constituents = out["table"], out["constituents"]               # pt, y, eta, phi, mass
    assert (table[:, 0] > 550).all() and (table[:, 0] < 650).all()
    assert (np.abs(table[:, 2]) < 2).all()
    assert mass_range[0] < np.median(table[:, 4]) < mass_range[1]
    assert len(set(out["event"].tolist())) >= 3, "at most the two leading jets of an event"
    small = out["n_constituents"] <= constituents.shape[1]
    again = jets.nsubjettiness(torch.from_numpy(constituents[small]).double()).float()
    assert torch.allclose(again, torch.from_numpy(out["tau"][small]), atol=1e-4), \
        "the stored tau_N are those of the stored constituents"
    pt = constituents[:, :, 0]
    assert (np.diff(pt, axis=1) <= 0).all(), "constituents sorted by pT, padding last"
    assert (np.abs(constituents[:, :, 1:][pt > 0]) < 0.9).all(), "constituents within R of the axis"


def test_the_generator_clusters_exactly_as_fastjet():
    """Pythia's SlowJet (fjcore), as generate_jets.anti_kt() sets it up, gives FastJet's anti-kt
    jets: on 20 QCD and 20 top events, the same leading jets (pT, rapidity, phi, mass) made of
    the same particles as fastjet.ClusterSequence on the visible final-state particles."""
    pythia8mc, fastjet = pytest.importorskip("pythia8mc"), pytest.importorskip("fastjet")
    import generate_jets

    definition = fastjet.JetDefinition(fastjet.antikt_algorithm, jets.R)
    slow = generate_jets.anti_kt()
    for process in ("qcd", "top"):
        pythia = pythia8mc.Pythia(generate_jets.xmldoc(), False)
        for line in [*generate_jets.QUIET, "Random:seed = 5", *generate_jets.PROCESSES[process]["settings"]]:
            assert pythia.readString(line)
        assert pythia.init()
        for _ in range(20):
            assert pythia.next()
            event = pythia.event
            index = [i for i in range(event.size()) if event[i].isFinal() and event[i].isVisible()]
            particles = []
            for i in index:
                p = event[i]
                particles.append(fastjet.PseudoJet(p.px(), p.py(), p.pz(), p.e()))
                particles[-1].set_user_index(i)
            sequence = fastjet.ClusterSequence(particles, definition)    # kept: jets refer to it
            reference = fastjet.sorted_by_pt(sequence.inclusive_jets(0.0))
            slow.analyze(event)
            assert slow.sizeJet() == len(reference)
            for j, jet in enumerate(reference[:2]):
                assert (slow.pT(j), slow.y(j), slow.phi(j), slow.m(j)) == pytest.approx(
                    (jet.pt(), jet.rap(), jet.phi_std(), jet.m()), rel=1e-9, abs=1e-9)
                assert sorted(slow.constituents(j)) == sorted(c.user_index() for c in jet.constituents())
