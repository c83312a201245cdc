import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import _files, data

OFFLINE = data.DATASETS["fashion-mnist"][2]
needs_offline_copy = pytest.mark.skipif(
    not OFFLINE.is_dir(), reason="Debian package dataset-fashion-mnist not installed")


@pytest.fixture
def no_download(monkeypatch):
    """Make torchvision's download fail as it does without a network."""
    def refuse(*args, **kwargs):
        raise RuntimeError("Error downloading: <urlopen error Name or service not known>")

    monkeypatch.setattr(data._torchvision_class("fashion-mnist"), "download", refuse)


def _use_offline_source(monkeypatch, source: Path | None):
    name = "fashion-mnist"
    monkeypatch.setitem(data.DATASETS, name, (*data.DATASETS[name][:2], source))


def test_splits_shapes_ranges_and_disjointness():
    train = data.load_images("fashion-mnist", "train")
    val = data.load_images("fashion-mnist", "val")
    test = data.load_images("fashion-mnist", "test")
    assert train.x.shape == (50_000, 1, 28, 28) and val.x.shape == (10_000, 1, 28, 28)
    assert test.x.shape == (10_000, 1, 28, 28) and test.y.shape == (10_000,)
    for s in (train, val, test):
        assert s.x.dtype == torch.float32 and s.y.dtype == torch.int64
        assert 0.0 <= s.x.min() and s.x.max() == 1.0
        assert set(s.y.unique().tolist()) == set(range(10))
    assert train.class_names[0] == "T-shirt/top" and len(train.class_names) == 10
    # validation images are carved out of the training file: no image in both
    train_keys = {bytes(x.numpy()) for x in (train.x[:5000] * 255).to(torch.uint8)}
    assert not any(bytes(x.numpy()) in train_keys for x in (val.x * 255).to(torch.uint8))
    assert "split='val'" in repr(val) and val.flat().shape == (10_000, 784)


def test_split_is_fixed_and_limit_takes_a_prefix():
    a = data.load_images("fashion-mnist", "train", limit=100)
    b = data.load_images("fashion-mnist", "train")
    assert len(a) == 100 and torch.equal(a.x, b.x[:100]) and torch.equal(a.y, b.y[:100])


@pytest.mark.parametrize("kwargs, err, message", [
    ({"name": "cifar"}, ValueError, "unknown data set 'cifar'"),
    ({"split": "validation"}, ValueError, "split must be one of"),
    ({"limit": 0}, ValueError, "positive integer"),
    ({"limit": 2.5}, TypeError, "positive integer"),
])
def test_load_images_rejects_bad_arguments(kwargs, err, message):
    with pytest.raises(err, match=message):
        data.load_images(**kwargs)


@needs_offline_copy
def test_offline_copy_is_decompressed_into_torchvision_layout(tmp_path, monkeypatch, no_download):
    raw = data.prepare("fashion-mnist", tmp_path)
    assert raw == tmp_path / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(s for s, _, _ in data._IDX_FILES)
    fresh = data.load_images("fashion-mnist", "test", root=tmp_path)
    assert torch.equal(fresh.x, data.load_images("fashion-mnist", "test").x)


@needs_offline_copy
def test_interrupted_decompression_leaves_no_half_file(tmp_path, monkeypatch):
    real_copy = shutil.copyfileobj

    def copy_then_fail(src, dst, *args):
        dst.write(src.read(1000))
        raise KeyboardInterrupt

    monkeypatch.setattr(shutil, "copyfileobj", copy_then_fail)
    with pytest.raises(KeyboardInterrupt):
        data.prepare("fashion-mnist", tmp_path)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert list(raw.iterdir()) == []  # neither a half file nor a stray temporary file
    monkeypatch.setattr(shutil, "copyfileobj", real_copy)
    assert data.prepare("fashion-mnist", tmp_path) == raw


def test_corrupted_offline_copy_is_reported(tmp_path, monkeypatch, no_download):
    source = tmp_path / "source"
    source.mkdir()
    for stem, _, _ in data._IDX_FILES:
        with gzip.open(source / f"{stem}.gz", "wb") as fh:
            fh.write(b"this is not an idx file")
    _use_offline_source(monkeypatch, source)
    with pytest.raises(ValueError, match="not a valid idx file"):
        data.prepare("fashion-mnist", tmp_path / "root")
    assert not any((tmp_path / "root" / "FashionMNIST" / "raw").iterdir())


def test_corrupted_raw_file_is_reported(tmp_path, monkeypatch, no_download):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for stem, _, _ in data._IDX_FILES:
        (raw / stem).write_bytes(b"\x00" * 16)
    with pytest.raises(ValueError, match="not a valid idx file.*delete it"):
        data.load_images("fashion-mnist", "test", root=tmp_path)


def test_missing_everywhere_names_both_fixes(tmp_path, monkeypatch, no_download):
    _use_offline_source(monkeypatch, tmp_path / "not-installed")
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.prepare("fashion-mnist", tmp_path)
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "connect to the internet" in message


def test_cli_reports_failure_with_exit_code(tmp_path, monkeypatch, no_download, capsys):
    _use_offline_source(monkeypatch, None)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert data.main(["prepare"]) == 2
    assert "connect to the internet" in capsys.readouterr().err


def test_mnist1d_sequences():
    train = data.load_sequences("train")
    val = data.load_sequences("val")
    test = data.load_sequences("test", limit=100)
    assert train.x.shape == (3000, 40, 1) and val.x.shape == (1000, 40, 1)
    assert test.x.shape == (100, 40, 1) and test.x.dtype == torch.float32
    assert set(train.y.unique().tolist()) == set(range(10))
    assert torch.equal(data.load_sequences("train").x, train.x)  # generated with a fixed seed
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_sequences("dev")


def test_mnist1d_is_generated_once_and_kept(tmp_path, monkeypatch):
    generated, uncached = data._generate_mnist1d(), data._mnist1d_arrays.__wrapped__
    calls = []

    def generate():
        calls.append(1)
        return {k: v.copy() for k, v in generated.items()}

    def fresh():                                               # a new kernel: nothing in memory
        monkeypatch.setattr(data, "_mnist1d_arrays", uncached)
        return data.load_sequences("test")

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "_generate_mnist1d", generate)
    first = fresh()                                            # generates and writes the file
    path = data._mnist1d_file()
    assert path.parent == tmp_path / "mnist1d" and path.is_file() and calls == [1]
    assert torch.equal(first.x[:, :, 0], torch.as_tensor(generated["x_test"], dtype=torch.float32))
    assert torch.equal(fresh().x, first.x) and calls == [1]    # read back, not generated
    nan_x = generated["x"].copy()
    nan_x[3, 4] = np.nan
    wrong = ({**generated, "y": generated["y"][:10]}, {**generated, "y": generated["y"].astype(float)},
             {**generated, "x": nan_x})                        # a wrong shape, type, a NaN
    for broken in (b"truncated", *wrong):
        if isinstance(broken, bytes):
            path.write_bytes(broken)
        else:
            np.savez(path, **broken)
        assert torch.equal(fresh().x, first.x)                 # generated again, file repaired
        with np.load(path) as repaired:
            assert repaired["y"].shape == (4000,)
    assert len(calls) == 5
    path.unlink()

    def read_only(*args, **kwargs):                            # a class's read-only shared folder
        raise PermissionError("read-only")

    monkeypatch.setattr(_files.tempfile, "mkstemp", read_only)
    assert torch.equal(fresh().x, first.x) and not path.exists()   # generated, nothing written
