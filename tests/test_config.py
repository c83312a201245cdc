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


def _gpus(monkeypatch, cuda: bool, mps: bool):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def test_device_is_the_cpu_unless_asked_even_with_gpus(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    _gpus(monkeypatch, cuda=True, mps=True)
    assert config.get_device() == torch.device("cpu")
    assert config.as_device(None) == torch.device("cpu")
    assert config.get_device("cuda") == torch.device("cuda")
    assert config.get_device("mps") == torch.device("mps")


def test_course_device_asks_for_a_device_and_prefer_wins(monkeypatch):
    _gpus(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv("COURSE_DEVICE", "CUDA")
    assert config.get_device() == torch.device("cuda")
    assert config.as_device(None) == torch.device("cuda")
    assert config.get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "")
    assert config.get_device() == torch.device("cpu")


@pytest.mark.parametrize("how", ["prefer", "COURSE_DEVICE"])
@pytest.mark.parametrize("name, hint", [("cuda", "no CUDA GPU"), ("mps", "Apple silicon")])
def test_a_missing_device_is_a_clear_error(monkeypatch, how, name, hint):
    _gpus(monkeypatch, cuda=False, mps=False)
    monkeypatch.setenv("COURSE_DEVICE", name if how == "COURSE_DEVICE" else "cpu")
    with pytest.raises(ValueError, match=f"{how} asks for '{name}'.*{hint}.*use 'cpu'"):
        config.get_device(name if how == "prefer" else None)


def test_unknown_devices_are_named(monkeypatch):
    with pytest.raises(ValueError, match="prefer must be one of cpu, cuda, mps, got 'tpu'"):
        config.get_device("tpu")
    monkeypatch.setenv("COURSE_DEVICE", "gpu")
    with pytest.raises(ValueError, match="COURSE_DEVICE must be one of .* got 'gpu'"):
        config.get_device()
    with pytest.raises(TypeError):
        config.get_device(0)


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


def test_seed_shift_moves_every_seed(monkeypatch):
    monkeypatch.setenv("COURSE_SEED_SHIFT", "2")
    config.seed_everything(5)
    shifted = torch.rand(3)
    torch.manual_seed(7)
    assert torch.equal(shifted, torch.rand(3))
    monkeypatch.setenv("COURSE_SEED_SHIFT", "-1")
    with pytest.raises(ValueError, match="non-negative integer"):
        config.seed_everything(0)
