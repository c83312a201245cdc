"""Notebook 08's N-subjettiness exercise check: the worked answer passes, each usual slip is named."""

import math

import pytest
import torch

from course_utils import checks


def _tau(constituents, axes, beta=1.0, wrap=True, normalise=True, nearest=True):
    pt, y, phi = constituents[:, 0], constituents[:, 1], constituents[:, 2]
    d_phi = phi[:, None] - axes[None, :, 1]
    if wrap:
        d_phi = (d_phi + math.pi) % (2 * math.pi) - math.pi
    d_r = torch.sqrt((y[:, None] - axes[None, :, 0]) ** 2 + d_phi ** 2) ** beta
    d_r = d_r.min(dim=1).values if nearest else d_r.sum(dim=1)
    tau = (pt * d_r).sum()
    return (tau / (pt.sum() * 0.8) if normalise else tau).item()


def test_the_worked_answer_passes(capsys):
    checks.check_tau_n(_tau)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("variant, message", [
    (dict(normalise=False), "not normalised"),
    (dict(beta=2.0), "squared distance"),
    (dict(nearest=False), "all the axes"),
    (dict(wrap=False), "phi = pi"),
])
def test_each_slip_gets_its_hint(variant, message):
    with pytest.raises(checks.ExerciseFeedback, match=message):
        checks.check_tau_n(lambda c, a: _tau(c, a, **variant))


def test_a_placeholder_or_a_wrong_shape_is_named():
    def stub(c, a):
        raise NotImplementedError

    with pytest.raises(checks.ExerciseFeedback, match="NotImplementedError"):
        checks.check_tau_n(stub)
    with pytest.raises(checks.ExerciseFeedback, match="shape"):
        checks.check_tau_n(lambda c, a: torch.zeros(len(c)))
