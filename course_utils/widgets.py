"""Interactive demos: a pure function computes the figure, a thin ipywidgets wrapper drives it.

In a headless run (``COURSE_HEADLESS=1``, set by ``make test`` and ``make bench``) the wrappers
return the static figure for the default values instead of a widget.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from . import anomaly, noise, plot
from ._validate import arguments, images, positive_int
from .metrics import psnr, reconstruction_mse
from .models import PCA
from .train import predict


def headless() -> bool:
    """True when no one is looking at the widgets (CI, nbval, benchmarks)."""
    return os.environ.get("COURSE_HEADLESS", "") not in ("", "0")


def _interactive(figure_fn: Callable[..., plt.Figure], **controls):
    """Wrap ``figure_fn(**values)`` so that it redraws whenever a control changes."""
    import ipywidgets as widgets
    from IPython.display import display

    out = widgets.Output()

    def redraw(**values):
        with out:
            out.clear_output(wait=True)
            fig = figure_fn(**values)
            display(fig)
            plt.close(fig)

    ui = widgets.VBox(list(controls.values()))
    widgets.interactive_output(redraw, controls)
    return widgets.VBox([ui, out])


@arguments
def pca_reconstruction_figure(pca: PCA, x: torch.Tensor, k: int) -> plt.Figure:
    """Originals ``x`` ``(N, 1, 28, 28)`` above their rank-``k`` PCA reconstructions, MSE in the title.

    Introduced in notebook 01.
    """
    if not isinstance(pca, PCA) or pca.components is None:
        raise TypeError("pca must be a fitted course_utils.models.PCA")
    x = images(x)
    k = positive_int(k, "k", maximum=pca.components.shape[1])
    x_hat = pca.reconstruct(x, k)
    return plot.reconstruction_rows({"original": x, f"k = {k}": x_hat},
                                    title=f"PCA with k = {k}: test MSE {reconstruction_mse(x, x_hat):.4f}")


@arguments
def pca_k_slider(pca: PCA, x: torch.Tensor, k: int = 16, k_max: int = 256):
    """A slider over ``k`` that redraws :func:`pca_reconstruction_figure`. Introduced in notebook 01."""
    fig = pca_reconstruction_figure(pca, x, k)  # validates the arguments once, up front
    plt.close(fig)  # shown once, as the return value, not again by the inline backend
    if headless():
        return fig
    import ipywidgets as widgets

    k_max = min(positive_int(k_max, "k_max"), pca.components.shape[1])
    slider = widgets.IntSlider(value=k, min=1, max=k_max, description="k", continuous_update=False)
    return _interactive(lambda k: pca_reconstruction_figure(pca, x, k), k=slider)


@arguments
def denoise_figure(model: nn.Module, x: torch.Tensor, kind: str = "gaussian", level: float = 0.3,
                   seed: int = 0) -> plt.Figure:
    """Clean ``x`` ``(N, 1, 28, 28)``, its corrupted copy and ``model``'s output, PSNR in the labels.

    Introduced in notebook 05.
    """
    x = images(x)
    noisy = noise.corrupt(x, kind, level, seed=seed)
    denoised = predict(model, noisy)
    fig = plot.reconstruction_rows({
        "clean": x,
        f"{kind} {level:g}\n{psnr(x, noisy):.1f} dB": noisy,
        f"denoised\n{psnr(x, denoised):.1f} dB": denoised,
    })
    return fig


@arguments
def denoise_sliders(model: nn.Module, x: torch.Tensor, kind: str = "gaussian", level: float = 0.3):
    """Noise type and level controls that redraw :func:`denoise_figure`. Introduced in notebook 05."""
    fig = denoise_figure(model, x, kind, level)
    plt.close(fig)
    if headless():
        return fig
    import ipywidgets as widgets

    kind_box = widgets.Dropdown(options=list(noise.KINDS), value=kind, description="noise")
    level_box = widgets.FloatSlider(value=level, min=0.0, max=0.8, step=0.05, description="level",
                                    continuous_update=False)
    return _interactive(lambda kind, level: denoise_figure(model, x, kind, level),
                        kind=kind_box, level=level_box)


@arguments
def latent_figure(decoder: nn.Module, z: list[float] | tuple[float, ...]) -> plt.Figure:
    """The image ``decoder`` produces from one code ``z`` (a list of ``latent_dim`` numbers).

    Introduced in notebook 06.
    """
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in z):
        raise TypeError(f"z must be a list of numbers (one per latent coordinate), got {list(z)!r:.60}")
    z = torch.tensor([list(z)], dtype=torch.float32)
    x_hat = predict(decoder, z)
    if x_hat.numel() != 784:
        raise ValueError(f"decoder must map a code to one 28x28 image, got shape {tuple(x_hat.shape)}")
    x_hat = x_hat.reshape(1, 1, 28, 28)
    fig = plot.image_grid(x_hat, ncols=1, size=2.5)
    fig.suptitle("z = (" + ", ".join(f"{v:+.1f}" for v in z[0].tolist()) + ")", fontsize=9)
    return fig


@arguments
def latent_explorer(decoder: nn.Module, latent_dim: int, limit: float = 3.0):
    """One slider per latent coordinate (in prior standard deviations) that redraws
    :func:`latent_figure`. Introduced in notebook 06.
    """
    latent_dim = positive_int(latent_dim, "latent_dim", maximum=8)
    fig = latent_figure(decoder, [0.0] * latent_dim)
    plt.close(fig)
    if headless():
        return fig
    import ipywidgets as widgets

    sliders = {f"z{i + 1}": widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=0.1,
                                                description=f"z{i + 1}", continuous_update=False)
               for i in range(latent_dim)}
    return _interactive(lambda **values: latent_figure(decoder, [values[f"z{i + 1}"]
                                                                  for i in range(latent_dim)]),
                        **sliders)


@arguments
def threshold_figure(scores: torch.Tensor, is_anomaly: torch.Tensor, threshold: float,
                     normal_val_scores: torch.Tensor | None = None) -> plt.Figure:
    """Confusion matrix at ``threshold`` beside the ROC curve with that operating point marked.

    ``scores`` (higher = more anomalous) and ``is_anomaly`` (bool) are per test image. With
    ``normal_val_scores``, the title also gives the false-positive rate on the normal validation
    images, the one the threshold was chosen for. Introduced in notebook 07.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    counts = anomaly.confusion(scores, is_anomaly, threshold)
    (tn, fp), (fn, tp) = counts
    fpr, tpr = fp / max(tn + fp, 1), tp / max(tp + fn, 1)
    fig, (ax_cm, ax_roc) = plt.subplots(1, 2, figsize=(9, 3.8))
    ax_cm.imshow(counts, cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        ax_cm.text(j, i, f"{n}", ha="center", va="center",
                   color="white" if n > counts.max() / 2 else "black", fontsize=12)
    ax_cm.set(xticks=[0, 1], xticklabels=["not flagged", "flagged"], yticks=[0, 1],
              yticklabels=["normal", "anomaly"], title=f"threshold {threshold:.3g}" + (
                  f"\nvalidation FPR {(normal_val_scores > threshold).float().mean().item():.3f}"
                  if normal_val_scores is not None else ""))
    curve_fpr, curve_tpr, _ = roc_curve(is_anomaly.numpy(), scores.numpy())
    auroc = roc_auc_score(is_anomaly.numpy(), scores.numpy())
    ax_roc.plot(curve_fpr, curve_tpr, label=f"ROC (AUROC {auroc:.3f})")
    ax_roc.plot([fpr], [tpr], "o", color="C3", label=f"here: FPR {fpr:.3f}, TPR {tpr:.3f}")
    ax_roc.plot([0, 1], [0, 1], ":", color="gray")
    ax_roc.set(xlabel="false-positive rate", ylabel="true-positive rate", title="test set")
    ax_roc.legend(loc="lower right", fontsize=8)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.92, wspace=0.35)  # fixed: fast
    return fig


@arguments
def threshold_slider(scores: torch.Tensor, is_anomaly: torch.Tensor, threshold: float,
                     normal_val_scores: torch.Tensor | None = None):
    """A slider over the score's range that redraws :func:`threshold_figure`.

    Introduced in notebook 07.
    """
    fig = threshold_figure(scores, is_anomaly, threshold, normal_val_scores)
    plt.close(fig)
    if headless():
        return fig
    import ipywidgets as widgets

    lo, hi = np.quantile(scores.numpy(), [0.01, 0.99])
    slider = widgets.FloatSlider(value=float(np.clip(threshold, lo, hi)), min=float(lo), max=float(hi),
                                 step=float(hi - lo) / 200, description="threshold",
                                 continuous_update=False, readout_format=".3g")
    return _interactive(lambda threshold: threshold_figure(scores, is_anomaly, threshold,
                                                           normal_val_scores),
                        threshold=slider)
