"""Checkpoint cache: train a model once, load it instantly afterwards.

``train_or_load(name, build, train, spec)`` builds the model, looks for a checkpoint whose key
matches, and either loads it or trains and stores it. The key is a SHA-256 hash of everything
that determines the weights:

* ``spec``: what the caller knows about the training (data, loss, optimiser, epochs, seed and
  anything else it varies); the keys in :data:`REQUIRED` must be present;
* the model: its class, its ``repr`` (layers and their sizes, so constructor arguments count)
  and the source code of its class;
* the versions of PyTorch and of the cache format.

Weights are written atomically (temporary file, then rename) and read with
``torch.load(weights_only=True)``, which never runs pickled code. A SHA-256 of the weight file is
kept beside it; a corrupted, truncated or mismatched file gives a warning and the model is trained
again. Introduced in notebook 02.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from . import config
from .train import History, fit

FORMAT = 1
REQUIRED = ("data", "loss", "optimizer", "epochs", "seed")
_FIT_DEFAULTS = {name: p.default for name, p in inspect.signature(fit).parameters.items()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY}
_NOT_IN_KEY = {"device", "progress", "num_workers", "callback"}  # do not change the weights


class CacheWarning(UserWarning):
    """A checkpoint could not be used (corrupted, truncated, mismatched); the model is retrained."""


def _source_hash(cls: type) -> str:
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):  # defined in a notebook cell or the REPL: fall back to its name
        source = cls.__qualname__
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def cache_key(model: nn.Module, spec: dict) -> dict:
    """Everything that determines the trained weights, as a JSON-serialisable dict."""
    if not isinstance(spec, dict):
        raise TypeError(f"spec must be a dict describing the training, got {type(spec).__name__}")
    missing = [k for k in REQUIRED if k not in spec]
    if missing:
        raise ValueError(f"spec is missing {missing}: the cache key must name the data, loss, "
                         f"optimiser, epochs and seed, or a change to them would load stale weights")
    try:
        spec_json = json.loads(json.dumps(spec, sort_keys=True))
    except TypeError as err:
        raise TypeError(f"spec must hold only numbers, strings, lists and dicts ({err}); describe "
                        "functions and tensors by name, e.g. loss='bce'") from None
    return {
        "format": FORMAT,
        "spec": spec_json,
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "architecture": repr(model),
        "source": _source_hash(type(model)),
        "torch": ".".join(torch.__version__.split("+")[0].split(".")[:2]),
    }


def _digest(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _atomic_write(path: Path, write: Callable[[str], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a cache can be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError(f"name must be a short label of letters, digits, '-', '_' or '.', got {name!r}")
    return name


def paths(name: str, model: nn.Module, spec: dict, cache_dir: str | Path | None = None
          ) -> tuple[Path, Path]:
    """The weight file and its metadata file for this model and spec."""
    return _paths(name, cache_key(model, spec), cache_dir)


def _paths(name: str, key: dict, cache_dir: str | Path | None) -> tuple[Path, Path]:
    root = Path(cache_dir) if cache_dir is not None else config.cache_dir()
    stem = f"{_check_name(name)}-{_digest(key)[:16]}"
    return root / f"{stem}.pt", root / f"{stem}.json"


def _history_from(meta: dict) -> History:
    h = meta.get("history", {})
    return History(train_loss=list(h.get("train_loss", [])), val_loss=list(h.get("val_loss", [])),
                   extra=list(h.get("extra", [])), seconds=float(h.get("seconds", 0.0)))


def _history_to(history) -> dict:
    if not isinstance(history, History):
        return {}
    extra = history.extra
    try:
        json.dumps(extra)
    except TypeError:
        extra = []  # tensors or objects: not kept in the cache
    return {"train_loss": history.train_loss, "val_loss": history.val_loss, "extra": extra,
            "seconds": history.seconds}


def _try_load(model: nn.Module, weights: Path, meta_path: Path, key: dict) -> History | None:
    """Load into ``model`` and return the stored history, or ``None`` (with a warning) if unusable."""
    if not weights.exists() and not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("key") != key:
            raise ValueError("its metadata describes a different model or training")
        if meta.get("sha256") != _file_sha(weights):
            raise ValueError("the weight file does not match its checksum (corrupted or truncated)")
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except Exception as err:  # any failure means: do not trust it, train again
        warnings.warn(f"ignoring cached checkpoint {weights.name}: {err}. Training again.",
                      CacheWarning, stacklevel=3)
        return None
    return _history_from(meta)


def train_or_load(name: str, build: Callable[[], nn.Module],
                  train: Callable[[nn.Module], History | None], spec: dict, *,
                  cache_dir: str | Path | None = None, device: torch.device | str | None = None,
                  verbose: bool = True) -> tuple[nn.Module, History]:
    """Return ``(model, history)``: loaded from the cache if this exact training was done before.

    ``build()`` returns a fresh model; ``train(model)`` trains it in place and returns its
    :class:`~course_utils.train.History` (e.g. ``lambda m: fit(m, x, epochs=10)``). ``spec``
    describes everything ``train`` does that changes the weights; it must name at least
    ``data``, ``loss``, ``optimizer``, ``epochs`` and ``seed``, and every value you vary.
    Building and training run with the global RNG seeded by ``spec["seed"]`` and restored
    afterwards, so cells after this one see the same random numbers whether the model was
    trained or loaded. The model is returned in evaluation mode on ``device`` (default: the
    fastest available). Introduced in notebook 02.
    """
    seed = spec.get("seed") if isinstance(spec, dict) else None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"spec['seed'] must be an integer, got {seed!r}")
    device = torch.device(device) if device is not None else config.get_device()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build()
        if not isinstance(model, nn.Module):
            raise TypeError(f"build() must return a torch.nn.Module, got {type(model).__name__}")
        key = cache_key(model, spec)
        weights, meta_path = _paths(name, key, cache_dir)
        history = _try_load(model, weights, meta_path, key)
        if history is not None:
            if verbose:
                print(f"Loaded {name} from the cache ({weights.name}); trained in "
                      f"{history.seconds:.0f} s. Delete the file to train again.")
            return model.to(device).eval(), history
        history = train(model.to(device))
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    _atomic_write(weights, lambda tmp: torch.save(state, tmp))
    meta = {"key": key, "sha256": _file_sha(weights), "history": _history_to(history)}
    _atomic_write(meta_path, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1)))
    if verbose:
        print(f"Trained {name} and stored it in the cache as {weights.name}.")
    return model.eval(), history if isinstance(history, History) else History()


def fit_or_load(name: str, build: Callable[[], nn.Module], train_data, val=None, *, data: str,
                loss: str | None = None, corruption: str | None = None,
                cache_dir: str | Path | None = None, verbose: bool = True,
                **fit_kwargs) -> tuple[nn.Module, History]:
    """:func:`train_or_load` around :func:`course_utils.train.fit`: the key is built for you.

    ``fit_or_load(name, build, x_train, x_val, data="fashion-mnist train", epochs=10, lr=2e-3)``
    trains ``build()`` with ``fit(model, x_train, x_val, epochs=10, lr=2e-3)`` the first time.
    Every ``fit`` argument that changes the weights goes into the key, defaults included. Functions
    cannot be hashed, so name them: ``loss`` (required with ``loss_fn``, e.g. ``loss="bce"``)
    and ``corruption`` (required with ``corrupt``, e.g. ``corruption="gaussian 0.3"``). ``data``
    names the training data (dataset, split, subset, preprocessing). Introduced in notebook 02.
    """
    if not isinstance(data, str) or not data:
        raise TypeError("data must name the training data, e.g. data='fashion-mnist train'")
    if "optimizer" in fit_kwargs:
        raise TypeError("fit_or_load trains with Adam at learning rate lr; for another optimiser "
                        "use cache.train_or_load and describe it in spec['optimizer']")
    unknown = set(fit_kwargs) - set(_FIT_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown fit arguments {sorted(unknown)}; see help(train.fit)")
    if "loss_fn" in fit_kwargs and loss is None:
        raise ValueError("name the loss function for the cache key, e.g. loss='bce'")
    if "corrupt" in fit_kwargs and corruption is None:
        raise ValueError("name the corruption for the cache key, e.g. corruption='gaussian 0.3'")
    settings = {**_FIT_DEFAULTS, **fit_kwargs}
    spec = {k: v for k, v in settings.items()
            if k not in _NOT_IN_KEY and k not in ("loss_fn", "corrupt", "optimizer")}
    spec.update(data=data, loss=loss or "mse", optimizer="adam", corruption=corruption)
    return train_or_load(name, build, lambda m: fit(m, train_data, val, **fit_kwargs), spec,
                         cache_dir=cache_dir, device=fit_kwargs.get("device"), verbose=verbose)
