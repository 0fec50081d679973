"""Latent-space maths for the Latent Explorer: interpolation, arithmetic, attribute directions, inversion.

Conventions:
    * A latent vector ``z`` is a float tensor of shape ``(d,)``; batches are ``(n, d)``.
    * A generator ``G`` is any callable ``G(z, labels) -> images`` with ``z`` of shape ``(n, d)`` (float32),
      ``labels`` of shape ``(n,)`` (int64) or ``None`` for unconditional models, and images of shape
      ``(n, 1, 28, 28)`` with values in ``[-1, 1]`` (``-1`` is background, ``+1`` is full ink).
    * Attribute measures map images ``(n, 1, 28, 28)`` to one float per image, shape ``(n,)``.
    * Interpolations are computed in float64 for accuracy and returned in the dtype of their inputs.

Pure torch/numpy: nothing here imports streamlit or plotly, so every function can be tested with tiny fake
generators.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

_EPS = 1e-7
_PARALLEL_EPS = 1e-4  # angles (radians) closer than this to 0 or pi are treated as (anti)parallel

ATTRIBUTES: dict[str, str] = {
    "ink": "Mean ink per pixel, (x + 1) / 2 averaged over the image: a proxy for stroke thickness.",
    "slant": "Shear from second image moments, mu11 / mu02 (y upward): positive when the digit leans right.",
    "class probability": "A classifier's probability for a chosen digit (column `digit` of its softmax).",
}


def _as_vector(z: Tensor, name: str = "z") -> Tensor:
    """A latent as a 1-D tensor ``(d,)``; a ``(1, d)`` batch of one is flattened."""
    z = torch.as_tensor(z)
    if z.ndim == 2 and z.shape[0] == 1:
        z = z[0]
    if z.ndim != 1:
        raise ValueError(f"{name} must be a latent vector of shape (d,), got shape {tuple(z.shape)}")
    return z


def _check_pair(z0: Tensor, z1: Tensor, steps: int) -> tuple[Tensor, Tensor]:
    z0, z1 = _as_vector(z0, "z0"), _as_vector(z1, "z1")
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    if steps < 2:
        raise ValueError(f"steps must be >= 2 so that both endpoints are included, got {steps}")
    return z0, z1


def lerp(z0: Tensor, z1: Tensor, steps: int) -> Tensor:
    """Linear interpolation ``(1 - t) z0 + t z1`` for ``t`` in ``linspace(0, 1, steps)``.

    Args:
        z0, z1: endpoints, shape ``(d,)``.
        steps: number of points (>= 2), endpoints included.

    Returns:
        ``(steps, d)``; the first row is ``z0`` and the last ``z1``.
    """
    z0, z1 = _check_pair(z0, z1, steps)
    a, b = z0.double(), z1.double()
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64, device=a.device)[:, None]
    out = (1.0 - t) * a + t * b
    out[0], out[-1] = a, b
    return out.to(z0.dtype)


def _orthogonal_unit(u: Tensor) -> Tensor:
    """A deterministic unit vector orthogonal to the unit vector ``u`` (Gram-Schmidt on the basis vector
    where ``|u|`` is smallest, the lowest index on ties)."""
    e = torch.zeros_like(u)
    e[int(torch.argmin(u.abs()))] = 1.0
    v = e - (e @ u) * u
    return v / v.norm()


def slerp(z0: Tensor, z1: Tensor, steps: int) -> Tensor:
    """Spherical interpolation of the directions with linear interpolation of the norms.

    With ``u_i = z_i / |z_i|`` and ``omega = arccos(u0 . u1)``, the direction at ``t`` is the great-circle point
    ``sin((1 - t) omega) / sin(omega) u0 + sin(t omega) / sin(omega) u1`` (Shoemake 1985, "Animating rotation
    with quaternion curves"; used for GAN latents by White 2016, "Sampling Generative Networks"), scaled by the
    norm ``(1 - t) |z0| + t |z1|``. Hence the endpoints are kept exactly and, when ``|z0| = |z1|``, every point
    has that norm.

    Degenerate cases (no NaN in any of them):
        * ``omega`` ~ 0 (parallel): the directions are lerped and renormalised.
        * ``omega`` ~ pi (antiparallel, the great circle is not unique): the path runs along the half circle
          through a deterministic unit vector orthogonal to ``u0`` (see ``_orthogonal_unit``).
        * ``|z0|`` or ``|z1|`` ~ 0 (no direction): plain ``lerp``.

    Args:
        z0, z1: endpoints, shape ``(d,)``.
        steps: number of points (>= 2), endpoints included.

    Returns:
        ``(steps, d)``; the first row is ``z0`` and the last ``z1``.
    """
    z0, z1 = _check_pair(z0, z1, steps)
    a, b = z0.double(), z1.double()
    r0, r1 = a.norm(), b.norm()
    if r0 < _EPS or r1 < _EPS:
        return lerp(z0, z1, steps)
    u0, u1 = a / r0, b / r1
    omega = torch.arccos(torch.clamp(u0 @ u1, -1.0, 1.0))
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64, device=a.device)[:, None]
    if omega < _PARALLEL_EPS:
        direction = (1.0 - t) * u0 + t * u1
        direction = direction / direction.norm(dim=1, keepdim=True)
    elif omega > math.pi - _PARALLEL_EPS:
        v = _orthogonal_unit(u0)
        direction = torch.cos(t * omega) * u0 + torch.sin(t * omega) * v
    else:
        s = torch.sin(omega)
        direction = torch.sin((1.0 - t) * omega) / s * u0 + torch.sin(t * omega) / s * u1
    out = ((1.0 - t) * r0 + t * r1) * direction
    out[0], out[-1] = a, b
    return out.to(z0.dtype)


def four_corner_grid(z0: Tensor, z1: Tensor, z2: Tensor, z3: Tensor, rows: int, cols: int) -> Tensor:
    """A ``rows x cols`` grid of latents blending four corners with cosine/sine weights.

    ``z(a, b) = cos a (cos b z0 + sin b z1) + sin a (cos b z2 + sin b z3)`` with ``a`` over
    ``linspace(0, pi/2, rows)`` (down the rows) and ``b`` over ``linspace(0, pi/2, cols)`` (across the
    columns). The weights of each pair have unit sum of squares, so for roughly orthogonal Gaussian corners
    the norm stays typical (the "spherical" counterpart of bilinear blending, cf. White 2016).
    Corners: ``[0, 0] = z0``, ``[0, -1] = z1``, ``[-1, 0] = z2``, ``[-1, -1] = z3``. With ``rows == 1`` only the
    top row (``z0`` to ``z1``) exists, with ``cols == 1`` only the left column (``z0`` to ``z2``).

    Args:
        z0, z1, z2, z3: corners, shape ``(d,)`` each.
        rows, cols: grid size, each >= 1.

    Returns:
        ``(rows, cols, d)``.
    """
    if rows < 1 or cols < 1:
        raise ValueError(f"rows and cols must be >= 1, got rows={rows}, cols={cols}")
    corners = [_as_vector(z, f"z{i}") for i, z in enumerate((z0, z1, z2, z3))]
    if any(z.shape != corners[0].shape for z in corners):
        raise ValueError(f"the four corners must have the same shape, got {[tuple(z.shape) for z in corners]}")
    c0, c1, c2, c3 = (z.double() for z in corners)
    a = torch.linspace(0.0, math.pi / 2, rows, dtype=torch.float64, device=c0.device)[:, None, None]
    b = torch.linspace(0.0, math.pi / 2, cols, dtype=torch.float64, device=c0.device)[None, :, None]
    grid = torch.cos(a) * (torch.cos(b) * c0 + torch.sin(b) * c1) + torch.sin(a) * (
        torch.cos(b) * c2 + torch.sin(b) * c3)
    return grid.to(corners[0].dtype)


def _as_group(group: Tensor, name: str) -> Tensor:
    group = torch.as_tensor(group)
    if group.ndim == 1:
        group = group[None]
    if group.ndim != 2:
        raise ValueError(f"group {name} must have shape (k, d), got {tuple(group.shape)}")
    if group.shape[0] == 0:
        raise ValueError(f"group {name} is empty: pick at least one latent for it")
    return group


def latent_arithmetic(group_a: Tensor, group_b: Tensor, group_c: Tensor) -> Tensor:
    """Concept arithmetic ``mean(A) - mean(B) + mean(C)`` (Radford et al. 2016, "Unsupervised representation
    learning with deep convolutional GANs", section 6.3, which averages three samples per concept).

    Args:
        group_a, group_b, group_c: latents of shape ``(k, d)``, ``k >= 1`` (may differ per group); a single
            ``(d,)`` vector counts as a group of one.

    Returns:
        ``(d,)``.

    Raises:
        ValueError: for an empty group or groups with different ``d``.
    """
    groups = {name: _as_group(g, name) for name, g in (("A", group_a), ("B", group_b), ("C", group_c))}
    dims = {name: g.shape[1] for name, g in groups.items()}
    if len(set(dims.values())) != 1:
        raise ValueError(f"all groups must have the same latent dimension, got {dims}")
    return groups["A"].mean(0) - groups["B"].mean(0) + groups["C"].mean(0)


def _ink(images: Tensor) -> Tensor:
    """Ink ``(x + 1) / 2`` in ``[0, 1]``, shape ``(n, H, W)`` (the channel dimension is summed)."""
    images = torch.as_tensor(images)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, 1, H, W), got {tuple(images.shape)}")
    return ((images.float() + 1.0) / 2.0).sum(dim=1)


def ink_mass(images: Tensor) -> Tensor:
    """Mean ink per pixel, ``mean((x + 1) / 2)``: 0 for a blank (all -1) image, 1 for an all +1 image.

    Args:
        images: ``(n, 1, H, W)`` in ``[-1, 1]``.

    Returns:
        ``(n,)`` float.
    """
    images = torch.as_tensor(images)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, 1, H, W), got {tuple(images.shape)}")
    return ((images.float() + 1.0) / 2.0).mean(dim=(1, 2, 3))


def slant(images: Tensor) -> Tensor:
    """Shear ``mu11 / mu02`` from the ink-weighted second central moments of each image.

    With ink weights ``w = (x + 1) / 2``, ``x`` the column index (rightward) and ``y`` the row index flipped
    to point upward, ``mu11 = sum w (x - xbar)(y - ybar)`` and ``mu02 = sum w (y - ybar)^2``, the slant is the
    least-squares ``dx / dy`` of the stroke, i.e. the tangent of its lean from vertical (central moments as in
    Hu 1962, "Visual pattern recognition by moment invariants"; the same ratio is the shear used to deskew
    MNIST digits). Positive when the digit leans right (top further right than bottom). Blank or flat images
    (``mu02`` ~ 0) give 0.

    Args:
        images: ``(n, 1, H, W)`` in ``[-1, 1]``.

    Returns:
        ``(n,)`` float.
    """
    w = _ink(images).double()
    n, height, width = w.shape
    ys = (height - 1 - torch.arange(height, dtype=torch.float64, device=w.device))[:, None].expand(height, width)
    xs = torch.arange(width, dtype=torch.float64, device=w.device)[None, :].expand(height, width)
    mass = w.sum(dim=(1, 2))
    safe_mass = mass.clamp_min(_EPS)
    xbar = (w * xs).sum(dim=(1, 2)) / safe_mass
    ybar = (w * ys).sum(dim=(1, 2)) / safe_mass
    dx = xs[None] - xbar[:, None, None]
    dy = ys[None] - ybar[:, None, None]
    mu11 = (w * dx * dy).sum(dim=(1, 2))
    mu02 = (w * dy * dy).sum(dim=(1, 2))
    ok = (mass > _EPS) & (mu02 > _EPS * safe_mass)
    out = torch.where(ok, mu11 / torch.where(ok, mu02, torch.ones_like(mu02)), torch.zeros_like(mu02))
    return out.float()


def class_probability(probs: Tensor, digit: int) -> Tensor:
    """The probability a classifier gives to ``digit``: column ``digit`` of its softmax output.

    Args:
        probs: ``(n, n_classes)`` class probabilities (e.g. from ``ganlab.classifier``), rows summing to 1.
        digit: class index in ``[0, n_classes)``.

    Returns:
        ``(n,)`` float.
    """
    probs = torch.as_tensor(probs)
    if probs.ndim != 2:
        raise ValueError(f"probs must have shape (n, n_classes), got {tuple(probs.shape)}")
    if not 0 <= digit < probs.shape[1]:
        raise ValueError(f"digit must be in [0, {probs.shape[1]}), got {digit}")
    return probs[:, digit].float()


def fit_direction(z: Tensor, values: Tensor) -> Tensor:
    """Unit direction in latent space along which an attribute increases, by linear regression.

    Fits ``values ~ z @ w + c`` by ridge-regularised least squares: ``z`` and ``values`` are centred (which
    fits the intercept ``c`` unpenalised) and ``(Zc^T Zc + lam I) w = Zc^T yc`` is solved with
    ``lam = 1e-3 * n``, which stays stable when ``n`` is close to (or below) ``d``. This is the linear
    attribute-boundary approach of e.g. Shen et al. 2020, "Interpreting the latent space of GANs for semantic
    face editing" (InterFaceGAN), with regression instead of an SVM.

    Args:
        z: ``(n, d)`` latents, ``n >= 2``.
        values: ``(n,)`` attribute values of ``G(z)``.

    Returns:
        ``(d,)`` unit vector ``w / |w|`` (pointing towards increasing attribute), in ``z``'s dtype.

    Raises:
        ValueError: for bad shapes or when the attribute does not vary (no direction).
    """
    z, values = torch.as_tensor(z), torch.as_tensor(values)
    if z.ndim != 2 or values.ndim != 1 or values.shape[0] != z.shape[0]:
        raise ValueError(f"need z of shape (n, d) and values of shape (n,), got {tuple(z.shape)} and "
                         f"{tuple(values.shape)}")
    n, d = z.shape
    if n < 2:
        raise ValueError(f"need at least 2 samples to fit a direction, got {n}")
    x = z.double() - z.double().mean(0)
    y = values.double().to(x.device) - values.double().mean()
    lam = 1e-3 * n
    w = torch.linalg.solve(x.T @ x + lam * torch.eye(d, dtype=torch.float64, device=x.device), x.T @ y)
    norm = w.norm()
    if not torch.isfinite(norm) or norm < 1e-12:
        raise ValueError("the attribute does not vary linearly with z: no direction to fit")
    return (w / norm).to(z.dtype if z.is_floating_point() else torch.float32)


def walk(z: Tensor, direction: Tensor, alphas: Sequence[float] | Tensor) -> Tensor:
    """Points ``z + alpha * direction`` for each ``alpha``.

    Args:
        z, direction: ``(d,)``.
        alphas: ``(m,)`` step sizes.

    Returns:
        ``(m, d)``.
    """
    z, direction = _as_vector(z), _as_vector(direction, "direction")
    if z.shape != direction.shape:
        raise ValueError(f"z and direction must have the same shape, got {tuple(z.shape)} and "
                         f"{tuple(direction.shape)}")
    alphas = torch.as_tensor(alphas, dtype=z.dtype, device=z.device).reshape(-1)
    return z[None, :] + alphas[:, None] * direction[None, :]


@dataclass
class InversionResult:
    """Outcome of ``invert``.

    Attributes:
        z: ``(d,)`` best latent found.
        image: ``(1, 1, 28, 28)`` ``G(z)``.
        initial_error: best mean squared error over the restarts at step 0 (before any update).
        final_error: best mean squared error reached (that of ``z``).
        errors: best-so-far mean squared error, ``steps + 1`` entries (step 0, then after each update).
    """

    z: Tensor
    image: Tensor
    initial_error: float
    final_error: float
    errors: list[float] = field(default_factory=list)


def invert(
    G: Callable[[Tensor, Tensor | None], Tensor],
    target: Tensor,
    latent_dim: int,
    steps: int = 200,
    lr: float = 0.05,
    restarts: int = 4,
    labels: Tensor | int | None = None,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    *,
    prior: float = 1e-3,
) -> InversionResult:
    """Find a latent whose image matches ``target``: minimise ``mean((G(z) - target)^2)`` over ``z``.

    Optimisation-based GAN inversion (Creswell & Bharath 2018, "Inverting the generator of a generative
    adversarial network"; Lipton & Tripathi 2017, "Precise recovery of latent vectors from GANs"): ``restarts``
    starting points ``z ~ N(0, I)`` from a ``torch.Generator`` seeded with ``seed`` are optimised jointly as one
    batch with Adam, and the best (lowest pixel error, at any step) is kept. The objective adds a small
    Gaussian prior ``prior * |z|^2 / d`` (default ``1e-3``, 0 to disable) that keeps ``z`` near the typical
    set; reported errors are the pure pixel MSE, without it.

    Only ``z`` is optimised: ``G`` (if an ``nn.Module``) is put in eval mode and its parameters get
    ``requires_grad=False`` during the search; both are restored afterwards, and its weights and ``.grad``
    are left untouched.

    Args:
        G: generator ``G(z (n, d), labels (n,) | None) -> (n, 1, 28, 28)``.
        target: ``(1, 1, 28, 28)`` image in ``[-1, 1]``.
        latent_dim: ``d``.
        steps: Adam updates.
        lr: Adam learning rate.
        restarts: number of starting points (>= 1).
        labels: class label for conditional generators (int or ``(1,)``/``(restarts,)`` tensor), else None.
        seed: seed of the starting points.
        progress: optional callback ``progress(fraction_done)``, called at most 20 times.
        prior: weight of the ``|z|^2 / d`` term.

    Returns:
        InversionResult.
    """
    target, labels = _inversion_inputs(target, latent_dim, steps, restarts, labels)
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(restarts, latent_dim, generator=gen).to(target.device).requires_grad_(True)
    with _frozen(G):
        best_err, best_z, errors = _descend(G, target, z, labels, latent_dim, steps, lr, prior, progress)
        with torch.no_grad():
            image = G(best_z[None], None if labels is None else labels[:1]).detach()
    return InversionResult(z=best_z, image=image, initial_error=errors[0], final_error=best_err, errors=errors)


def invert_as_job(G: nn.Module, target: Tensor, latent_dim: int, steps: int, labels: int | None,
                  seed: int) -> InversionResult:
    """``invert`` with its default learning rate, restarts and prior, every argument positional: the Latent
    Explorer runs it as a job (ganlab.runtime.jobs), in a process apart from the server."""
    return invert(G, target, latent_dim, steps=steps, labels=labels, seed=seed)


def _inversion_inputs(target: Tensor, latent_dim: int, steps: int, restarts: int,
                      labels: Tensor | int | None) -> tuple[Tensor, Tensor | None]:
    """Check invert's arguments: the target as a detached float ``(1, 1, H, W)``, labels as ``(restarts,)``."""
    if steps < 0 or restarts < 1 or latent_dim < 1:
        raise ValueError(f"need steps >= 0, restarts >= 1, latent_dim >= 1; got {steps}, {restarts}, {latent_dim}")
    target = torch.as_tensor(target).float()
    if target.ndim == 3:
        target = target[None]
    if target.ndim != 4 or target.shape[0] != 1:
        raise ValueError(f"target must have shape (1, 1, H, W), got {tuple(target.shape)}")
    device = target.device
    target = target.detach()
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.int64, device=device).reshape(-1)
        labels = labels.expand(restarts) if labels.numel() == 1 else labels
        if labels.shape != (restarts,):
            raise ValueError(f"labels must be an int or have 1 or {restarts} entries, got {tuple(labels.shape)}")
    return target, labels


@contextmanager
def _frozen(G: Callable[[Tensor, Tensor | None], Tensor]) -> Iterator[None]:
    """Hold ``G`` (if an ``nn.Module``) in eval mode with frozen parameters; restore both on exit."""
    if not isinstance(G, nn.Module):
        yield
        return
    was_training = G.training
    flags = [(p, p.requires_grad) for p in G.parameters()]
    try:
        G.eval()
        for p, _ in flags:
            p.requires_grad_(False)
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        G.train(was_training)


def _descend(G: Callable[[Tensor, Tensor | None], Tensor], target: Tensor, z: Tensor, labels: Tensor | None,
             latent_dim: int, steps: int, lr: float, prior: float,
             progress: Callable[[float], None] | None) -> tuple[float, Tensor, list[float]]:
    """Adam on every row of ``z`` at once: the best pixel MSE at any step, its latent, the best so far per step."""
    opt = torch.optim.Adam([z], lr=lr)
    report_every = max(1, math.ceil(steps / 20))
    best_err, best_z = math.inf, z.detach()[0].clone()
    errors: list[float] = []
    with torch.enable_grad():
        for step in range(steps + 1):
            mse = ((G(z, labels) - target) ** 2).flatten(1).mean(1)
            per_sample = mse.detach()
            i = int(torch.argmin(per_sample))
            err = float(per_sample[i])
            if err < best_err:
                best_err, best_z = err, z.detach()[i].clone()
            errors.append(best_err)
            if step == steps:
                break
            loss = mse.sum() + prior * (z ** 2).sum() / latent_dim
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if progress is not None and ((step + 1) % report_every == 0 or step + 1 == steps):
                progress((step + 1) / steps)
        if progress is not None and steps == 0:
            progress(1.0)
    return best_err, best_z, errors


def nearest_neighbours(
    images: Tensor, dataset_images: Tensor, k: int = 3, batch: int = 1000
) -> tuple[Tensor, Tensor]:
    """The ``k`` dataset images closest to each query in pixel space (Euclidean distance, flattened).

    The dataset is scanned in chunks of ``batch`` images, keeping a running top-``k``, so memory is
    ``O(n * (batch + k))`` whatever the dataset size. Distances are computed directly (not via the
    ``|a|^2 - 2ab + |b|^2`` expansion), so an exact copy is at distance exactly 0.

    Args:
        images: ``(n, ...)`` queries, e.g. ``(n, 1, 28, 28)``.
        dataset_images: ``(N, ...)`` with the same per-image shape, ``N >= k``.
        k: neighbours per query.
        batch: dataset chunk size.

    Returns:
        ``(indices (n, k) int64, distances (n, k) float)``, distances ascending along each row.
    """
    q = torch.as_tensor(images).flatten(1).float()
    data = torch.as_tensor(dataset_images).flatten(1)
    if q.shape[1] != data.shape[1]:
        raise ValueError(f"images and dataset_images differ in size per image: {q.shape[1]} vs {data.shape[1]}")
    if not 1 <= k <= data.shape[0]:
        raise ValueError(f"k must be in [1, {data.shape[0]}] (the dataset size), got {k}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    n = q.shape[0]
    best_d = torch.full((n, 0), math.inf, device=q.device)
    best_i = torch.zeros((n, 0), dtype=torch.int64, device=q.device)
    for start in range(0, data.shape[0], batch):
        chunk = data[start:start + batch].to(q.device).float()
        dist = torch.cdist(q, chunk, compute_mode="donot_use_mm_for_euclid_dist")
        idx = torch.arange(start, start + chunk.shape[0], device=q.device).expand(n, -1)
        all_d, all_i = torch.cat([best_d, dist], 1), torch.cat([best_i, idx], 1)
        best_d, pos = torch.topk(all_d, min(k, all_d.shape[1]), dim=1, largest=False, sorted=True)
        best_i = torch.gather(all_i, 1, pos)
    return best_i, best_d


def label_sweep(z: Tensor, n_labels: int) -> tuple[Tensor, Tensor]:
    """The same latent with every label ``0 .. n_labels - 1``: for a conditional generator the style is kept
    and the digit changes; for InfoGAN, each value of the categorical code.

    Args:
        z: ``(d,)``.
        n_labels: number of labels (>= 1).

    Returns:
        ``(z repeated (n_labels, d), labels (n_labels,) int64)``.
    """
    z = _as_vector(z)
    if n_labels < 1:
        raise ValueError(f"n_labels must be >= 1, got {n_labels}")
    return z[None, :].repeat(n_labels, 1), torch.arange(n_labels, dtype=torch.int64, device=z.device)


def dimension_sweep(z: Tensor, dim: int, values: Sequence[float] | Tensor) -> Tensor:
    """Copies of ``z`` with coordinate ``dim`` set to each value (a per-dimension slider).

    Args:
        z: ``(d,)``.
        dim: coordinate index in ``[0, d)``.
        values: ``(m,)`` values for that coordinate.

    Returns:
        ``(m, d)``.
    """
    z = _as_vector(z)
    if not 0 <= dim < z.shape[0]:
        raise ValueError(f"dim must be in [0, {z.shape[0]}), got {dim}")
    values = torch.as_tensor(values, dtype=z.dtype, device=z.device).reshape(-1)
    out = z[None, :].repeat(values.shape[0], 1)
    out[:, dim] = values
    return out
