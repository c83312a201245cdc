import json

import pytest
import torch

from course_utils import cache, train
from course_utils.models import ConvAutoencoder, LinearAutoencoder

X = torch.rand(128, 784, generator=torch.Generator().manual_seed(3))
SPEC = {"data": "random-128", "loss": "mse", "optimizer": "adam-1e-3", "epochs": 2, "seed": 0}


class Counter:
    def __init__(self, epochs=2):
        self.calls, self.epochs = 0, epochs

    def __call__(self, model):
        self.calls += 1
        return train.fit(model, X, epochs=self.epochs, batch_size=32, progress=False, device="cpu")


def _get(tmp_path, trainer, spec=SPEC, latent=4, name="lin"):
    return cache.train_or_load(name, lambda: LinearAutoencoder(784, latent), trainer, spec,
                               cache_dir=tmp_path, device="cpu", verbose=False)


def test_cold_train_then_warm_load_give_identical_outputs(tmp_path):
    trainer = Counter()
    cold, h_cold = _get(tmp_path, trainer)
    warm, h_warm = _get(tmp_path, trainer)
    assert trainer.calls == 1
    assert torch.equal(cold(X), warm(X))
    assert h_warm.train_loss == h_cold.train_loss and len(h_warm.train_loss) == 2
    assert not warm.training


def test_rng_state_after_the_call_does_not_depend_on_cold_or_warm(tmp_path):
    torch.manual_seed(7)
    _get(tmp_path, Counter())
    after_cold = torch.rand(3)
    torch.manual_seed(7)
    _get(tmp_path, Counter())
    assert torch.equal(after_cold, torch.rand(3))


@pytest.mark.parametrize("change", [{"epochs": 3}, {"seed": 1}, {"data": "other"},
                                    {"loss": "bce"}, {"optimizer": "sgd"}])
def test_a_changed_hyper_parameter_misses_the_cache(tmp_path, change):
    trainer = Counter()
    _get(tmp_path, trainer)
    _get(tmp_path, trainer, spec={**SPEC, **change})
    assert trainer.calls == 2


def test_changed_constructor_arguments_miss_the_cache(tmp_path):
    trainer = Counter()
    _get(tmp_path, trainer, latent=4)
    _get(tmp_path, trainer, latent=5)
    assert trainer.calls == 2
    k1 = cache.cache_key(ConvAutoencoder(8), SPEC)
    k2 = cache.cache_key(ConvAutoencoder(8, channels=(8, 16)), SPEC)
    assert k1 != k2


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "delete-meta", "edit-meta"])
def test_a_corrupted_file_is_detected_and_replaced(tmp_path, damage):
    trainer = Counter()
    good, _ = _get(tmp_path, trainer)
    weights, meta = cache.paths("lin", LinearAutoencoder(784, 4), SPEC, tmp_path)
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
        m["key"]["spec"]["epochs"] = 99
        meta.write_text(json.dumps(m))
    with pytest.warns(cache.CacheWarning, match="Training again"):
        again, _ = _get(tmp_path, trainer)
    assert trainer.calls == 2
    assert torch.equal(good(X), again(X))  # same seed, same data: the same weights again
    _get(tmp_path, trainer)  # the replacement is a good checkpoint
    assert trainer.calls == 2


def test_weights_are_loaded_without_pickle(tmp_path):
    _get(tmp_path, Counter())
    weights, _ = cache.paths("lin", LinearAutoencoder(784, 4), SPEC, tmp_path)
    state = torch.load(weights, weights_only=True)
    assert set(state) == {"encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"}
    assert not list(tmp_path.glob("*.tmp")), "temporary files are renamed or removed"


def test_bad_arguments_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="missing \\['epochs'\\]"):
        _get(tmp_path, Counter(), spec={k: v for k, v in SPEC.items() if k != "epochs"})
    with pytest.raises(TypeError, match="describe functions"):
        _get(tmp_path, Counter(), spec={**SPEC, "loss": torch.nn.MSELoss()})
    with pytest.raises(TypeError, match="seed"):
        _get(tmp_path, Counter(), spec={**SPEC, "seed": "0"})
    with pytest.raises(TypeError, match="spec must be a dict"):
        cache.cache_key(LinearAutoencoder(784, 4), ["epochs", 2])
    with pytest.raises(ValueError, match="name must be"):
        _get(tmp_path, Counter(), name="../escape")
    with pytest.raises(TypeError, match="build\\(\\) must return"):
        cache.train_or_load("x", lambda: "model", Counter(), SPEC, cache_dir=tmp_path)


def test_fit_or_load_keys_every_fit_argument(tmp_path):
    def get(**kwargs):
        args = dict(data="random-128", epochs=2, batch_size=32, progress=False, device="cpu",
                    cache_dir=tmp_path, verbose=False)
        return cache.fit_or_load("fit", lambda: LinearAutoencoder(784, 4), X, **{**args, **kwargs})

    m1, h1 = get()
    m2, h2 = get(progress=True)                     # display settings do not retrain
    assert torch.equal(m1(X), m2(X)) and h1.train_loss == h2.train_loss
    assert len(list(tmp_path.glob("*.pt"))) == 1
    get(lr=2e-3)
    get(loss_fn=torch.nn.L1Loss(), loss="l1")
    get(corrupt=lambda x: x * 0.5, corruption="halve")
    assert len(list(tmp_path.glob("*.pt"))) == 4
    with pytest.raises(ValueError, match="name the loss"):
        get(loss_fn=torch.nn.L1Loss())
    with pytest.raises(ValueError, match="name the corruption"):
        get(corrupt=lambda x: x)
    with pytest.raises(TypeError, match="unknown fit arguments \\['epoch'\\]"):
        get(epoch=3)
    with pytest.raises(TypeError, match="another optimiser"):
        get(optimizer=torch.optim.SGD(LinearAutoencoder(784, 4).parameters(), lr=0.1))
    with pytest.raises(TypeError, match="data must name"):
        get(data="")
