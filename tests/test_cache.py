import json
import textwrap
import time

import pytest
import torch
from torch import nn

from course_utils import cache, noise, train, vae
from course_utils.models import LinearAutoencoder

X = torch.rand(128, 784, generator=torch.Generator().manual_seed(3))
FIT = dict(epochs=2, batch_size=32, progress=False, device="cpu", verbose=False)


def _count_trainings(monkeypatch):
    """Count calls of train.fit made through the cache (the list is the wrapper's attribute, so
    the wrapper's fingerprint, which is part of the key, does not change as it counts)."""
    real = cache.fit

    def counting(*args, **kwargs):
        counting.calls.append(1)
        return real(*args, **kwargs)

    counting.calls = []
    monkeypatch.setattr(cache, "fit", counting)
    return counting.calls


def _get(tmp_path, build=lambda: LinearAutoencoder(784, 4), x=X, **kwargs):
    return cache.fit_or_load("lin", build, x, cache_dir=tmp_path, **{**FIT, **kwargs})


def test_cold_train_then_warm_load_give_identical_outputs(tmp_path, monkeypatch, capsys):
    calls = _count_trainings(monkeypatch)
    cold, h_cold = _get(tmp_path)
    warm, h_warm = _get(tmp_path, verbose=True)
    assert len(calls) == 1
    assert torch.equal(cold(X), warm(X))
    assert h_warm.train_loss == h_cold.train_loss and len(h_warm.train_loss) == 2
    assert not warm.training
    assert "Loaded lin from the cache" in capsys.readouterr().out


def test_retrain_true_trains_again_and_replaces_the_checkpoint(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    _get(tmp_path)
    _get(tmp_path, retrain=True)
    _get(tmp_path)
    assert len(calls) == 2 and len(list(tmp_path.glob("*.pt"))) == 1


def test_rng_state_after_the_call_does_not_depend_on_cold_or_warm(tmp_path):
    torch.manual_seed(7)
    _get(tmp_path)
    after_cold = torch.rand(3)
    torch.manual_seed(7)
    _get(tmp_path)
    assert torch.equal(after_cold, torch.rand(3))


@pytest.mark.parametrize("change", [{"epochs": 3}, {"seed": 1}, {"lr": 2e-3}, {"batch_size": 16},
                                    {"cosine": True}, {"loss_fn": nn.L1Loss()},
                                    {"corrupt": lambda x: x * 0.5}, {"transform": lambda x: x - 0.5}])
def test_a_changed_fit_argument_misses_the_cache(tmp_path, monkeypatch, change):
    calls = _count_trainings(monkeypatch)
    _get(tmp_path)
    _get(tmp_path, **change)
    assert len(calls) == 2


def test_a_seed_shift_trains_the_same_recipe_as_seed_plus_shift(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    plain, _ = _get(tmp_path, seed=3)
    monkeypatch.setenv("COURSE_SEED_SHIFT", "2")
    shifted, _ = _get(tmp_path, seed=1)  # make seeds: seed 1 + shift 2 is the seed-3 model
    assert len(calls) == 1 and torch.equal(plain(X), shifted(X))
    _get(tmp_path, seed=3)  # seed 5 now: another model
    assert len(calls) == 2


def test_display_settings_and_labels_do_not_retrain(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    _get(tmp_path, loss_fn=nn.MSELoss())
    _get(tmp_path, loss_fn=nn.MSELoss(), progress=True, data="another name", loss="mse, named")
    assert len(calls) == 1


@pytest.mark.parametrize("label, acting", [({"corruption": "masking 0.5"}, "corrupt="),
                                           ({"loss": "bce"}, "loss_fn=")])
def test_a_name_without_its_function_is_an_error(tmp_path, monkeypatch, label, acting):
    """corruption="masking 0.5" alone would train a plain autoencoder under a denoising name."""
    calls = _count_trainings(monkeypatch)
    with pytest.raises(TypeError, match=f"only a name for people, and no {acting} is given"):
        _get(tmp_path, **label)
    assert not calls and not list(tmp_path.iterdir())


def test_changed_constructor_arguments_miss_the_cache(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    _get(tmp_path, build=lambda: LinearAutoencoder(784, 4))
    _get(tmp_path, build=lambda: LinearAutoencoder(784, 5))
    assert len(calls) == 2


def test_changed_training_data_misses_the_cache(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    x = X.clone()
    _get(tmp_path, x=x)
    x[0, 0] = 0.5               # edited in place: same object, new values
    _get(tmp_path, x=x)
    _get(tmp_path, x=X[:64])    # a subset
    assert len(calls) == 3


# --- The stale-cache cases of issue 12: each must train again ------------------------------------

NOTEBOOK_CLASS = """
class AutoregressiveAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, 8, batch_first=True)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        {body}
"""
TEACHER_FORCED = "return self.out(self.rnn(torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1))[0])"
FREE_RUNNING = "return self.out(self.rnn(torch.zeros_like(x))[0])"


def _notebook_class(body: str):
    """A class defined in a notebook cell: inspect.getsource cannot read it."""
    namespace = {"__name__": "__main__", "nn": nn, "torch": torch}
    exec(compile(textwrap.dedent(NOTEBOOK_CLASS.format(body=body)), "<cell>", "exec"), namespace)
    return namespace["AutoregressiveAE"]


def test_a_notebook_class_whose_forward_changes_trains_again(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    seq = torch.rand(16, 5, 1)
    forced = _notebook_class(TEACHER_FORCED)
    _get(tmp_path, build=forced, x=seq)
    _get(tmp_path, build=_notebook_class(TEACHER_FORCED), x=seq)  # the cell run again: loads
    assert len(calls) == 1
    free = _notebook_class(FREE_RUNNING)
    assert repr(free()) == repr(forced()), "same layers: only the code differs"
    _get(tmp_path, build=free, x=seq)
    assert len(calls) == 2


def test_a_students_class_with_the_instructors_name_and_layers_trains_again(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)

    class ConvAE(nn.Module):  # the instructor's
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = nn.Linear(784, 4), nn.Linear(4, 784)

        def forward(self, x):
            return torch.sigmoid(self.decoder(self.encoder(x)))

    instructor = ConvAE
    _get(tmp_path, build=instructor)

    class ConvAE(nn.Module):  # noqa: F811 (the student's: same name and layers, no sigmoid)
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = nn.Linear(784, 4), nn.Linear(4, 784)

        def forward(self, x):
            return self.decoder(self.encoder(x))

    _get(tmp_path, build=ConvAE)
    assert len(calls) == 2


def test_a_loss_with_another_beta_under_the_same_label_trains_again(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    images = torch.rand(32, 1, 28, 28)
    from course_utils.models import VAE
    beta = 1.0
    loss = lambda out, x: vae.vae_loss(out, x, beta)  # noqa: E731 (as a notebook writes it)
    _get(tmp_path, build=lambda: VAE(2, hidden=16), x=images, loss_fn=loss, loss="beta 1")
    globals()["beta"] = 4.0  # a global in the notebook
    try:
        loss4 = eval("lambda out, x: vae.vae_loss(out, x, beta)", globals())
        _get(tmp_path, build=lambda: VAE(2, hidden=16), x=images, loss_fn=loss4, loss="beta 1")
        beta = 4.0  # noqa: F841 (a closure value)
        _get(tmp_path, build=lambda: VAE(2, hidden=16), x=images, loss_fn=loss, loss="beta 1")
    finally:
        del globals()["beta"]
    assert len(calls) == 3


def test_masking_noise_under_the_gaussian_label_trains_again(tmp_path, monkeypatch):
    calls = _count_trainings(monkeypatch)
    sigma = 0.3
    _get(tmp_path, corrupt=lambda x: noise.gaussian_noise(x, sigma), corruption="gaussian 0.3")
    _get(tmp_path, corrupt=lambda x: noise.masking_noise(x, sigma), corruption="gaussian 0.3")
    sigma = 0.5  # noqa: F841 (the closure sees it)
    _get(tmp_path, corrupt=lambda x: noise.gaussian_noise(x, sigma), corruption="gaussian 0.3")
    assert len(calls) == 3


def test_the_key_is_quick_to_compute(tmp_path, monkeypatch):
    """Building the model and its key for a 50k-image training: well under a second."""
    from course_utils.models import ConvAutoencoder

    def stop(*args, **kwargs):
        raise KeyboardInterrupt  # the key has been computed; training would start here

    monkeypatch.setattr(cache, "fit", stop)
    big = torch.rand(50_000, 1, 28, 28)
    times = []
    for _ in range(2):  # the second call finds the data's digest in the memo
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            cache.fit_or_load("big", lambda: ConvAutoencoder(16), big, big[:1000],
                              cache_dir=tmp_path, device="cpu", verbose=False)
        times.append(time.perf_counter() - start)
    print(f"key with 50k images: {times[0] * 1000:.0f} ms first, {times[1] * 1000:.0f} ms again")
    assert times[0] < 2.0 and times[1] < 0.5, times


def test_train_or_load_keys_the_training_function_and_its_values(tmp_path, capsys):
    def make(lr):
        def trainer(model):
            return train.fit(model, X, epochs=1, lr=lr, progress=False, device="cpu")
        return trainer

    for lr in (1e-3, 1e-3, 2e-3):
        cache.train_or_load("own", lambda: LinearAutoencoder(784, 4), make(lr), cache_dir=tmp_path,
                            device="cpu")
    out = capsys.readouterr().out
    assert out.count("Trained own") == 2 and out.count("Loaded own") == 1


def test_a_training_function_of_your_own_gets_its_time_recorded(tmp_path):
    def trainer(model):  # returns a History without seconds, as a loop written out in a notebook does
        history = train.History()
        time.sleep(0.05)
        history.train_loss.append(1.0)
        return history

    _, cold = cache.train_or_load("timed", lambda: LinearAutoencoder(784, 4), trainer, cache_dir=tmp_path)
    _, warm = cache.train_or_load("timed", lambda: LinearAutoencoder(784, 4), trainer, cache_dir=tmp_path)
    assert cold.seconds >= 0.05 and warm.seconds == cold.seconds


# --- Damaged files --------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "delete-meta", "edit-meta"])
def test_a_corrupted_file_is_detected_and_replaced(tmp_path, monkeypatch, damage):
    calls = _count_trainings(monkeypatch)
    good, _ = _get(tmp_path)
    (weights,) = tmp_path.glob("*.pt")
    meta = weights.with_suffix(".json")
    data = weights.read_bytes()
    if damage == "truncate":
        weights.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        weights.write_bytes(data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:])
    elif damage == "garbage":
        weights.write_bytes(b"not a checkpoint")
    elif damage == "delete-meta":
        meta.unlink()
    else:
        m = json.loads(meta.read_text())
        m["key"]["training"] = "0" * 64
        meta.write_text(json.dumps(m))
    with pytest.warns(cache.CacheWarning, match="Training again"):
        again, _ = _get(tmp_path)
    assert len(calls) == 2
    assert torch.equal(good(X), again(X))  # same seed, same data: the same weights again
    _get(tmp_path)  # the replacement is a good checkpoint
    assert len(calls) == 2


def test_weights_are_loaded_without_pickle(tmp_path):
    _get(tmp_path)
    (weights,) = tmp_path.glob("*.pt")
    state = torch.load(weights, weights_only=True)
    assert set(state) == {"encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"}
    assert not list(tmp_path.glob("*.tmp")), "temporary files are renamed or removed"
    meta = json.loads(weights.with_suffix(".json").read_text())
    assert meta["labels"]["data"] is None and meta["history"]["train_loss"]


def test_bad_arguments_give_clear_errors(tmp_path):
    with pytest.raises(TypeError, match="seed must be an integer"):
        _get(tmp_path, seed="0")
    with pytest.raises(ValueError, match="name must be"):
        cache.fit_or_load("../escape", lambda: LinearAutoencoder(784, 4), X, cache_dir=tmp_path)
    with pytest.raises(TypeError, match="build\\(\\) must return"):
        cache.fit_or_load("x", lambda: "model", X, cache_dir=tmp_path)
    with pytest.raises(TypeError, match="build must be a function"):
        cache.fit_or_load("x", LinearAutoencoder(784, 4), X, cache_dir=tmp_path)
    with pytest.raises(TypeError, match="unknown fit arguments \\['epoch'\\]"):
        _get(tmp_path, epoch=3)
    with pytest.raises(TypeError, match="train_or_load"):
        _get(tmp_path, optimizer=torch.optim.SGD(LinearAutoencoder(784, 4).parameters(), lr=0.1))
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        _get(tmp_path, loss_fn="bce")
    with pytest.raises(TypeError, match="loss must be a string"):
        _get(tmp_path, loss=nn.MSELoss())
    with pytest.raises(TypeError, match="retrain must be"):
        _get(tmp_path, retrain="yes")


def test_the_key_does_not_depend_on_the_front_end(monkeypatch):
    """tqdm.auto is tqdm.notebook's class in Jupyter and tqdm.std's in a script: same training."""
    from tqdm import notebook, std

    from course_utils import fingerprint

    monkeypatch.setattr(train, "tqdm", std.tqdm)
    script = fingerprint.fingerprint(train.fit)
    monkeypatch.setattr(train, "tqdm", notebook.tqdm)
    assert fingerprint.fingerprint(train.fit) == script


def test_the_key_of_a_checked_helper_does_not_change_once_it_has_run():
    """course_utils helpers are wrapped by _validate.arguments, which caches their type hints on
    the first call; the fingerprint follows the wrapped function, not that cache."""
    from course_utils import _validate, fingerprint

    @_validate.arguments
    def halve(x: torch.Tensor) -> torch.Tensor:
        return x * 0.5

    before = fingerprint.fingerprint(halve)
    halve(torch.rand(3))
    assert fingerprint.fingerprint(halve) == before


def test_a_model_with_a_scalar_parameter_is_cached_and_its_value_keyed(tmp_path, monkeypatch):
    class WithNoiseScale(nn.Module):        # a 0-d parameter, like a learned noise variance
        def __init__(self, start=0.0):
            super().__init__()
            self.inner = LinearAutoencoder(784, 4)
            self.log_scale = nn.Parameter(torch.tensor(start))

        def forward(self, x):
            return self.inner(x) * self.log_scale.exp()

    calls = _count_trainings(monkeypatch)
    for start in (0.0, 0.0, 0.5):
        _get(tmp_path, build=lambda start=start: WithNoiseScale(start))
    assert len(calls) == 2


def test_a_class_shares_a_read_only_cache_and_stores_in_its_own(tmp_path, monkeypatch, capsys):
    """On a hub: the instructor's warm cache is read (never written); a student's own training
    goes to the student's own cache; a damaged shared file is not trusted."""
    shared, own = tmp_path / "shared", tmp_path / "own"
    calls = _count_trainings(monkeypatch)
    cache.fit_or_load("lin", lambda: LinearAutoencoder(784, 4), X, cache_dir=shared, **FIT)
    shared_files = sorted(p.name for p in shared.iterdir())
    monkeypatch.setenv("COURSE_SHARED_CACHE_DIR", str(shared))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(own))
    cache.fit_or_load("lin", lambda: LinearAutoencoder(784, 4), X, **{**FIT, "verbose": True})
    assert len(calls) == 1 and "from the class's shared cache" in capsys.readouterr().out
    cache.fit_or_load("lin", lambda: LinearAutoencoder(784, 8), X, **FIT)     # a student's own
    assert len(calls) == 2 and len(list(own.glob("*.pt"))) == 1
    assert sorted(p.name for p in shared.iterdir()) == shared_files, "the shared cache is read only"
    (weights,) = shared.glob("*.pt")
    weights.write_bytes(b"not a checkpoint")
    with pytest.warns(cache.CacheWarning, match="Training again"):
        cache.fit_or_load("lin", lambda: LinearAutoencoder(784, 4), X, **FIT)
    assert len(calls) == 3 and weights.read_bytes() == b"not a checkpoint"
