import pytest
import torch
from torch import nn

from course_utils import config, train
from course_utils.models import LinearAutoencoder


def _run(seed=0, **kwargs):
    config.seed_everything(seed)
    x = torch.rand(256, 784, generator=torch.Generator().manual_seed(5))
    model = LinearAutoencoder(784, 4)
    history = train.fit(model, x[:200], x[200:], epochs=3, batch_size=32, progress=False,
                        device="cpu", **kwargs)
    return model, history


def test_fit_records_losses_and_learns():
    model, history = _run()
    assert len(history.train_loss) == len(history.val_loss) == 3
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.seconds > 0 and "epochs=3" in repr(history)


def test_fit_is_deterministic_under_a_seed():
    m1, h1 = _run(seed=1)
    m2, h2 = _run(seed=1)
    assert h1.train_loss == h2.train_loss
    assert torch.equal(m1.decoder.weight, m2.decoder.weight)
    _, h3 = _run(seed=2)
    assert h3.train_loss != h1.train_loss


def test_fit_uses_inputs_and_targets_and_callback():
    x = torch.rand(64, 784)
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 784)

        def forward(self, inputs):
            seen.append(inputs.detach().clone())
            return self.lin(inputs)

    noisy = x + 1.0
    history = train.fit(Spy(), (noisy, x), epochs=2, batch_size=64, progress=False, device="cpu",
                        callback=lambda epoch, model: epoch * 10)
    assert all(torch.allclose(s.sort(0).values, noisy.sort(0).values) for s in seen)
    assert history.extra == [10, 20] and history.val_loss == []


def test_cosine_schedule_ends_at_zero_learning_rate():
    model = LinearAutoencoder(784, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train.fit(model, torch.rand(50, 784), optimizer=opt, epochs=2, batch_size=16, cosine=True,
              progress=False, device="cpu")
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_fit_reports_a_diverging_loss():
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        train.fit(_Diverging(), torch.rand(64, 784), epochs=1, progress=False, device="cpu")


class _Diverging(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * self.w * float("inf")


@pytest.mark.parametrize("kwargs, err, message", [
    ({"model": "model"}, TypeError, "torch.nn.Module"),
    ({"train": [1, 2, 3]}, TypeError, "pair"),
    ({"train": (torch.rand(4, 784), torch.rand(5, 784))}, ValueError, "same number of samples"),
    ({"train": torch.zeros(4, 784, dtype=torch.uint8)}, TypeError, "floating-point"),
    ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
    ({"batch_size": 1.5}, TypeError, "batch_size must be an integer"),
    ({"lr": -1}, ValueError, "lr must be a positive number"),
    ({"num_workers": -1}, ValueError, "num_workers"),
])
def test_fit_rejects_bad_arguments(kwargs, err, message):
    args = {"model": LinearAutoencoder(784, 2), "train": torch.rand(8, 784)}
    args.update(kwargs)
    with pytest.raises(err, match=message):
        train.fit(args.pop("model"), args.pop("train"), progress=False, device="cpu", **args)


def test_predict_and_evaluate():
    model = LinearAutoencoder(784, 2)
    x = torch.rand(10, 784)
    out = train.predict(model, x, batch_size=3)
    assert out.shape == (10, 784) and not out.requires_grad
    assert train.evaluate(model, x) == pytest.approx(nn.functional.mse_loss(out, x).item(), rel=1e-5)


def test_denoising_data_path_input_is_corrupted_and_target_is_clean():
    """The model must see the corrupted tensor; the loss must compare with the clean one."""
    clean = torch.rand(32, 784, generator=torch.Generator().manual_seed(0))
    seen_inputs, seen_targets = [], []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1))

        def forward(self, inputs):
            seen_inputs.append(inputs.detach().clone())
            return inputs * (1 + self.w)

    def loss_fn(x_hat, target):
        seen_targets.append(target.detach().clone())
        return ((x_hat - target) ** 2).mean()

    history = train.fit(Spy(), clean, epochs=2, batch_size=32, progress=False, device="cpu",
                        loss_fn=loss_fn, corrupt=lambda x: (x + 0.5).clamp(0, 1))
    for inputs, target in zip(seen_inputs, seen_targets):
        assert torch.allclose(inputs, (target + 0.5).clamp(0, 1))   # input: corrupted target
        assert torch.allclose(target.sort(0).values, clean.sort(0).values)  # target: clean data
    assert history.train_loss[0] > 0.01  # a plain autoencoder on (clean, clean) would score 0


def test_transform_trains_exactly_as_on_the_transformed_tensor():
    """``transform=lambda x: x - mean`` (notebook 01) gives the weights and losses of training on
    the centred copy, to the bit, without holding that copy."""
    x = torch.rand(256, 784, generator=torch.Generator().manual_seed(5))
    mean = x[:200].mean(dim=0)
    runs = []
    for data, val, kwargs in [(x[:200] - mean, x[200:] - mean, {}),
                              (x[:200], x[200:], {"transform": lambda t: t - mean})]:
        config.seed_everything(0)
        model = LinearAutoencoder(784, 4)
        history = train.fit(model, data, val, epochs=2, batch_size=32, cosine=True, progress=False,
                            device="cpu", **kwargs)
        runs.append((model.state_dict(), history))
    (w_copy, h_copy), (w_transform, h_transform) = runs
    assert all(torch.equal(w_copy[k], w_transform[k]) for k in w_copy)
    assert h_copy.train_loss == h_transform.train_loss and h_copy.val_loss == h_transform.val_loss


def test_transform_must_be_a_function():
    with pytest.raises(TypeError, match="transform must be a function"):
        train.fit(LinearAutoencoder(784, 2), torch.rand(8, 784), epochs=1, progress=False,
                  transform=torch.zeros(784))


def test_fresh_noise_every_epoch():
    draws = []
    train.fit(LinearAutoencoder(784, 2), torch.rand(8, 784), epochs=2, batch_size=8,
              progress=False, device="cpu",
              corrupt=lambda x: draws.append(torch.randn(1).item()) or x)
    assert len(draws) == 2 and draws[0] != draws[1]


def test_a_convolutional_model_of_your_own_trains_as_written():
    class Flattening(nn.Module):          # .view needs the default memory order: it must not change
        def __init__(self):
            super().__init__()
            self.conv, self.out = nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.Linear(4 * 14 * 14, 784)

        def forward(self, x):
            h = self.conv(x)
            return torch.sigmoid(self.out(h.view(len(h), -1))).view(len(x), 1, 28, 28)

    model, x = Flattening(), torch.rand(20, 1, 28, 28)
    history = train.fit(model, x, epochs=1, batch_size=10, progress=False, device="cpu")
    assert len(history.train_loss) == 1 and train.predict(model, x).shape == x.shape
    assert model.conv.weight.is_contiguous()


def test_the_default_optimiser_is_fused_adam_on_the_cpu(monkeypatch):
    made = []
    original = torch.optim.Adam

    def spy(*args, **kwargs):
        made.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch.optim, "Adam", spy)
    _run()
    assert made == [{"lr": 1e-3, "fused": True}]


def test_predict_returns_exactly_the_batches_in_order_whatever_they_return():
    from torch import nn

    x = torch.rand(5, 3, generator=torch.Generator().manual_seed(0))

    class Odd(nn.Module):
        """The identity, except that one batch's output has another number of rows or dtype."""

        def __init__(self, odd):
            super().__init__()
            self.w, self.calls, self.odd = nn.Parameter(torch.zeros(1)), 0, odd

        def forward(self, xb):
            self.calls += 1
            if self.calls == 2 and self.odd == "rows":
                return xb[:1]
            if self.calls == 2 and self.odd == "dtype":
                return xb.double()
            return xb + self.w

    for odd in (None, "rows", "dtype"):
        want = torch.cat(train.map_batches(Odd(odd), lambda m, xb: m(xb), x, batch_size=2))
        got = train.predict(Odd(odd), x, batch_size=2)
        assert got.dtype == want.dtype and torch.equal(got, want), odd
