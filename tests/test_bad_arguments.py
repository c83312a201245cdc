"""Every public function of course_utils answers a wrong argument with a clear error.

The functions are found by introspection, not listed by hand, so a new helper cannot skip this.
Each parameter in turn gets each bad value while the others keep a valid example. A call may
succeed (None is a fine value for an optional argument) or raise an error meant for a student:
``TypeError``/``ValueError`` (or an exercise's ``ExerciseFeedback``, an ``assert_*`` helper's
``AssertionError``, a missing-file error)
raised by course_utils itself, never an ``AttributeError`` or a ``RuntimeError`` from deep inside
PyTorch. A parameter without a valid example fails the test: add one to ``EXAMPLES``.
"""

from __future__ import annotations

import inspect
import math
import traceback
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import course_utils
from course_utils import (
    anomaly,
    cache,
    checks,
    config,
    data,
    fingerprint,
    jets,
    metrics,
    models,
    noise,
    plot,
    report,
    search,
    train,
    vae,
    widgets,
)

MODULES = [anomaly, cache, checks, config, data, fingerprint, jets, metrics, models, noise,
           plot, report, search, train, vae, widgets]
PACKAGE = str(Path(course_utils.__file__).parent)
CLEAR = (TypeError, ValueError, AssertionError, FileNotFoundError)  # assert_* helpers assert
# Functions that read or write the data folder or start a command line: tested in test_data.py.
SKIP = {"data.prepare", "data.main", "data.load_images", "data.load_sequences", "jets.load",
        "jets.load_dijets", "search.autoencoder"}

G = torch.Generator().manual_seed(0)
IMAGES = torch.rand(8, 1, 28, 28, generator=G)
JETS = torch.rand(3, 5, 3, generator=G)              # (pT, d_eta, d_phi) of 5 particles, 3 jets


def _split(n=40):
    x = torch.rand(n, 1, 28, 28, generator=G)
    return data.Split(x, torch.arange(n) % 2, ("a", "b"), "sweep", "train")


def _pca():
    return models.PCA().fit(torch.rand(40, 784, generator=G))


def _history():
    return train.History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6])


def _one_class():
    return anomaly.one_class(_split(), _split(), _split(), 0)


def _answer(*args, **kwargs):
    """A student's (wrong) answer: the check must say so, not crash."""
    return torch.zeros(1)


# A valid value for every parameter, by name; "module.function.param" overrides the name.
EXAMPLES = {
    "x": lambda: IMAGES, "x_hat": lambda: IMAGES * 0.9, "x_test": lambda: IMAGES, "x_val": lambda: IMAGES,
    "plot.set_alt.fig": lambda: plt.figure(),
    "plot.describe.fig": lambda: plt.figure(),
    "plot.set_alt.text": "a line of loss against epoch",
    "clean_val": lambda: IMAGES, "noisy_val": lambda: IMAGES,
    "x_normal_train": lambda: _split().x[_split().y == 0], "x_normal_val": lambda: _split().x[_split().y == 0],
    "val_set": lambda: _split(), "test_fpr": lambda: 0.5, "test_tpr": lambda: 0.5,
    "model": lambda: models.ConvAutoencoder(4), "decoder": lambda: models.VAE(2, 16).decoder,
    "model_class": lambda: (lambda: models.ConvAutoencoder(4)),
    "pca": _pca, "reference": lambda: models.ConvAutoencoder(4),
    "mu": lambda: torch.zeros(4, 2), "logvar": lambda: torch.zeros(4, 2),
    "z": lambda: torch.rand(6, 3), "anomaly.knn_distance.reference": lambda: torch.rand(10, 3), "h": lambda: torch.rand(2, 32, 7, 7),
    "scores": lambda: torch.rand(20), "normal_reference": lambda: torch.rand(20),
    "normal_scores": lambda: torch.rand(20), "normal_val_scores": lambda: torch.rand(20),
    "test_scores": lambda: torch.rand(20), "is_anomaly": lambda: torch.arange(20) % 2 == 0,
    "singular_values": lambda: torch.tensor([3.0, 2.0, 1.0]),
    "a": lambda: torch.rand(10, 2), "b": lambda: torch.rand(10, 2),
    "mean": lambda: torch.rand(784), "V": lambda: torch.linalg.qr(torch.rand(784, 32)).Q,
    "output": lambda: (IMAGES * 0.9 + 0.05, torch.zeros(8, 2), torch.zeros(8, 2)),
    "k": lambda: 2, "fraction": lambda: 0.5, "fpr": lambda: 0.1, "threshold": lambda: 0.5,
    "sigma": lambda: 0.3, "level": lambda: 0.3, "kind": lambda: "gaussian", "seed": lambda: 0,
    "beta": lambda: 1.0, "normal_class": lambda: 0, "latent_dim": lambda: 2, "limit": lambda: 3.0,
    "k_max": lambda: 8, "batch_size": lambda: 4, "target": lambda: 0.05, "auroc": lambda: 0.5,
    "train": lambda: _split(), "val": lambda: _split(), "test": lambda: _split(),
    "train_set": lambda: _split(), "test_set": lambda: _split(), "data": lambda: _one_class(),
    "results": lambda: {0.5: (1.0, 3.0), 1.0: (2.0, 2.0), 4.0: (3.0, 1.0)},
    "rows": lambda: {"a": IMAGES[:3], "b": IMAGES[:3]}, "histories": lambda: {"a": _history()},
    "ncols": lambda: 4, "titles": lambda: None, "size": lambda: 1.0, "suptitle": lambda: "t",
    "title": lambda: "t", "logy": lambda: True, "ylabel": lambda: "loss", "n": lambda: 2,
    "weights": lambda: torch.randn(6, 784, generator=torch.Generator().manual_seed(5)),
    "channel": lambda: 0, "row": lambda: IMAGES[:2].numpy().reshape(2, 784), "i": lambda: 0,
    "notebook": lambda: "00", "prefer": lambda: "cpu", "steps": lambda: 5,
    "fn": lambda: (lambda m, xb: m(xb)), "objects": lambda: IMAGES,
    "name": lambda: "sweep", "build": lambda: (lambda: models.LinearAutoencoder(784, 2)),
    "train_data": lambda: IMAGES.flatten(1), "spec": lambda: None, "cache_dir": None,
    "verbose": lambda: False, "retrain": lambda: False, "device": lambda: "cpu",
    "data_label": None, "loss": lambda: None, "corruption": lambda: None,
    "loss_fn": lambda: None, "optimizer": lambda: None, "lr": lambda: 1e-3, "epochs": lambda: 1,
    "cosine": lambda: False, "corrupt": lambda: None, "transform": lambda: None, "num_workers": lambda: 0,
    "progress": lambda: False, "callback": lambda: None,
    # overrides
    "anomaly.conv_features.model": lambda: models.ConvAutoencoder(4),
    "anomaly.autoencoder_scores.model": lambda: models.ConvAutoencoder(4),
    "anomaly.autoencoder_scores.k": lambda: 2,
    "anomaly.knn_distance.k": lambda: 2,
    "anomaly.threshold_at_fpr.normal_scores": lambda: torch.rand(20),
    "vae.elbo.model": lambda: models.VAE(2, 16), "vae.iwae_bound.model": lambda: models.VAE(2, 16),
    "z_fit": lambda: torch.rand(10, 3), "y_fit": lambda: torch.arange(10) % 2,
    "z_eval": lambda: torch.rand(6, 3), "y_eval": lambda: torch.arange(6) % 2,
    "samples": lambda: 2, "likelihood": lambda: "bernoulli", "training": lambda: False,
    "val_training": lambda: False, "levels": lambda: 256,
    "vae.dequantize.x": lambda: torch.randint(0, 256, (8, 1, 28, 28), generator=G).float() / 255,
    "train_codes": lambda: torch.rand(10, 3), "sampled_codes": lambda: torch.rand(6, 3),
    "heldout_codes": lambda: torch.rand(6, 3),
    "checks.check_reconstruction_and_kl.model": lambda: models.VAE(2, 16),
    "checks.check_beta_tradeoff.trained": lambda: {b: models.VAE(2, 16) for b in (0.5, 1.0, 4.0)},
    "checks.check_reparameterize_weights.model": lambda: models.LinearAutoencoder(784, 4),
    "checks.check_reparameterize_weights.x": lambda: IMAGES.flatten(1),
    "checks.check_pca_reconstruct.x": lambda: IMAGES.flatten(1),
    "checks.check_encode.model": lambda: models.MLPAutoencoder(4),
    "checks.check_conv_autoencoder.latent_dim": lambda: 4,
    "checks.check_reconstruction_target.x_val": lambda: IMAGES,
    "checks.check_reconstruction_target.x_train": lambda: IMAGES,
    "checks.check_reconstruction_target.latent_dim": lambda: 4,
    "checks.check_reconstruction_target.unseen": lambda: IMAGES,
    "checks.check_best_k.pca": lambda: models.PCA().fit(torch.rand(300, 784, generator=G)),
    "ks": lambda: (8, 16),
    "widgets.latent_figure.z": lambda: [0.0, 0.5],
    "widgets.latent_explorer.decoder": lambda: models.VAE(2, 16).decoder,
    "widgets.denoise_figure.model": lambda: models.DenoisingAutoencoder((2, 4)),
    "widgets.denoise_sliders.model": lambda: models.DenoisingAutoencoder((2, 4)),
    "widgets.pca_reconstruction_figure.k": lambda: 2,
    "widgets.pca_k_slider.k": lambda: 2,
    "models.PCA.encode.x": lambda: torch.rand(5, 784), "models.PCA.reconstruct.x": lambda: torch.rand(5, 784),
    "models.PCA.decode.z": lambda: torch.rand(5, 2),
    "models.LinearAutoencoder.forward.x": lambda: torch.rand(5, 784),
    "models.RecurrentAutoencoder.encode.x": lambda: torch.rand(3, 10, 1),
    "models.RecurrentAutoencoder.forward.x": lambda: torch.rand(3, 10, 1),
    "models.RecurrentAutoencoder.decode.z": lambda: torch.rand(3, 8),
    "models.VAE.decode.z": lambda: torch.rand(3, 16),
    "models.ConvAutoencoder.code_from_features.h": lambda: torch.rand(2, 32, 7, 7),
    "train.fit.train": lambda: IMAGES.flatten(1),
    "train.fit.model": lambda: models.LinearAutoencoder(784, 2),
    "train.evaluate.data": lambda: IMAGES.flatten(1),
    "train.evaluate.model": lambda: models.LinearAutoencoder(784, 2),
    "train.fit.val": lambda: None,
    "cache.fit_or_load.val": lambda: None,
    "cache.fit_or_load.data": lambda: None,
    "cache.train_or_load.train": lambda: (lambda m: train.fit(m, IMAGES.flatten(1), epochs=1,
                                                                progress=False)),
    "checks.check_threshold_value.threshold": lambda: 0.5,
    "checks.check_working_point.threshold": lambda: 0.5,
    "val_jet_scores": lambda: torch.rand(20), "is_signal": lambda: torch.arange(20) % 2 == 0,
    "event_scores": lambda: torch.rand(20), "jet_efficiency": lambda: 0.1,
    "checks.check_local_significance.mjj": lambda: 1000 + 1500 * torch.rand(200),
    "answer": lambda: dict(signal=False, mass=None, significance=1.0),
    "significances": lambda: {float(m): 1.0 for m in range(1200, 1801, 50)},
    "tagged_mjj": lambda: 1000 + 1500 * torch.rand(200),
    "search.bump_hunt.mjj": lambda: 1000 + 1500 * torch.rand(200), "masses": lambda: [1500.0],
    "search.pseudo_experiments.mjj": lambda: 1000 + 1500 * torch.rand(200),
    "search.pseudo_experiments.scale": lambda: 0.5, "search.pseudo_experiments.n": lambda: 2,
    "jets.wprime_settings.mass": lambda: 1200.0, "half_width": lambda: 100.0, "fit_range": lambda: (1000.0, 2500.0),
    "plot.tile.size": lambda: 28,
    "plot.average_jets.named": lambda: {"QCD": torch.rand(3, 1, 28, 28) * 10},
    "plot.sequence_rows.rows": lambda: {"a": torch.rand(3, 10, 1), "b": torch.rand(3, 10, 1)},
    "train.map_batches.tensors": lambda: IMAGES,
    "train.map_batches.model": lambda: models.ConvAutoencoder(4),
    "metrics.rank_correlation.a": lambda: torch.rand(10), "metrics.rank_correlation.b": lambda: torch.rand(10),
    "metrics.auroc.labels": lambda: torch.arange(10) % 3 == 0,
    "metrics.auroc.scores": lambda: torch.rand(10),
    "metrics.bootstrap_auroc_difference.labels": lambda: torch.arange(10) % 3 == 0,
    "metrics.bootstrap_auroc_difference.a": lambda: torch.rand(10),
    "metrics.bootstrap_auroc_difference.b": lambda: torch.rand(10),
    "metrics.bootstrap_auroc_difference.resamples": lambda: 5,
    "constituents": lambda: JETS, "preprocessed": lambda: JETS, "extent": lambda: 0.8,
    "jets.pixelate.size": lambda: 28, "jets.images.size": lambda: 28,
    "signal_efficiency": lambda: 0.5, "background_efficiency": lambda: 0.1,
    "improvement": lambda: 1.0, "eps_s": lambda: 0.5, "eps_b": lambda: 0.1,
    "n_max": lambda: 3, "signal_scores": lambda: torch.rand(50), "background_scores": lambda: torch.rand(50),
    "search.binned_thresholds.scores": lambda: torch.rand(60), "search.passes_binned.scores": lambda: torch.rand(60),
    "mass": lambda: 100 + 100 * torch.rand(60, generator=torch.Generator().manual_seed(1)),
    "edges": lambda: torch.tensor([0.0, 150.0, 300.0]), "thresholds": lambda: torch.tensor([0.5, 0.5]),
    "p": lambda: torch.tensor([1.0, 2.0]), "q": lambda: torch.tensor([2.0, 1.0]),
    "signal": lambda: 3.0, "background": lambda: 10.0, "window": lambda: (140.0, 200.0),
    "sidebands": lambda: ((100.0, 140.0), (200.0, 300.0)), "bin_width": lambda: 10.0,
    "shape": lambda: "exponential", "checks.check_tau_n.tau_n": lambda: _answer,
}
# Functions whose first argument is the student's answer (a function): a wrong answer is valid.
for _name, _fn in inspect.getmembers(checks, inspect.isfunction):
    if _name.startswith("check_") and _fn.__module__.startswith(checks.__name__ + "."):
        first = next(iter(inspect.signature(_fn).parameters.values()))
        if "Callable" in str(first.annotation):
            EXAMPLES.setdefault(f"checks.{_name}.{first.name}", lambda: _answer)

BAD = {
    "None": lambda: None,
    "a string": lambda: "text",
    "an int": lambda: 3,
    "a negative float": lambda: -1.5,
    "NaN": lambda: math.nan,
    "a 1-D tensor": lambda: torch.rand(3),
    "a wrong-shape tensor": lambda: torch.rand(5, 7),
    "NaN images": lambda: torch.full((4, 1, 28, 28), math.nan),
    "an empty tensor": lambda: torch.empty(0, 1, 28, 28),
    "out-of-range images": lambda: torch.rand(4, 1, 28, 28) * 5 - 2,
    "integer images": lambda: torch.randint(0, 255, (4, 1, 28, 28), dtype=torch.uint8),
    "a model": lambda: nn.Linear(3, 3),
    "a list": lambda: [1, 2],
}


def _defined_in(obj, module) -> bool:
    """Defined in ``module``, or in a module of the package ``module`` (checks.nb05_denoising)."""
    where = getattr(obj, "__module__", None) or ""
    return where == module.__name__ or where.startswith(module.__name__ + ".")


def public_callables():
    """Every public function of every module, and every public method of its public classes."""
    found = []
    for module in MODULES:
        short = module.__name__.split(".")[-1]
        for name, obj in vars(module).items():
            if name.startswith("_") or not _defined_in(obj, module):
                continue
            if inspect.isfunction(obj):
                found.append((f"{short}.{name}", obj, None))
            elif inspect.isclass(obj) and not issubclass(obj, BaseException):
                for method, fn in vars(obj).items():
                    if not method.startswith("_") and inspect.isfunction(fn):
                        found.append((f"{short}.{name}.{method}", fn, obj))
    return [f for f in found if f[0] not in SKIP]


def _instance(cls):
    if cls is models.PCA:
        return _pca()
    if cls is data.Split:
        return _split()
    if cls is models.RecurrentAutoencoder:
        return models.RecurrentAutoencoder(1, 8, 8)
    if cls is models.VAE:
        return models.VAE(16, 16)
    return cls()


def _example(qualname: str, param: str):
    for key in (f"{qualname}.{param}", param):
        if key in EXAMPLES:
            factory = EXAMPLES[key]
            return factory() if callable(factory) else factory
    raise LookupError(f"no valid example for {qualname}({param}=...): add one to EXAMPLES")


def _parameters(fn, cls):
    params = list(inspect.signature(fn).parameters.values())
    if cls is not None:
        params = params[1:]  # self
    return [p for p in params if p.kind is not p.VAR_KEYWORD]


def _call(qualname, fn, cls, args):
    positional = [v for p, v in args
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    keywords = {p.name: v for p, v in args if p.kind is p.KEYWORD_ONLY}
    if qualname == "cache.fit_or_load":
        keywords.update(epochs=1, progress=False)
    if cls is not None:
        return fn(_instance(cls), *positional, **keywords)
    return fn(*positional, **keywords)


def _raised_by_course_utils(err: BaseException) -> bool:
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(PACKAGE)


def sweep(tmp_path):
    """Returns (calls, unclear): the unclear ones as (function, param, bad value, error)."""
    calls, unclear = 0, []
    for qualname, fn, cls in public_callables():
        params = _parameters(fn, cls)
        valid = [(p, _example(qualname, p.name)) for p in params]
        for i, p in enumerate(params):
            for label, bad in BAD.items():
                args = [(q, bad() if j == i else v) for j, (q, v) in enumerate(valid)]
                args = [(q, tmp_path if q.name == "cache_dir" else v) for q, v in args]
                calls += 1
                try:
                    _call(qualname, fn, cls, args)
                except CLEAR as err:
                    if not (_raised_by_course_utils(err) or isinstance(err, checks.ExerciseFeedback)):
                        unclear.append((qualname, p.name, label, f"{type(err).__name__}: {err}"))
                except Exception as err:  # noqa: BLE001 (anything else is unclear)
                    unclear.append((qualname, p.name, label, f"{type(err).__name__}: {err}"))
                finally:
                    import matplotlib.pyplot as plt

                    plt.close("all")
    return calls, unclear


def test_every_public_function_is_found():
    names = {q for q, _, _ in public_callables()}
    assert {"train.predict", "anomaly.reconstruction_error", "vae.elbo",
            "widgets.denoise_sliders", "checks.check_bce", "models.PCA.encode"} <= names
    assert len(names) > 80


def test_every_parameter_has_a_valid_example():
    for qualname, fn, cls in public_callables():
        for p in _parameters(fn, cls):
            _example(qualname, p.name)


def test_the_valid_examples_are_valid(tmp_path, monkeypatch):
    """With every example in place, no function crashes (so a bad value is what the sweep tests).
    Checkpoints go to a temporary cache, not the course's."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    broken = []
    for qualname, fn, cls in public_callables():
        args = [(p, _example(qualname, p.name)) for p in _parameters(fn, cls)]
        try:
            _call(qualname, fn, cls, args)
        except checks.ExerciseFeedback:
            pass  # a check given a wrong answer says so: that is its job
        except Exception as err:  # noqa: BLE001
            broken.append(f"{qualname}: {type(err).__name__}: {err}")
    assert not broken, "\n".join(broken)


def test_wrong_arguments_get_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls, unclear = sweep(tmp_path)
    print(f"{calls} calls with a wrong argument, {len(unclear)} unclear errors")
    assert not unclear, f"{len(unclear)} of {calls} calls end in an unclear error:\n" + "\n".join(
        f"{q}({p}={label}): {err[:160]}" for q, p, label, err in unclear)


def test_the_realistic_mistake_swapped_arguments():
    model = models.ConvAutoencoder(4)
    with pytest.raises(TypeError, match="swap"):
        train.predict(IMAGES, model)
    with pytest.raises(TypeError, match="swap"):
        anomaly.reconstruction_error(IMAGES, model)
    with pytest.raises(TypeError, match="swap"):
        vae.elbo(IMAGES, models.VAE(2, 16))


def test_every_nan_and_infinity_is_caught_in_any_float_type():
    from course_utils._validate import as_float_tensor, extremes
    for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        for bad in (float("nan"), float("inf"), -float("inf")):
            x = torch.rand(4, 1, 28, 28).to(dtype)
            x[2, 0, 13, 7] = bad                                  # one bad value among finite ones
            with pytest.raises(ValueError, match="NaN or infinite"):
                as_float_tensor(x, "x")
            with pytest.raises(ValueError, match="without NaN or infinite"):
                train.predict(models.ConvAutoencoder(4), x.float())
    assert extremes(torch.tensor(2.0)) == (2.0, 2.0)                  # a 0-d tensor
    w = torch.rand(5, requires_grad=True)
    assert extremes(w) == (w.min().item(), w.max().item()) and w.grad is None
