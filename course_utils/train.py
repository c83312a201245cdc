"""One small training loop for every notebook, after notebook 01 has shown it written out."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)
from tqdm.auto import tqdm

from . import config
from ._validate import arguments, as_float_tensor, positive_int


@dataclass
class History:
    """Per-epoch losses (``loss_fn`` averaged over the epoch's batches) and callback results."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    extra: list = field(default_factory=list)
    seconds: float = 0.0

    def __repr__(self) -> str:
        last = f"train={self.train_loss[-1]:.5g}" if self.train_loss else "empty"
        if self.val_loss:
            last += f", val={self.val_loss[-1]:.5g}"
        return f"History(epochs={len(self.train_loss)}, {last}, {self.seconds:.1f} s)"


def _as_pair(data, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` (target = input, the autoencoder case) or ``(inputs, targets)`` -> two tensors."""
    if isinstance(data, torch.Tensor):
        data = (data, data)
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"{name} must be a tensor x (the target is x itself) or a pair "
                        f"(inputs, targets), got {type(data).__name__}")
    inputs = as_float_tensor(data[0], f"{name} inputs")
    targets = as_float_tensor(data[1], f"{name} targets")
    if len(inputs) != len(targets):
        raise ValueError(f"{name}: inputs and targets must have the same number of samples, "
                         f"got {len(inputs)} and {len(targets)}")
    return inputs, targets


def _loader(data, batch_size: int, shuffle: bool, generator: torch.Generator | None,
            num_workers: int) -> DataLoader:
    ds = TensorDataset(*data)
    sampler = RandomSampler(ds, generator=generator) if shuffle else SequentialSampler(ds)
    # Whole batches are indexed at once: much faster than one sample at a time.
    return DataLoader(ds, sampler=BatchSampler(sampler, batch_size, drop_last=False),
                      batch_size=None, num_workers=num_workers)


@arguments
def fit(model: nn.Module, train, val=None, *, loss_fn: Callable | None = None,
        optimizer: torch.optim.Optimizer | None = None, lr: float = 1e-3, epochs: int = 10,
        batch_size: int = 128, seed: int = 0, device: torch.device | str | None = None,
        cosine: bool = False, corrupt: Callable[[torch.Tensor], torch.Tensor] | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None, num_workers: int = 0,
        progress: bool = True, val_training: bool = False,
        callback: Callable[[int, nn.Module], object] | None = None) -> History:
    """Train ``model`` to map inputs to targets; returns a :class:`History`.

    ``train``/``val``: a tensor ``x`` (autoencoder: the target is ``x``) or a pair
    ``(inputs, targets)`` with the same first dimension. ``loss_fn`` defaults to
    ``nn.MSELoss()``, ``optimizer`` to Adam with learning rate ``lr`` (PyTorch's fused version on
    the CPU and CUDA: the same algorithm in one kernel for all parameters). Batches are shuffled with
    a generator seeded by ``seed``, so a run is repeatable. ``callback(epoch, model)`` runs after
    every epoch; what it returns is kept in ``history.extra``. ``cosine=True`` decays the
    learning rate to zero along a cosine over all steps (Loshchilov & Hutter 2017), which removes
    most of the noise Adam leaves at a fixed rate. ``corrupt(inputs)``, if given, is applied to
    every training batch's inputs (fresh noise each time) while the targets stay clean: the
    denoising set-up of notebook 05 (pass ``val`` as a fixed ``(noisy, clean)`` pair).
    ``transform(x)``, if given, is applied to inputs and targets alike, batch by batch on the CPU
    before they move to ``device``, and before ``corrupt`` (and to ``val``):
    ``transform=lambda x: x - mean`` trains on centred data without a centred copy of the whole
    training set in memory (notebook 01).
    ``val_training=True`` computes the validation loss with the model in training mode, as the
    training loss is computed (a VAE then samples its codes, with noise from a fixed seed), so the
    two curves compare like with like (notebook 06); the default measures it in evaluation mode.
    Introduced in notebook 01.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if not isinstance(val_training, bool):
        raise TypeError(f"val_training must be True or False, got {val_training!r}")
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    if optimizer is None and not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be a function, got {type(transform).__name__}")
    train = _as_pair(train, "train")
    val = _as_pair(val, "val") if val is not None else None
    if val is not None and transform is not None:
        val = tuple(transform(t) for t in val)
    device = config.as_device(device)
    loss_fn = loss_fn if loss_fn is not None else nn.MSELoss()
    model.to(device)
    if optimizer is None:  # fused: one kernel for all parameters, a third faster per step for an MLP
        optimizer = torch.optim.Adam(model.parameters(), lr=lr,
                                     fused=True if device.type in ("cpu", "cuda") else None)
    generator = torch.Generator().manual_seed(seed)
    steps = epochs * -(-len(train[0]) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if cosine else None
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=type(model).__name__, disable=not progress, leave=True)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for inputs, targets in _loader(train, batch_size, True, generator, num_workers):
            if transform is not None:   # before the move, where the data and a mean it uses live
                inputs, targets = transform(inputs), transform(targets)
            inputs, targets = inputs.to(device), targets.to(device)
            try:
                if corrupt is not None:
                    inputs = corrupt(inputs)
                loss = loss_fn(model(inputs), targets)
            except (RuntimeError, IndexError, TypeError) as err:
                raise ValueError(f"training step failed: {type(model).__name__} on inputs of shape "
                                 f"{tuple(inputs.shape)} with targets {tuple(targets.shape)} and "
                                 f"loss {getattr(loss_fn, '__name__', type(loss_fn).__name__)}: "
                                 f"{str(err).splitlines()[0]}") from err
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            total += loss.item() * len(inputs)
            count += len(inputs)
        history.train_loss.append(total / count)
        if not math.isfinite(history.train_loss[-1]):
            raise FloatingPointError(f"the training loss became {history.train_loss[-1]} in epoch "
                                     f"{epoch}; try a smaller learning rate (lr={lr})")
        if val is not None:
            history.val_loss.append(evaluate(model, val, loss_fn, batch_size=max(batch_size, 1024),
                                             device=device, training=val_training))
        if callback is not None:
            history.extra.append(callback(epoch, model))
        postfix = {"train": f"{history.train_loss[-1]:.4g}"}
        if history.val_loss:
            postfix["val"] = f"{history.val_loss[-1]:.4g}"
        bar.set_postfix(postfix)
    history.seconds = time.perf_counter() - start
    return history


def _as_model(model, name: str = "model") -> nn.Module:
    if isinstance(model, torch.Tensor):
        raise TypeError(f"{name} must be a torch.nn.Module, got a tensor; did you swap the "
                        f"arguments? The model comes first: predict(model, x)")
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    if next(model.parameters(), None) is None:
        raise ValueError(f"{name} has no parameters: pass a trained autoencoder")
    return model


@torch.no_grad()
@arguments
def map_batches(model: nn.Module, fn: Callable, *tensors: torch.Tensor,
                batch_size: int = 256, training: bool = False) -> list:
    """``fn(model, *batch)`` for consecutive batches of ``tensors``, in evaluation mode.

    The one batched loop of the course: ``predict``, ``evaluate``, anomaly scores and VAE
    likelihoods all run through it. Batches are moved to the model's device; the model's errors
    are reported with the shapes involved. Returns the list of results. ``training=True`` runs
    the model in training mode (a VAE then samples its codes), still without gradients.
    Introduced in notebook 01.
    """
    model = _as_model(model)
    batch_size = positive_int(batch_size, "batch_size")
    device = next(model.parameters()).device
    model.train(training)
    out = []
    for i in range(0, len(tensors[0]), batch_size):
        batch = [t[i:i + batch_size].to(device) for t in tensors]
        try:
            out.append(fn(model, *batch))
        except (RuntimeError, IndexError, TypeError) as err:
            shapes = " and ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"{type(model).__name__} could not process data of shape {shapes} "
                             f"(is it the data this model was built for?): "
                             f"{str(err).splitlines()[0]}") from err
    return out


@arguments
def evaluate(model: nn.Module, data, loss_fn: Callable | None = None, *, batch_size: int = 256,
             device: torch.device | str | None = None, training: bool = False) -> float:
    """``loss_fn`` averaged over ``data`` (tensor ``x`` or ``(inputs, targets)``), batch-size weighted.

    ``training=True`` computes it the way the training loss is computed (a VAE samples its codes,
    with noise from a fixed seed), so that validation and training curves compare like with like.
    Introduced in notebook 01.
    """
    model = _as_model(model)
    inputs, targets = _as_pair(data, "data")
    loss_fn = loss_fn if loss_fn is not None else nn.MSELoss()
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a loss function, got {type(loss_fn).__name__}")
    if device is not None:
        model.to(config.as_device(device))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        totals = map_batches(model, lambda m, x, t: loss_fn(m(x), t).item() * len(x), inputs,
                             targets, batch_size=batch_size, training=training)
    model.eval()
    return sum(totals) / len(inputs)


@arguments
def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """``model(x)`` in evaluation mode, batch by batch, returned on the CPU. Introduced in notebook 01.

    256 images a batch: a convolutional autoencoder's activations for 1024 held 50-90 MB more, for
    the same outputs (issue 23: 1 GB per kernel)."""
    model = _as_model(model)
    x = as_float_tensor(x, "x")
    # Each batch's output is copied, as it comes, into one tensor made for all of them: the same
    # values as concatenating the batches at the end, without holding them twice (157 MB at once
    # for 50 000 images instead of 314 MB; issue 23). From the first batch whose output does not
    # fit (another number of rows, shape or dtype), the rest are concatenated as before, in order.
    out, pieces, start = None, [], 0

    def keep(m, xb):
        nonlocal out, start
        y = m(xb).cpu()
        fits = y.ndim and len(y) == len(xb) and (out is None or (y.shape[1:] == out.shape[1:]
                                                                and y.dtype == out.dtype))
        if fits and not pieces:
            if out is None:
                out = torch.empty((len(x), *y.shape[1:]), dtype=y.dtype)
            out[start:start + len(y)] = y
            start += len(y)
        else:
            pieces.append(y.contiguous())

    map_batches(model, keep, x, batch_size=batch_size)
    if not pieces:
        return out
    return torch.cat(pieces if out is None else [out[:start], *pieces])
