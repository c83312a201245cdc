"""Numbers the notebooks report: reconstruction error, explained variance, subspace angles."""

from __future__ import annotations

import math

import torch

from ._validate import arguments, as_float_tensor


@arguments
def reconstruction_mse(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """Mean squared error per element between ``x`` and ``x_hat`` (same shape, any layout).

    Introduced in notebook 01.
    """
    x = as_float_tensor(x, "x")
    x_hat = as_float_tensor(x_hat, "x_hat")
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {tuple(x.shape)} and "
                         f"{tuple(x_hat.shape)}")
    return torch.mean((x.double() - x_hat.double()) ** 2).item()


@arguments
def explained_variance_ratio(singular_values: torch.Tensor) -> torch.Tensor:
    """Fraction of the total variance carried by each principal direction, ``(r,)``, from the
    singular values of the centred data matrix (largest first). Introduced in notebook 01.
    """
    s = as_float_tensor(singular_values, "singular_values", ndim=1)
    if (s < 0).any():
        raise ValueError("singular values must be non-negative")
    if (s[1:] > s[:-1] + 1e-6 * s[0]).any():
        raise ValueError("singular values must be sorted from largest to smallest")
    var = s.double() ** 2
    if var.sum() == 0:
        raise ValueError("all singular values are zero: the data has no variance")
    return (var / var.sum()).to(s.dtype)


@arguments
def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles in degrees, smallest first, between the column spaces of ``a`` ``(d, k)``
    and ``b`` ``(d, m)``; returns ``min(k, m)`` angles. Introduced in notebook 01.
    """
    a = as_float_tensor(a, "a", ndim=2)
    b = as_float_tensor(b, "b", ndim=2)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must live in the same space (same number of rows), got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}; pass directions as columns")
    qa, ra = torch.linalg.qr(a.double())
    qb, rb = torch.linalg.qr(b.double())
    for q_r, name in ((ra, "a"), (rb, "b")):
        diag = q_r.diagonal().abs()
        if diag.min() <= 1e-10 * diag.max():
            raise ValueError(f"the columns of {name} are linearly dependent; angles are undefined")
    cos = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    # arccos loses accuracy for tiny angles; take them from the sine instead (Bjorck & Golub 1973).
    small = qb - qa @ (qa.T @ qb) if a.shape[1] >= b.shape[1] else qa - qb @ (qb.T @ qa)
    sin = torch.linalg.svdvals(small).flip(0).clamp(0.0, 1.0)
    n = min(a.shape[1], b.shape[1])
    angles = torch.where(cos[:n] ** 2 < 0.5, torch.arccos(cos[:n]), torch.arcsin(sin[:n]))
    return torch.rad2deg(angles).to(a.dtype)



@arguments
def psnr(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB of ``x_hat`` against ``x`` for images in [0, 1]:
    ``10 log10(1 / MSE)`` over the whole batch. Introduced in notebook 05.
    """
    mse = reconstruction_mse(x, x_hat)
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


@arguments
def knn_accuracy(z_fit: torch.Tensor, y_fit: torch.Tensor, z_eval: torch.Tensor, y_eval: torch.Tensor,
                 k: int = 5) -> float:
    """Accuracy of a ``k``-nearest-neighbour classifier fitted on codes ``z_fit`` ``(N, d)`` with
    labels ``y_fit`` ``(N,)`` and scored on ``(z_eval, y_eval)``: how well a representation keeps
    images of one class together. Introduced in notebook 02.
    """
    from sklearn.neighbors import KNeighborsClassifier

    for name, z, y in [("z_fit", z_fit, y_fit), ("z_eval", z_eval, y_eval)]:
        if z.dim() != 2 or y.dim() != 1 or len(z) != len(y):
            raise ValueError(f"{name} must be (N, d) codes with one label each, got {tuple(z.shape)} "
                             f"codes and {tuple(y.shape)} labels; flatten images with .flatten(1)")
    if z_fit.shape[1] != z_eval.shape[1]:
        raise ValueError(f"z_fit and z_eval must have the same code size, got {z_fit.shape[1]} and "
                         f"{z_eval.shape[1]}")
    if not 0 < k <= len(z_fit):
        raise ValueError(f"k must be between 1 and the {len(z_fit)} fitted codes, got {k}")
    knn = KNeighborsClassifier(n_neighbors=k).fit(z_fit.detach().cpu().numpy(), y_fit.cpu().numpy())
    return float(knn.score(z_eval.detach().cpu().numpy(), y_eval.cpu().numpy()))


@arguments
def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman's rank correlation of two 1-D tensors of the same length (no tie correction).
    Introduced in notebook 07."""
    for name, t in (("a", a), ("b", b)):
        if t.dim() != 1:
            raise ValueError(f"{name} must be 1-D, got shape {tuple(t.shape)}")
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a and b need the same length (at least 2), got {len(a)} and {len(b)}")
    ranks = torch.stack([a.argsort().argsort().double(), b.argsort().argsort().double()])
    return torch.corrcoef(ranks)[0, 1].item()
