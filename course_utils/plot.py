"""Figures the notebooks show. Every function returns the figure; end the line with ``;``.

Every figure a notebook shows also says what it shows in words: the helpers here attach a short
description (:func:`set_alt`), and any other figure gets one built from its own titles, axis
labels, legend entries and plot types (:func:`describe`). :func:`use_course_style` (called by
``config.seed_everything``, the setup call of every notebook) puts it into the image's display
metadata, where the course book reads it as the image's alt text, and sets colour-blind-safe
colours (Okabe-Ito) on opaque backgrounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from ._validate import arguments, as_float_tensor, images, positive_int

# Okabe & Ito (2008), "Color universal design": told apart with every common colour-vision
# deficiency; black last (it is also the text colour).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
STYLE = {
    "axes.prop_cycle": plt.cycler(color=OKABE_ITO),
    "image.cmap": "viridis",
    "figure.facecolor": "white",  # opaque: a dark theme must not show through behind the axes
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
}
_ALT = "_course_alt"  # the attribute set_alt stores a figure's description under


def set_alt(fig: plt.Figure, text: str) -> plt.Figure:
    """Attach a description of ``fig`` for readers who cannot see it (the image's alt text).

    Use it for a figure you draw yourself when its titles and labels do not say what it shows;
    :func:`describe` falls back to those. Introduced in notebook 01."""
    if not isinstance(fig, plt.Figure):
        raise TypeError(f"set_alt describes a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the description must be a non-empty string saying what the figure shows")
    setattr(fig, _ALT, " ".join(text.split()))
    return fig


def _texts(items) -> list[str]:
    return [t for t in (" ".join(str(i).split()) for i in items) if t and not t.startswith("_")]


def _quoted(items: list[str], most: int = 8) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _panel(ax) -> str:
    """One axes in words: what is drawn, against what, with which legend entries."""
    kinds = []
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) > 1]
    if lines:
        kinds.append(f"{len(lines)} line{'s' * (len(lines) > 1)}")
    points = [c for c in ax.collections if type(c).__name__ == "PathCollection"]
    if points:
        n = sum(len(c.get_offsets()) for c in points)
        kinds.append(f"a scatter plot of {n} points")
    bars = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
    if len(bars) > 1:
        left = sorted((b.get_x(), b.get_x() + b.get_width()) for b in bars)
        touching = all(np.isclose(a[1], b[0]) for a, b in zip(left, left[1:]))  # bins, not bars
        kinds.append("a histogram" if touching else f"{len(bars)} bars")
    if ax.images:
        kinds.append("an image" if len(ax.images) == 1 else f"{len(ax.images)} images")
    text = " and ".join(kinds) or "an empty panel"
    xlabel, ylabel = ax.get_xlabel().strip(), ax.get_ylabel().strip()
    if ylabel and xlabel:
        text += f" of {ylabel} against {xlabel}"
    elif ylabel or xlabel:
        text += f" ({ylabel or xlabel})"
    if ax.get_yscale() == "log":
        text += ", logarithmic y axis"
    title = ax.get_title().strip()
    legend = ax.get_legend()
    if legend is not None:
        entries = _texts(t.get_text() for t in legend.get_texts())
        if entries:
            text += f"; legend: {_quoted(entries)}"
    return (f"{title}: " if title else "") + text


def describe(fig: plt.Figure) -> str:
    """A short description of ``fig`` in words: the one :func:`set_alt` attached, or one built
    from the figure's title, its panels' titles, axis labels, legend entries and plot types.
    Introduced in notebook 01."""
    if not isinstance(fig, plt.Figure):
        raise TypeError(f"describe takes a matplotlib Figure, got {type(fig).__name__}")
    if getattr(fig, _ALT, None):
        return getattr(fig, _ALT)
    title = fig._suptitle.get_text().strip() if fig._suptitle is not None else ""
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    bars = [ax.get_ylabel() or ax.get_xlabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    drawn = [ax for ax in axes if ax.axison or ax.images or ax.get_lines() or ax.collections]
    pictures = [ax for ax in drawn if ax.images and not ax.get_lines() and not ax.get_xlabel()]
    others = [ax for ax in drawn if ax not in pictures]
    parts = [f"Figure: {title}." if title else "Figure."]
    if pictures:
        labels = _texts(ax.get_title() or ax.get_ylabel() for ax in pictures)
        parts.append(f"{len(pictures)} image panel{'s' * (len(pictures) > 1)}" +
                     (f" labelled {_quoted(labels)}." if labels else "."))
    for i, ax in enumerate(others[:6]):
        text = _panel(ax)
        parts.append(f"Panel {i + 1}: {text}." if len(others) > 1 else text[0].upper() + text[1:] + ".")
    if len(others) > 6:
        parts.append(f"And {len(others) - 6} more panels.")
    if bars:
        parts.append(f"Colour bar: {_quoted(_texts(bars))}." if _texts(bars) else "With a colour bar.")
    if not pictures and not others:
        parts.append("No plotted data.")
    return " ".join(parts)


def _alt_metadata(fig, include=None, exclude=None):
    """IPython's mime-bundle hook for figures: no data (the PNG formatter draws the figure), only
    ``{"image/png": {"alt": describe(fig)}}`` as its metadata."""
    return {}, {"image/png": {"alt": describe(fig)}}


def use_course_style() -> None:
    """Colour-blind-safe colours on opaque backgrounds (:data:`STYLE`) for every figure, and, in a
    notebook, a description (:func:`describe`) in the display metadata of every figure shown.
    Safe to call again; outside IPython only the style is set. Introduced in notebook 01."""
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    # Through the mime-bundle formatter, not the PNG one: the inline backend registers its own PNG
    # formatter when the first figure is drawn, replacing any set before; metadata from the bundle
    # is kept beside the PNG it draws.
    shell.display_formatter.mimebundle_formatter.for_type(plt.Figure, _alt_metadata)


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
    labels = f", labelled {_quoted(_texts(titles))}" if titles is not None else ""
    return set_alt(fig, f"{suptitle + ': ' if suptitle else ''}a grid of {len(x)} images "
                        f"in {nrows} row{'s' * (nrows > 1)} of up to {ncols}{labels}.")


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
    fig = image_grid(0.5 + 0.5 * w / scale, ncols=ncols, size=size, suptitle=suptitle)
    return set_alt(fig, f"{suptitle + ': ' if suptitle else ''}{len(w)} feature detectors, each "
                        "unit's weights drawn as an image (grey is zero; black and white are its "
                        "largest negative and positive weights).")


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
    return set_alt(fig, f"{title + ': ' if title else ''}{m} rows of {n} images each, the same "
                        f"examples in every row; top to bottom: {_quoted(_texts(tensors), 12)}.")


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
    last = [f"{label} {h.val_loss[-1] if h.val_loss else h.train_loss[-1]:.4g}"
            for label, h in histories.items()]
    return set_alt(fig, f"{ylabel} per epoch{' (logarithmic axis)' if logy else ''}, training "
                        f"solid and validation dashed, for {_quoted(_texts(histories))}; after "
                        f"{max(len(h.train_loss) for h in histories.values())} epochs the "
                        f"{'validation' if all(h.val_loss for h in histories.values()) else 'training'}"
                        f" {ylabel} is {_quoted(last)}.")


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
    labels = _texts(tensors)
    return set_alt(fig, f"{n} panels, one sequence each (channel {channel} against time step t), "
                        f"overlaying {_quoted(labels)}: {labels[0]} solid, the others dashed.")


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
    return set_alt(fig, f"The average jet image of {_quoted(_texts(named))}, side by side on one "
                        "logarithmic colour scale (log10 of the per cent of the jet's pT per pixel); "
                        "the jet axis is at the centre.")
