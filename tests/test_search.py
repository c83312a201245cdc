"""The search's statistics on samples whose answer is known, and the jet autoencoder."""

import math

import numpy as np
import pytest
import torch

from course_utils import jets, search


def test_the_jet_autoencoder_is_notebook_03s_with_a_linear_output():
    model = search.JetAutoencoder(**search.AE_ARGS)
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in model.modules())
    x = jets.images(torch.tensor([[(300.0, 0.05, 0.02), (200.0, -0.3, 0.25), (100.0, 0.2, -0.35)]]))
    with torch.no_grad():
        model.decoder[-2].bias.fill_(150.0)              # pixels up to 100 must be reachable
        out = model(x)
    assert out.shape == (1, 1, 28, 28) and out.max() > 100


def test_significance_improvement():
    assert search.significance_improvement(0.5, 0.01) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="background_efficiency is 0"):
        search.significance_improvement(0.5, 0.0)
    with pytest.raises(ValueError, match="fraction"):
        search.significance_improvement(50, 0.1)


def test_rejection_at_fixed_signal_efficiency():
    signal = torch.linspace(0, 1, 1001)                  # 30 % of the signal above 0.7
    background = torch.linspace(0, 1, 1001) ** 4          # above 0.7: 1 - 0.7 ** 0.25 of it
    assert search.rejection_at(signal, background, 0.3) == pytest.approx(1 / (1 - 0.7 ** 0.25), rel=0.01)
    assert search.rejection_at(signal + 2, background, 0.3) == math.inf
    with pytest.raises(ValueError, match="strictly between"):
        search.rejection_at(signal, background, 1.0)


def test_binned_thresholds_flatten_the_background_efficiency_in_mass():
    g = torch.Generator().manual_seed(0)
    mass = 300 * torch.rand(20_000, generator=g)
    scores = mass / 100 + torch.randn(20_000, generator=g)  # score correlated with the mass
    edges = torch.tensor([0.0, 50, 100, 150, 200, 300])
    thresholds = search.binned_thresholds(scores, mass, edges, 0.05)
    passed = search.passes_binned(scores, mass, edges, thresholds)
    index = torch.bucketize(mass, edges[1:-1], right=True)
    per_bin = torch.stack([passed[index == k].float().mean() for k in range(5)])
    assert torch.allclose(per_bin, torch.full((5,), 0.05, dtype=per_bin.dtype), atol=0.002)
    plain = scores > torch.quantile(scores, 0.95)
    assert plain[mass > 200].float().mean() > 0.1 > 0.005 > plain[mass < 50].float().mean()
    with pytest.raises(ValueError, match="at least 20"):
        search.binned_thresholds(scores[:30], mass[:30], edges, 0.05)
    with pytest.raises(ValueError, match="one entry per mass bin"):
        search.passes_binned(scores, mass, edges, thresholds[:3])


def test_js_divergence_is_zero_for_one_shape_and_one_for_disjoint_ones():
    p = torch.tensor([1.0, 2.0, 3.0, 0.0])
    assert search.js_divergence(p, 10 * p) == pytest.approx(0.0, abs=1e-12)
    assert search.js_divergence(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same bins"):
        search.js_divergence(p, p[:3])


def test_asimov_significance():
    assert search.asimov_significance(10.0, 1e6) == pytest.approx(10 / 1000, rel=1e-4), "s << b"
    s, b = 20.0, 5.0
    assert search.asimov_significance(s, b) == pytest.approx(
        math.sqrt(2 * ((s + b) * math.log(1 + s / b) - s)))
    assert search.asimov_significance(s, b) < s / math.sqrt(b), "s / sqrt(b) overstates it"
    assert search.asimov_significance(-5.0, 5.0) == pytest.approx(-math.sqrt(10.0))
    with pytest.raises(ValueError, match="positive"):
        search.asimov_significance(1.0, 0.0)


def _falling(n, seed, slope=1.5):
    """Masses from exp(-slope (m - 100) / 100) on 100-300 GeV."""
    u = np.random.default_rng(seed).random(n)
    top = 1 - math.exp(-slope * 2)
    return torch.from_numpy(100 - 100 / slope * np.log(1 - u * top))


def test_sideband_fit_predicts_the_window_and_finds_an_injected_peak():
    mass = _falling(20_000, 1)
    fit = search.sideband_fit(mass)
    assert fit.expected == pytest.approx(fit.observed, rel=3 / math.sqrt(fit.observed))
    assert abs(fit.significance) < 3
    assert fit.parameters[1] == pytest.approx(-1.5, abs=0.1)
    assert fit.fitted.sum() == pytest.approx(fit.counts.sum(), rel=0.05)
    peak = torch.from_numpy(np.random.default_rng(2).normal(173, 10, 600))
    with_peak = search.sideband_fit(torch.cat([mass, peak]))
    assert with_peak.significance > 5
    assert with_peak.observed - with_peak.expected == pytest.approx(600 * 0.996, abs=4 * math.sqrt(fit.expected))
    with pytest.raises(ValueError, match="too few"):
        search.sideband_fit(mass[:5])
    with pytest.raises(ValueError, match="between the sidebands"):
        search.sideband_fit(mass, window=(50.0, 90.0))


def test_the_power_law_shape_fits_a_power_law():
    u = np.random.default_rng(3).random(20_000)           # density ~ m^-4 on 100-300 GeV
    a, b = 100.0 ** -3, 300.0 ** -3
    mass = torch.from_numpy((a - u * (a - b)) ** (-1 / 3))
    fit = search.sideband_fit(mass, shape="power")
    assert fit.parameters[1] == pytest.approx(-4, abs=0.15)
    assert abs(fit.significance) < 3
    with pytest.raises(ValueError, match="shape must be one of"):
        search.sideband_fit(mass, shape="spline")


def test_the_edge_shape_fits_its_own_shape_and_stays_below_its_edge():
    u = np.random.default_rng(4).random(20_000)            # density ~ (1 - m / 400)^3 on 100-300 GeV
    a, b = (1 - 100 / 400) ** 4, (1 - 300 / 400) ** 4
    mass = torch.from_numpy(400 * (1 - (a - u * (a - b)) ** 0.25))
    fit = search.sideband_fit(mass, shape="edge")
    assert fit.parameters[1] == pytest.approx(3, abs=0.15)
    assert abs(fit.significance) < 3
    with pytest.raises(ValueError, match="below it"):
        search.sideband_fit(mass, sidebands=((100.0, 140.0), (200.0, 450.0)), shape="edge")


def _dijet_sample(n, p1=10.0, p2=5.0, seed=5):
    """m_JJ on 1000-2500 GeV drawn from the dijet function (1 - x)^p1 / x^p2, x = m / 14 TeV."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(1000, 2500, 30_001)
    density = search.SHAPES["dijet"](np.array([0.0, p1, p2]), grid)
    cdf = np.cumsum(density)
    return torch.from_numpy(np.interp(rng.random(n) * cdf[-1], cdf, grid))


def test_the_dijet_shape_fits_its_own_spectrum():
    mjj = _dijet_sample(20_000)
    fit = search.sideband_fit(mjj, window=(1400.0, 1600.0), sidebands=((1000.0, 1400.0), (1600.0, 2500.0)),
                              bin_width=50.0, shape="dijet")
    assert fit.parameters[1] == pytest.approx(10.0, abs=4.0)
    assert fit.parameters[2] == pytest.approx(5.0, abs=0.5)
    assert abs(fit.significance) < 3


def test_a_bump_hunt_scans_windows_and_finds_a_bump_where_it_is():
    mjj = _dijet_sample(5_000)
    bump = torch.from_numpy(np.random.default_rng(6).normal(1500, 40, 150))
    masses = range(1200, 1801, 100)
    plain = search.bump_hunt(mjj, masses)
    assert list(plain) == [float(m) for m in masses]
    assert max(f.significance for f in plain.values()) < 3.5, "no bump, no large excess"
    scan = search.bump_hunt(torch.cat([mjj, bump]), masses)
    assert max(scan, key=lambda m: scan[m].significance) == 1500.0 and scan[1500.0].significance > 5
    assert scan[1500.0].observed - scan[1500.0].expected == pytest.approx(150, abs=40)
    assert scan[1500.0].sideband[(scan[1500.0].edges[:-1] >= 1400) & (scan[1500.0].edges[1:] <= 1600)].sum() == 0
    with pytest.raises(ValueError, match="inside the fit range"):
        search.bump_hunt(mjj, [1050.0])
    with pytest.raises(ValueError, match="half_width"):
        search.bump_hunt(mjj, [1500.0], half_width=-5)


def test_pseudo_experiments_follow_the_fitted_background_and_show_the_look_elsewhere_effect():
    mjj = _dijet_sample(2_000)
    toys = search.pseudo_experiments(mjj, scale=0.05, n=60, seed=1)
    sizes = torch.tensor([float(len(t)) for t in toys])
    assert sizes.mean().item() == pytest.approx(100, rel=0.1) and sizes.std() > 3, "Poisson counts"
    assert all(((t >= 1000) & (t < 2500)).all() for t in toys)
    assert torch.equal(search.pseudo_experiments(mjj, 0.05, 2, seed=1)[1], toys[1]), "seeded"
    masses = range(1200, 1801, 100)
    scans = [search.bump_hunt(t, masses) for t in toys]
    largest = torch.tensor([max(f.significance for f in s.values()) for s in scans])
    one = torch.tensor([s[1500.0].significance for s in scans])
    assert largest.median() > one.median() + 0.5
    with pytest.raises(ValueError, match="too few"):
        search.pseudo_experiments(mjj[:5], 1.0, 3)
    with pytest.raises(ValueError, match="pseudo-experiments"):
        search.pseudo_experiments(mjj, 1.0, 0)
