import random

import numpy as np
import pytest
import torch

from course_utils import config


def test_paths_follow_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "c"))
    assert config.data_dir() == tmp_path / "d"
    assert config.cache_dir() == tmp_path / "c"


def test_default_paths_are_inside_the_repo_and_ignored(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    assert config.data_dir() == config.REPO_ROOT / "data"
    assert config.cache_dir() == config.REPO_ROOT / ".cache"
    ignored = (config.REPO_ROOT / ".gitignore").read_text().split()
    assert "data/" in ignored and ".cache/" in ignored


def test_device_order(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert config.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert config.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.get_device() == torch.device("cuda")


def test_device_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="not available"):
        config.get_device("cuda")
    with pytest.raises(ValueError, match="must be one of"):
        config.get_device("tpu")
    assert config.get_device("cpu") == torch.device("cpu")


def test_seed_everything_repeats_all_generators():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    config.seed_everything(7)
    first = draw()
    g = config.seed_everything(7)
    assert draw() == first
    assert isinstance(g, torch.Generator) and g.initial_seed() == 7


@pytest.mark.parametrize("bad, err", [(1.5, TypeError), ("0", TypeError), (True, TypeError),
                                      (-1, ValueError), (2**32, ValueError)])
def test_seed_everything_rejects_bad_seeds(bad, err):
    with pytest.raises(err, match="seed"):
        config.seed_everything(bad)
