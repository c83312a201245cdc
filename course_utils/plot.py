"""Figures the notebooks show. Every function returns the figure; end the line with ``;``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from ._validate import arguments, as_float_tensor, images, positive_int


def _as_images(x: torch.Tensor, name: str) -> torch.Tensor:
    """Accept ``(N, 1, 28, 28)`` images or ``(N, 784)`` flat vectors; return images clipped to [0, 1]."""
    x = as_float_tensor(x, name, ndim=(2, 3, 4)).detach().cpu()
    if x.ndim == 2:
        side = int(round(x.shape[1] ** 0.5))
        if side * side != x.shape[1]:
            raise ValueError(f"{name}: flat vectors must have a square number of features "
                             f"(784 = 28x28), got {x.shape[1]}")
        x = x.reshape(len(x), 1, side, side)
    lo, hi = x.min().item(), x.max().item()
    if lo < -1.0 or hi > 2.0:  # a reconstruction may overshoot a little; this is another scale
        raise ValueError(f"{name} must hold images in [0, 1], got values in [{lo:.3g}, {hi:.3g}]; "
                         "divide by 255 (or rescale) before plotting")
    return images(x.clamp(0.0, 1.0), name)  # clipped for display only


def _show(ax, img: torch.Tensor) -> None:
    pixels = img[0] if img.shape[0] == 1 else img.permute(1, 2, 0)
    ax.imshow(pixels.numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])


@arguments
def image_grid(x: torch.Tensor, ncols: int = 8, titles: Sequence[str] | None = None,
               size: float = 1.2, suptitle: str | None = None) -> plt.Figure:
    """A grid of images ``(N, 1, 28, 28)`` (or flat ``(N, 784)``). Introduced in notebook 01."""
    x = _as_images(x, "x")
    ncols = positive_int(ncols, "ncols")
    if titles is not None and len(titles) != len(x):
        raise ValueError(f"got {len(titles)} titles for {len(x)} images")
    ncols = min(ncols, len(x))
    nrows = -(-len(x) // ncols)
    _positive_size(size)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * bool(titles)
                                                    + 0.4 * bool(suptitle)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(x):
            _show(ax, x[i])
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
        else:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


@arguments
def detectors(weights: torch.Tensor, n: int | None = None, ncols: int = 12, size: float = 0.9,
              suptitle: str | None = None) -> plt.Figure:
    """Feature detectors as images: one row of ``weights`` per unit (``(N, 784)`` weights of a
    linear layer on images, or ``(N, 1, h, w)`` convolution filters), the ``n`` with the largest
    norm (all if ``None``), each scaled so that grey is 0 and its largest weight is black or white.
    Introduced in notebook 02."""
    w = as_float_tensor(weights, "weights").detach().cpu()
    flat = w.reshape(len(w), -1)
    if n is not None:
        keep = flat.norm(dim=1).argsort(descending=True)[:positive_int(n, "n")]
        w, flat = w[keep], flat[keep]
    scale = flat.abs().amax(dim=1).clamp_min(1e-12).reshape(-1, *[1] * (w.ndim - 1))
    return image_grid(0.5 + 0.5 * w / scale, ncols=ncols, size=size, suptitle=suptitle)


GAP = 2  # blank pixels between the images of a row in reconstruction_rows


def _positive_size(size: float) -> None:
    if not size > 0:
        raise ValueError(f"size must be a positive number of inches, got {size}")


@arguments
def tile(row: np.ndarray, i: int, size: int = 28) -> np.ndarray:
    """Image ``i`` of a row drawn by :func:`reconstruction_rows` (``fig.axes[r].images[0]``)."""
    return np.asarray(row)[:, i * (size + GAP):i * (size + GAP) + size]


@arguments
def reconstruction_rows(rows: Mapping[str, torch.Tensor], size: float = 1.1,
                        title: str | None = None) -> plt.Figure:
    """One labelled row per entry, e.g. ``{"original": x, "k = 8": x_hat}``; all rows the same length.

    Each row is one image strip in one axes (:func:`tile` cuts an image back out), and the layout
    is computed, not searched for: the interactive demos redraw this figure on every slider move,
    and twenty small axes cost more than the pixels. Introduced in notebook 01.
    """
    if not isinstance(rows, Mapping) or not rows:
        raise TypeError("rows must be a non-empty dict {label: images}")
    tensors = {label: _as_images(x, f"rows[{label!r}]") for label, x in rows.items()}
    lengths = {len(x) for x in tensors.values()}
    if len(lengths) != 1:
        raise ValueError(f"all rows must hold the same number of images, got "
                         f"{ {label: len(x) for label, x in tensors.items()} }")
    n, m = lengths.pop(), len(tensors)
    channels = {x.shape[1] for x in tensors.values()}
    if channels != {1}:
        raise ValueError(f"reconstruction_rows draws grey images (N, 1, H, W), got {channels} channels")
    label_in = 0.08 + 0.075 * max(len(line) for label in tensors for line in str(label).splitlines())
    title_in = 0.35 if title else 0.0
    _positive_size(size)
    width, height = size * n + label_in + 0.05, size * m + title_in + 0.05
    fig, axes = plt.subplots(m, 1, figsize=(width, height), squeeze=False)
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    for ax, (label, x) in zip(axes[:, 0], tensors.items()):
        h, w = x.shape[2:]
        strip = np.full((h, n * (w + GAP) - GAP), np.nan, dtype=np.float32)
        for c in range(n):
            strip[:, c * (w + GAP):c * (w + GAP) + w] = x[c, 0].numpy()
        ax.imshow(np.ma.masked_invalid(strip), cmap=cmap, vmin=0, vmax=1, aspect="equal",
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(left=label_in / width, right=1 - 0.05 / width, bottom=0.05 / height,
                        top=1 - title_in / height - 0.02 / height, hspace=0.08)
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.08 / height, va="top")
    return fig


@arguments
def loss_curves(histories: Mapping[str, object], logy: bool = True, ylabel: str = "loss") -> plt.Figure:
    """Train (solid) and validation (dashed) loss per epoch for one or more ``History`` objects.

    Introduced in notebook 01.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError("histories must be a non-empty dict {label: History}")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, (label, h) in enumerate(histories.items()):
        if not hasattr(h, "train_loss") or not h.train_loss:
            raise ValueError(f"histories[{label!r}] has no training losses; pass what fit() returned")
        color = f"C{i}"
        epochs = range(1, len(h.train_loss) + 1)
        ax.plot(epochs, h.train_loss, color=color, label=f"{label} (train)")
        if h.val_loss:
            ax.plot(epochs, h.val_loss, color=color, ls="--", label=f"{label} (val)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@arguments
def sequence_rows(rows: Mapping[str, torch.Tensor], n: int = 6, channel: int = 0) -> plt.Figure:
    """The first ``n`` sequences ``(N, T, C)`` of each entry overlaid, one panel per sequence,
    e.g. ``{"input": x, "GRU AE": x_hat}``. Introduced in notebook 04.
    """
    if not isinstance(rows, Mapping) or not rows:
        raise TypeError("rows must be a non-empty dict {label: sequences}")
    tensors = {label: as_float_tensor(x, f"rows[{label!r}]", ndim=3).detach().cpu()
               for label, x in rows.items()}
    shapes = {tuple(x.shape[1:]) for x in tensors.values()}
    if len(shapes) != 1:
        raise ValueError(f"all entries must have the same (T, C), got {sorted(shapes)}")
    n = min(positive_int(n, "n"), min(len(x) for x in tensors.values()))
    channels = shapes.pop()[1]
    if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel < channels:
        raise ValueError(f"channel must be an index 0..{channels - 1}, got {channel!r}")
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n, 2.2), sharey=True, squeeze=False)
    for i, ax in enumerate(axes[0]):
        for j, (label, x) in enumerate(tensors.items()):
            ax.plot(x[i, :, channel], color=f"C{j}", lw=2 if j == 0 else 1.2,
                    ls="-" if j == 0 else "--", label=label)
        ax.set_xlabel("t")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


@arguments
def average_jets(named: Mapping[str, torch.Tensor], size: float = 3.2) -> plt.Figure:
    """The average of each set of jet images ``(N, 1, H, W)`` (pixels in per cent of the jet's
    pT, :func:`course_utils.jets.images`), side by side on one log scale, e.g.
    ``{"QCD": x_qcd, "top": x_top}``. Introduced in notebook 08."""
    if not isinstance(named, Mapping) or not named:
        raise TypeError("named must be a non-empty dict {label: jet images}")
    _positive_size(size)
    means = {}
    for label, x in named.items():
        x = as_float_tensor(x, f"named[{label!r}]", ndim=4).detach().cpu()
        if x.shape[1] != 1 or (x < 0).any():
            raise ValueError(f"named[{label!r}] must be jet images (N, 1, H, W) with pixels >= 0 "
                             f"(per cent of the jet's pT, from jets.images), got shape "
                             f"{tuple(x.shape)}, smallest pixel {x.min().item():.3g}")
        means[label] = x.mean(0)[0]
    fig, axes = plt.subplots(1, len(means), figsize=(size * len(means) + 0.8, size), squeeze=False)
    for ax, (label, mean_image) in zip(axes[0], means.items()):
        shown = ax.imshow(mean_image.clamp(min=1e-3).log10().numpy(), cmap="magma", vmin=-3, vmax=1.5)
        ax.set(title=f"average {label} jet", xticks=[], yticks=[])
    fig.colorbar(shown, ax=axes[0].tolist(), label="log10(% of pT)")
    return fig
