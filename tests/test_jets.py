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


@pytest.mark.parametrize("process, mass_range", [("qcd", (0, 400)), ("top", (120, 230))])
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


def _write_dijets(folder, name="dijet_qcd", n=50, **meta):
    """A small dijet file in the current format; the leading jet's pT = event number."""
    (folder / "jets").mkdir(exist_ok=True)
    header = dict(format=jets.FORMAT, sample=name, dijet=jets.DIJET,
                  nsubjettiness=jets.GENERATION["nsubjettiness"],
                  max_constituents=jets.GENERATION["max_constituents"])
    if name != jets.BLACKBOX:
        header["settings"] = jets.DIJET_SAMPLES[name]["settings"]
    header.update(meta)
    pair = np.zeros((n, 2), np.float32)
    pt = np.stack([np.arange(n), np.arange(n) + 0.5], 1).astype(np.float32)
    np.savez(folder / "jets" / f"{name}.npz", constituents=np.ones((n, 2, 4, 3), np.float32),
             pt=pt, rapidity=pair, eta=pair, phi=pair, mass=pair + 80,
             n_constituents=np.full((n, 2), 4, np.int16), tau=np.zeros((n, 2, 3), np.float32),
             mjj=np.linspace(1000, 2000, n).astype(np.float32), event=np.arange(n),
             meta=np.array(json.dumps(header)))


def test_dijet_events_keep_both_jets_and_split_by_event(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    _write_dijets(tmp_path)
    parts = {split: jets.load_dijets("dijet_qcd", split) for split in ("train", "val", "test")}
    assert sorted(torch.cat([d.leading.pt for d in parts.values()]).tolist()) == list(range(50))
    for d in parts.values():
        assert torch.equal(d.subleading.pt, d.leading.pt + 0.5), "the two jets of one event together"
        assert torch.equal(d.leading.pt.long(), d.event) and len(d.mjj) == len(d)
    whole = jets.load_dijets("dijet_qcd")
    assert len(whole) == 50 and [len(parts[s]) for s in parts] == [30, 8, 12]
    assert whole.jets[1].mass.eq(80).all() and "Dijets('dijet_qcd', 50 events" in repr(whole)


def test_dijet_files_are_checked_and_the_black_box_has_no_splits(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(jets.JetsUnavailableError, match="make blackbox"):
        jets.load_dijets("blackbox")
    with pytest.raises(jets.JetsUnavailableError, match="make jets"):
        jets.load_dijets("dijet_wprime")
    with pytest.raises(ValueError, match="sample must be one of"):
        jets.load_dijets("dijet_higgs")
    _write_dijets(tmp_path, settings=["PhaseSpace:pTHatMin = 100."])
    with pytest.raises(jets.JetsFormatError, match="settings"):
        jets.load_dijets("dijet_qcd")
    _write_dijets(tmp_path, dijet={**jets.DIJET, "abs_dy_max": 2.0})
    with pytest.raises(jets.JetsFormatError, match="dijet = "):
        jets.load_dijets("dijet_qcd")
    _write_dijets(tmp_path, name=jets.BLACKBOX)
    assert len(jets.load_dijets("blackbox")) == 50
    with pytest.raises(ValueError, match="must be 'all'"):
        jets.load_dijets("blackbox", "test")


def test_the_black_box_truth_follows_from_its_seed():
    truths = [jets.blackbox_truth(seed) for seed in range(400)]
    assert truths[:3] == [jets.blackbox_truth(seed) for seed in range(3)], "the same seed, the same box"
    empty = [t for t in truths if not t["signal"]]
    assert 0.18 < len(empty) / len(truths) < 0.32, "about a quarter hold no signal"
    assert all(t["mass"] is None and t["strength"] == 0 for t in empty)
    full = [t for t in truths if t["signal"]]
    assert {t["mass"] for t in full} == set(np.arange(1200.0, 1801.0, 50.0))
    assert all(2.2 <= t["strength"] <= 3.0 for t in full)
    sizes = [t["events"] for t in truths]
    assert min(sizes) >= 5000 and max(sizes) <= 7000 and len(set(sizes)) > 300, \
        "the number of events tells nothing"
    for bad in (-1, 1.5, "7", True):
        with pytest.raises(ValueError, match="non-negative integer"):
            jets.blackbox_truth(bad)


def test_the_generator_makes_dijet_events():
    pytest.importorskip("pythia8mc")
    import generate_jets

    out = generate_jets.generate_event_chunk((jets.DIJET_SAMPLES["dijet_qcd"]["settings"], 7, 5))
    table, cut = out["table"], jets.DIJET                            # (N, 2, 5): pt, y, eta, phi, mass
    assert (table[:, :, 0] > cut["pt_min"]).all() and (table[:, 0, 0] >= table[:, 1, 0]).all()
    assert (np.abs(table[:, :, 2]) < cut["abs_eta_max"]).all()
    assert (np.abs(table[:, 0, 1] - table[:, 1, 1]) < cut["abs_dy_max"]).all()
    assert (out["mjj"] > cut["mjj_min"]).all()
    pt, y, phi, m = (table[:, :, k].astype(np.float64) for k in (0, 1, 3, 4))
    mt = np.sqrt(pt ** 2 + m ** 2)
    e, pz = (mt * np.cosh(y)).sum(1), (mt * np.sinh(y)).sum(1)
    px, py = (pt * np.cos(phi)).sum(1), (pt * np.sin(phi)).sum(1)
    assert np.sqrt(e ** 2 - px ** 2 - py ** 2 - pz ** 2) == pytest.approx(out["mjj"], rel=1e-3), \
        "m_JJ is the mass of the two jets' four-momenta"
    assert len(set(out["event"].tolist())) == 5


@pytest.mark.parametrize("seed", [4, 2])                         # no signal; a W' of 1400 GeV
def test_the_black_box_hides_its_signal_and_keeps_the_truth_private(seed, tmp_path):
    pytest.importorskip("pythia8mc")
    import generate_jets

    truth = jets.blackbox_truth(seed)
    for sample in jets.DIJET_SAMPLES:                       # the W' yield is set from these
        generate_jets.generate_dijets(sample, tmp_path, workers=1, scale=0.1)
    generate_jets.generate_blackbox(tmp_path, workers=1, seed=seed, scale=0.01)
    with np.load(tmp_path / "blackbox.npz") as f:
        meta, event, mjj = json.loads(str(f["meta"])), f["event"], f["mjj"]
    assert len(event) == round(truth["events"] * 0.01) and (event == np.arange(len(event))).all(), \
        "as many events as drawn (signal or not), renumbered"
    assert not {"settings", "seeds", "events_generated", "events", "cpu_seconds"} & set(meta), \
        "nothing in the data tells the W' apart"
    assert meta["dijet"] == jets.DIJET and (mjj > jets.DIJET["mjj_min"]).all()
    path = tmp_path / "blackbox-truth.json"
    assert path.stat().st_mode & 0o777 == 0o600, "the truth is its owner's only"
    stored = json.loads(path.read_text())
    assert stored == dict(truth, events=len(event), n_background=stored["n_background"],
                          n_signal=stored["n_signal"])
    assert (stored["n_signal"] > 0) == truth["signal"]
    assert stored["n_background"] + stored["n_signal"] == len(event)


def test_make_blackbox_draws_a_secret_seed(tmp_path):
    pytest.importorskip("pythia8mc")
    import generate_jets

    for sample in jets.DIJET_SAMPLES:
        generate_jets.generate_dijets(sample, tmp_path, workers=1, scale=0.05)
    seeds = []
    for _ in range(2):
        assert generate_jets.main(["--out", str(tmp_path), "--workers", "1", "--scale", "0.005",
                                   "--seed", "random", "blackbox"]) == 0
        seeds.append(json.loads((tmp_path / "blackbox-truth.json").read_text())["seed"])
    assert seeds[0] != seeds[1] and min(seeds) > 2 ** 40, "not a number anyone would guess"
    with pytest.raises(SystemExit):
        generate_jets.main(["--out", str(tmp_path), "--seed", "lucky", "blackbox"])
