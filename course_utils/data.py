"""Image data sets (Fashion-MNIST, MNIST) as float tensors, offline first.

Run ``python -m course_utils.data prepare`` once to put the files in place.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import config
from ._files import atomic_write

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
MNIST_CLASSES = tuple(str(d) for d in range(10))

# name -> (torchvision's class name, class names, folder with the original .gz files or None).
# torchvision is imported only to download a missing data set: reading the files takes NumPy,
# and a kernel without torchvision is 160 MB smaller and starts 3 s sooner.
DATASETS = {
    "fashion-mnist": ("FashionMNIST", FASHION_MNIST_CLASSES, Path("/usr/share/datasets/fashion-mnist")),
    "mnist": ("MNIST", MNIST_CLASSES, None),
}
SPLITS = ("train", "val", "test")
VAL_SIZE = 10_000   # validation images carved from the 60 000 training images
MNIST1D_VAL_SIZE = 1_000  # validation sequences carved from the 4 000 training sequences
SPLIT_SEED = 451    # fixed, so every notebook sees the same train/validation split

# The four idx files: (stem, magic number, number of items)
_IDX_FILES = (
    ("train-images-idx3-ubyte", 2051, 60_000),
    ("train-labels-idx1-ubyte", 2049, 60_000),
    ("t10k-images-idx3-ubyte", 2051, 10_000),
    ("t10k-labels-idx1-ubyte", 2049, 10_000),
)


class DatasetUnavailableError(FileNotFoundError):
    """Raised when a data set is neither on disk nor downloadable."""


@dataclass(frozen=True, repr=False)
class Split:
    """One split of a data set: ``x`` float32 (images ``(N, 1, 28, 28)`` in [0, 1], or sequences
    ``(N, T, C)``), ``y`` ``(N,)`` int64 labels."""

    x: torch.Tensor
    y: torch.Tensor
    class_names: tuple[str, ...]
    name: str
    split: str

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.name!r}, split={self.split!r}, x={tuple(self.x.shape)}, "
                f"y={tuple(self.y.shape)}, classes={len(self.class_names)})")

    def flat(self) -> torch.Tensor:
        """Each sample as a flat vector, ``(N, 784)`` for images."""
        return self.x.reshape(len(self.x), -1)


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")


def _raw_dir(name: str, root: Path) -> Path:
    """torchvision's layout: ``root/<ClassName>/raw``."""
    return root / DATASETS[name][0] / "raw"


def _torchvision_class(name: str):
    """torchvision's data set class, which downloads the files (imported only for that)."""
    from torchvision import datasets

    return getattr(datasets, DATASETS[name][0])


def _check_idx(path: Path, magic: int, count: int) -> None:
    """Raise ``ValueError`` unless ``path`` is an idx file with this magic number and item count."""
    with open(path, "rb") as fh:
        header = fh.read(8)
    if len(header) < 8 or int.from_bytes(header[:4], "big") != magic \
            or int.from_bytes(header[4:8], "big") != count:
        raise ValueError(f"{path} is not a valid idx file (expected magic {magic} and "
                         f"{count} items); delete it and run `python -m course_utils.data prepare`")


def _has_raw_files(raw: Path) -> bool:
    return all((raw / stem).is_file() for stem, _, _ in _IDX_FILES)


def _decompress_offline(source: Path, raw: Path) -> None:
    """Decompress the four original ``.gz`` files from ``source`` into ``raw``, atomically per file."""
    raw.mkdir(parents=True, exist_ok=True)
    for stem, magic, count in _IDX_FILES:
        target = raw / stem
        if target.is_file():
            continue

        def decompress(tmp: str, stem=stem, magic=magic, count=count) -> None:
            with open(tmp, "wb") as out, gzip.open(source / f"{stem}.gz", "rb") as src:
                shutil.copyfileobj(src, out)
            _check_idx(Path(tmp), magic, count)

        atomic_write(target, decompress)  # an interrupted run never leaves a half file


def prepare(name: str = "fashion-mnist", root: str | Path | None = None) -> Path:
    """Make sure the data set's files are on disk; returns the folder that holds them.

    Order: files already in place, then the offline copy (Debian package
    ``dataset-fashion-mnist``), then torchvision's download. Introduced in notebook 01.
    """
    _check_name(name)
    root = Path(root) if root is not None else config.data_dir()
    raw = _raw_dir(name, root)
    if _has_raw_files(raw):
        return raw
    offline = DATASETS[name][2]
    if offline is not None and all((offline / f"{s}.gz").is_file() for s, _, _ in _IDX_FILES):
        _decompress_offline(offline, raw)
        return raw
    try:
        tv_class = _torchvision_class(name)
        tv_class(str(root), train=True, download=True)
        tv_class(str(root), train=False, download=True)
    except Exception as exc:  # no network, blocked mirror, disk full, ...
        fixes = [f"connect to the internet once and run `python -m course_utils.data prepare --dataset {name}`"
                 " (torchvision downloads it, about 30 MB)",
                 f"copy the folder {raw.parent.name}/raw from a computer that has it into {raw.parent}"]
        if offline is not None and shutil.which("apt-get"):  # Debian/Ubuntu: the offline copy
            fixes.insert(0, "install the offline copy: `sudo apt-get install dataset-fashion-mnist` "
                            f"(it puts the files in {offline})")
        raise DatasetUnavailableError(
            f"The {name} data set is not in {raw} and could not be downloaded "
            f"({type(exc).__name__}: {exc}). Fix it by one of:\n  - " + "\n  - ".join(fixes)
            + "\n(or point COURSE_DATA_DIR at a folder that already holds it)") from exc
    return raw


def _load_arrays(name: str, root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The official images as uint8 ``(N, 1, 28, 28)`` (47 MB for the training file, a quarter of
    float32), read from the file (from the page cache after the first time: milliseconds) each
    time a split is loaded and converted to float32, and not kept: a kernel holding the notebook's
    float32 splits does not also hold 55 MB of uint8 copies (issue 23: 1 GB per kernel)."""
    raw = prepare(name, root)
    for stem, magic, count in _IDX_FILES:
        _check_idx(raw / stem, magic, count)
    (images, _, _), (labels, _, _) = _IDX_FILES[:2] if train else _IDX_FILES[2:]
    x = np.fromfile(raw / images, dtype=np.uint8, offset=16)   # after magic, count, rows, columns
    y = np.fromfile(raw / labels, dtype=np.uint8, offset=8)    # after magic, count
    return torch.from_numpy(x).reshape(-1, 1, 28, 28), torch.from_numpy(y).to(torch.int64)


def load_images(name: str = "fashion-mnist", split: str = "train", limit: int | None = None,
                root: str | Path | None = None) -> Split:
    """Load one split as a :class:`Split` with ``x`` of shape ``(N, 1, 28, 28)`` in [0, 1].

    ``split`` is "train" (50 000 images), "val" (10 000, carved from the
    official training set with a fixed seed) or "test" (the official 10 000).
    ``limit`` keeps the first ``limit`` images of the split, for fast runs.
    Introduced in notebook 01.
    """
    _check_name(name)
    _check_split(split, limit)
    root = str(Path(root) if root is not None else config.data_dir())
    x, y = _load_arrays(name, root, split != "test")
    x, y = _select(x, y, split, limit, VAL_SIZE)
    # one float32 copy of the selected uint8 images; the same values as converting first
    return Split(x.to(torch.float32).div_(255.0), y.clone(), DATASETS[name][1], name, split)


def _check_split(split: str, limit: int | None) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be a positive integer or None, got {type(limit).__name__}")
        if limit <= 0:
            raise ValueError(f"limit must be a positive integer or None, got {limit}")


def _select(x: torch.Tensor, y: torch.Tensor, split: str, limit: int | None,
            val_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Carve "train"/"val" out of the official training arrays with a fixed seed; apply ``limit``.
    The result may share memory with the cached arrays: the caller copies it (or converts it)."""
    if split != "test":
        perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(SPLIT_SEED))
        idx = perm[:val_size] if split == "val" else perm[val_size:]
        if limit is not None:
            idx = idx[:limit]  # index only what is kept
        return x[idx], y[idx]
    return (x[:limit], y[:limit]) if limit is not None else (x, y)


def _mnist1d_file() -> Path:
    """Where the generated MNIST-1D arrays are kept: one file per version of ``mnist1d``."""
    from importlib.metadata import version

    return config.data_dir() / "mnist1d" / f"mnist1d-{version('mnist1d')}.npz"


def _generate_mnist1d() -> dict[str, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    raw = make_dataset(get_dataset_args())  # generated locally (fixed seed), no download
    return {k: np.asarray(raw[k]) for k in ("x", "y", "x_test", "y_test")}


_MNIST1D_SHAPES = {"x": ((4000, 40), np.floating), "y": ((4000,), np.integer),
                   "x_test": ((1000, 40), np.floating), "y_test": ((1000,), np.integer)}


@functools.lru_cache(maxsize=1)
def _mnist1d_arrays() -> dict[str, torch.Tensor]:
    """Generating MNIST-1D takes 5 s (import and synthesis); the arrays are kept in the data folder
    after the first time (one file per ``mnist1d`` version, whose fixed seed makes them the same
    every time) and read back in milliseconds. A missing file, one with other arrays, shapes, types
    or non-finite values, or an unwritable folder only means generating them again."""
    path = _mnist1d_file()
    try:
        with np.load(path, allow_pickle=False) as stored:
            raw = {k: stored[k] for k in _MNIST1D_SHAPES}
        for k, (shape, kind) in _MNIST1D_SHAPES.items():
            if raw[k].shape != shape or not np.issubdtype(raw[k].dtype, kind) \
                    or not np.isfinite(raw[k]).all():
                raise ValueError(f"{path}: {k} is not what mnist1d generates")
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        raw = _generate_mnist1d()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)

            def save(tmp: str) -> None:
                with open(tmp, "wb") as out:
                    np.savez(out, **raw)

            atomic_write(path, save)
        except OSError:  # a read-only data folder (a class's shared copy): generate each time
            pass
    as_seq = lambda a: torch.as_tensor(a, dtype=torch.float32).unsqueeze(-1)  # noqa: E731
    return {"x": as_seq(raw["x"]), "y": torch.as_tensor(raw["y"], dtype=torch.int64),
            "x_test": as_seq(raw["x_test"]), "y_test": torch.as_tensor(raw["y_test"], dtype=torch.int64)}


def load_sequences(split: str = "train", limit: int | None = None) -> Split:
    """MNIST-1D (Greydanus 2020) as sequences ``x`` ``(N, 40, 1)`` = (samples, time, channels).

    Generated offline with the ``mnist1d`` package's default arguments (fixed seed), once, and
    kept in the data folder: "train" 3 000, "val" 1 000 (carved from the 4 000 training sequences),
    "test" 1 000.
    Introduced in notebook 04.
    """
    _check_split(split, limit)
    arrays = _mnist1d_arrays()
    x, y = (arrays["x_test"], arrays["y_test"]) if split == "test" else (arrays["x"], arrays["y"])
    x, y = _select(x, y, split, limit, MNIST1D_VAL_SIZE)
    return Split(x.clone(), y.clone(), MNIST_CLASSES, "mnist1d", split)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.data",
                                     description="Put a course data set in place (offline copy first).")
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("--dataset", default="fashion-mnist", choices=sorted(DATASETS))
    args = parser.parse_args(argv)
    try:
        path = prepare(args.dataset)
    except DatasetUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.dataset}: ready in {path}")
    _mnist1d_arrays.__wrapped__()  # notebook 04's sequences, generated once into the data folder
    if _mnist1d_file().is_file():
        print(f"mnist1d: ready in {_mnist1d_file().parent}")
    else:
        print(f"mnist1d: could not write to {_mnist1d_file().parent}; notebook 04 will generate the "
              "sequences each time (5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
