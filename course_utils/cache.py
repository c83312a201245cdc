"""Checkpoint cache: train a model once, load it instantly afterwards.

``fit_or_load(name, build, x_train, x_val, **fit_args)`` builds the model, looks for a checkpoint
whose key matches, and either loads it or trains it with :func:`course_utils.train.fit` and stores
it. ``train_or_load(name, build, train)`` does the same for a training function of your own.
The key is a SHA-256 hash of everything that determines the weights, computed from the objects
themselves (:mod:`course_utils.fingerprint`), never from labels:

* the model: the code of its class and of every submodule's class (bytecode, so a class defined
  in a notebook counts), its layers and sizes, and its initial weights;
* the training: every ``fit`` argument that changes the weights, the code of the loss and of the
  corruption function with the values they use (``beta``, ``sigma``), the code of ``fit`` itself;
* the data: the values of the training and validation tensors;
* the versions of Python, PyTorch and of the cache format.

Names such as ``data="fashion-mnist train"`` are kept in the metadata for people; they are not the
key, and ``loss=`` or ``corruption=`` without the ``loss_fn=`` or ``corrupt=`` that acts is an error. Weights are written atomically (temporary file, then rename) and read with
``torch.load(weights_only=True)``, which never runs pickled code. A SHA-256 of the weight file is
kept beside it; a corrupted, truncated or mismatched file gives a warning and the model is trained
again. To train again on purpose, pass ``retrain=True``. A class can share one warm cache
read-only (``$COURSE_SHARED_CACHE_DIR``, :func:`course_utils.config.shared_cache_dir`): it is
looked in after your own, and what you train is stored in your own. Introduced in notebook 02.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from . import config
from ._files import atomic_write
from ._validate import arguments
from .fingerprint import fingerprint, tensor_digest
from .train import History, fit

FORMAT = 2
_FIT_DEFAULTS = {name: p.default for name, p in inspect.signature(fit).parameters.items()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY}
_NOT_IN_KEY = {"device", "progress", "num_workers", "callback"}  # do not change the weights


class CacheWarning(UserWarning):
    """A checkpoint could not be used (corrupted, truncated, mismatched); the model is retrained."""


def _digest(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError(f"name must be a short label of letters, digits, '-', '_' or '.', got {name!r}")
    return name


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


@arguments
def train_or_load(name: str, build: Callable[[], nn.Module],
                  train: Callable[[nn.Module], History | None], spec: dict | None = None, *,
                  seed: int = 0, cache_dir: str | Path | None = None,
                  device: torch.device | str | None = None, verbose: bool = True,
                  retrain: bool = False) -> tuple[nn.Module, History]:
    """Return ``(model, history)``: loaded from the cache if this exact training was done before.

    ``build()`` returns a fresh model; ``train(model)`` trains it in place and returns its
    :class:`~course_utils.train.History`. The key covers the model (code, layers, initial
    weights), the code of ``train`` with every value it uses (closure, defaults, globals: data
    tensors included) and ``spec``, a dict of anything else you want to count. Building and
    training run with the global RNG seeded by ``seed`` and restored afterwards, so cells after
    this one see the same random numbers whether the model was trained or loaded. The model is
    returned in evaluation mode on ``device`` (default: the fastest available). ``retrain=True``
    trains even if a checkpoint exists, and replaces it. Introduced in notebook 02.
    """
    return _train_or_load(name, build, train, (train, spec or {}), {},
                          seed=seed + config.seed_shift(),
                          cache_dir=cache_dir, device=device, verbose=verbose, retrain=retrain)


def _train_or_load(name: str, build: Callable[[], nn.Module], train: Callable, key_parts,
                   labels: dict, *, seed: int, cache_dir, device, verbose: bool,
                   retrain: bool) -> tuple[nn.Module, History]:
    _check_name(name)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if not callable(build) or isinstance(build, nn.Module):
        raise TypeError(f"build must be a function that returns a fresh model (e.g. "
                        f"lambda: models.ConvAutoencoder(16)), got {type(build).__name__}")
    device = config.as_device(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build()
        if not isinstance(model, nn.Module):
            raise TypeError(f"build() must return a torch.nn.Module, got {type(model).__name__}")
        start = time.perf_counter()
        key = {"format": FORMAT, "model": fingerprint(type(model), model),
               "initial_weights": fingerprint({k: tensor_digest(v)
                                               for k, v in model.state_dict().items()}),
               "training": fingerprint(key_parts, seed),
               "torch": ".".join(torch.__version__.split("+")[0].split(".")[:2])}
        key_seconds = time.perf_counter() - start
        weights, meta_path = _paths(name, key, cache_dir)
        history, where = None, "the cache"
        if not retrain:
            history = _try_load(model, weights, meta_path, key)
            shared = config.shared_cache_dir() if cache_dir is None else None
            if history is None and shared is not None:     # the class's cache: read, never written
                history = _try_load(model, *_paths(name, key, shared), key)
                where = "the class's shared cache"
        if history is not None:
            if verbose:
                print(f"Loaded {name} from {where} (trained earlier in {history.seconds:.0f} s; "
                      f"key {key_seconds * 1000:.0f} ms). To train it again: retrain=True.")
            return model.to(device).eval(), history
        started = time.perf_counter()
        history = train(model.to(device))
        if isinstance(history, History) and not history.seconds:  # a training function of your own
            history.seconds = time.perf_counter() - started
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    atomic_write(weights, lambda tmp: torch.save(state, tmp))
    meta = {"key": key, "labels": labels, "sha256": _file_sha(weights),
            "history": _history_to(history)}
    atomic_write(meta_path, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1)))
    if verbose:
        print(f"Trained {name} and stored it in the cache as {weights.name}.")
    return model.eval(), history if isinstance(history, History) else History()


# A name for people, the argument that acts, what training does without it, an example.
_LABELLED = {"loss": ("loss_fn", "the mean squared error", "loss_fn=nn.BCELoss()"),
             "corruption": ("corrupt", "clean inputs (a plain autoencoder)",
                            "corrupt=lambda x: noise.gaussian_noise(x, 0.3)")}


def _check_labels(labels: dict, fit_kwargs: dict) -> None:
    """A name for people must not stand in for the argument that trains: ``corruption=`` without
    ``corrupt=`` would train a plain autoencoder and store it under a denoising name."""
    for label, (acting, default, example) in _LABELLED.items():
        if labels[label] is not None and fit_kwargs.get(acting) is None:
            raise TypeError(f"{label}={labels[label]!r} is only a name for people, and no {acting}= "
                            f"is given, so training would use {default}. Pass the function as "
                            f"{acting}= (e.g. {example}), or leave the name out")


@arguments
def fit_or_load(name: str, build: Callable[[], nn.Module], train_data, val=None, *,
                data: str | None = None, loss: str | None = None, corruption: str | None = None,
                cache_dir: str | Path | None = None, verbose: bool = True, retrain: bool = False,
                **fit_kwargs) -> tuple[nn.Module, History]:
    """:func:`train_or_load` around :func:`course_utils.train.fit`: the key is built for you.

    ``fit_or_load(name, build, x_train, x_val, epochs=10, lr=2e-3)`` trains ``build()`` with
    ``fit(model, x_train, x_val, epochs=10, lr=2e-3)`` the first time and loads it afterwards.
    The key covers the data tensors, every ``fit`` argument that changes the weights (defaults
    included) and the code of ``loss_fn`` and ``corrupt`` with the values they use, so an edit
    anywhere trains again. ``data``, ``loss`` and ``corruption`` are optional names for people
    (kept in the checkpoint's metadata, never in the key); ``loss=`` needs ``loss_fn=`` and
    ``corruption=`` needs ``corrupt=`` beside it, or it is an error, since a name alone would
    not change the training. ``retrain=True`` trains again and replaces the
    checkpoint. Introduced in notebook 02.
    """
    if "optimizer" in fit_kwargs:
        raise TypeError("fit_or_load trains with Adam at learning rate lr; for another optimiser "
                        "write your own training function and use cache.train_or_load")
    unknown = set(fit_kwargs) - set(_FIT_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown fit arguments {sorted(unknown)}; see help(train.fit)")
    for fn in ("loss_fn", "corrupt", "transform"):
        if fit_kwargs.get(fn) is not None and not callable(fit_kwargs[fn]):
            raise TypeError(f"{fn} must be a function, got {type(fit_kwargs[fn]).__name__}")
    labels = {"data": data, "loss": loss, "corruption": corruption}
    _check_labels(labels, fit_kwargs)
    if config.seed_shift():  # make seeds: the same recipe from another seed
        seed = fit_kwargs.get("seed", _FIT_DEFAULTS["seed"]) + config.seed_shift()
        fit_kwargs = {**fit_kwargs, "seed": seed}
    settings = {k: v for k, v in {**_FIT_DEFAULTS, **fit_kwargs}.items() if k not in _NOT_IN_KEY}
    return _train_or_load(name, build, lambda m: fit(m, train_data, val, **fit_kwargs),
                          (fit, settings, train_data, val), labels, seed=settings["seed"],
                          cache_dir=cache_dir, device=fit_kwargs.get("device"), verbose=verbose,
                          retrain=retrain)
