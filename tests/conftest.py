import sys
from pathlib import Path

import matplotlib
import pytest
import torch

# The build scripts (scripts/export.py, scripts/homework.py) are tested as modules.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def low_rank_data():
    """(500, 20) data near a 3-dimensional subspace, plus noise: PCA has a clear answer."""
    g = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(20, 3, generator=g)).Q
    codes = torch.randn(500, 3, generator=g) * torch.tensor([5.0, 3.0, 2.0])
    return codes @ basis.T + 0.05 * torch.randn(500, 20, generator=g) + 1.0


@pytest.fixture
def images():
    """(16, 1, 28, 28) random images in [0, 1]."""
    return torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(1))
