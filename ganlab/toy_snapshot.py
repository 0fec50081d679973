"""What the Toy Lab draws of a toy run at one moment (a snapshot): G's samples at fixed z, D's surface on a
grid, the gradient field G follows, G's latent manifold and the histories. A collaborator of the Trainer:
it reads the run and consumes none of its random numbers."""

from __future__ import annotations

import weakref

import torch
from torch import Tensor, nn

from ganlab.nets.mlp import Maxout, MLPDiscriminator, MLPGenerator
from ganlab.problems import Batch
from ganlab.train import frozen

SNAPSHOT_SEED_OFFSET = 7919  # the snapshot's fixed z and real samples use their own generator
_FIXED_INPUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # trainer -> {"z", "real"}
# modules whose forward is the same in train and eval mode: a net made of these alone is read as it is (a
# live frame spares switching it to eval and back, ~5 % of its CPU); any other module (batch norm, dropout,
# spectral norm's parametrisation, a trick's layer) and the net is switched
MODE_FREE = frozenset({nn.Sequential, nn.Linear, nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Tanh,
                       nn.Sigmoid, nn.Softplus, nn.Identity, Maxout, MLPGenerator, MLPDiscriminator})
_READS_MODE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # net -> bool


def latent_grid(latent_dim: int, size: int, noise: str) -> Tensor:
    """(rows, size, latent_dim) grid over the first two latent coordinates (others 0).

    Spans +/-2 for Gaussian noise and [-1, 1] for uniform; one row when latent_dim is 1.
    """
    span = 2.0 if noise == "gaussian" else 1.0
    axis = torch.linspace(-span, span, size)
    rows = 1 if latent_dim == 1 else size
    grid = torch.zeros(rows, size, latent_dim)
    grid[:, :, 0] = axis
    if latent_dim > 1:
        grid[:, :, 1] = axis[:, None]
    return grid


def reads_mode(net: nn.Module) -> bool:
    """Whether some module of `net` may behave differently in eval mode than in train mode (any module not
    in MODE_FREE); cached per net."""
    known = _READS_MODE.get(net)
    if known is None:
        known = _READS_MODE[net] = any(type(module) not in MODE_FREE for module in net.modules())
    return known


def fixed_inputs(trainer, n: int) -> dict[str, Tensor]:
    """The same z (n, latent_dim) and real points (n, 2) in every snapshot of a run, from a generator apart
    from the run's."""
    inputs = _FIXED_INPUTS.get(trainer)
    if inputs is None or inputs["z"].shape[0] != n:
        gen = torch.Generator(device=trainer.device).manual_seed(trainer.config.seed + SNAPSHOT_SEED_OFFSET)
        inputs = {"z": trainer.sample_noise(n, generator=gen), "real": trainer.dataset.sample(n, gen)}
        _FIXED_INPUTS[trainer] = inputs
    return inputs


def take_snapshot(trainer, n_samples: int = 512, grid_size: int = 64, manifold_size: int = 16,
                  histories: bool = True) -> dict:
    """Small numpy arrays for drawing a toy run (G and D are read in eval mode, then put back).

    Returns:
        step, d_updates, g_updates: ints.
        real (n, 2), fake (n, 2): fixed real points and G at fixed z (fake_ema too when EMA is on).
        fake_grad (n, 2): gradient of G's loss per fake sample w.r.t. its position (arrows: minus it);
            G's objective (feature matching when on) against the current D, never an unrolled one.
            With minibatch discrimination D's scores depend on the batch: the grid is one batch.
        grid_x (S,), grid_y (S,), d_score (S, S): D's raw output at (grid_x[j], grid_y[i])
            (a packed D sees the point repeated `pack` times);
            d_prob (S, S) = sigmoid(d_score) when the loss reads D as a probability.
        manifold (R, M, 2): G's image of a latent grid over the first two coordinates.
        history: {"step", HISTORY_COLUMNS...} bounded arrays (ganlab.train).
        metrics: {"step", METRIC_COLUMNS...} from the periodic evaluations (ganlab.evaluation).
            (history and metrics only with `histories`: a live frame of the plane leaves them out)
        divergence, estimate_formula, output, bounds.
    """
    t = trainer
    n_samples -= n_samples % t.problem.pack
    inputs = fixed_inputs(t, n_samples)
    switched = [(net, net.training) for net in (t.G, t.D) if reads_mode(net)]  # read in eval mode
    for net, _ in switched:
        net.eval()
    try:
        with torch.no_grad():
            fake = t.G(inputs["z"])
            fake_ema = t.G_ema(inputs["z"]) if t.G_ema is not None else None
            lat = latent_grid(t.config.latent_dim, manifold_size, t.config.noise).to(t.device)
            manifold = t.G(lat.reshape(-1, t.config.latent_dim)).reshape(*lat.shape[:2], 2)
            grid_x, grid_y, d_score = d_surface(t, grid_size)
        fake_grad = g_gradients(t, fake, inputs["real"])
    finally:
        for net, was_training in switched:
            net.train(was_training)
    snap = {
        "step": t.step_count, "d_updates": t.d_updates, "g_updates": t.g_updates,
        "real": inputs["real"].cpu().numpy(), "fake": fake.cpu().numpy(), "fake_grad": fake_grad.cpu().numpy(),
        "grid_x": grid_x.cpu().numpy(), "grid_y": grid_y.cpu().numpy(), "d_score": d_score.cpu().numpy(),
        "manifold": manifold.cpu().numpy(), "divergence": t.loss.divergence,
        "estimate_formula": t.loss.estimate_formula, "output": t.loss.output, "bounds": tuple(t.dataset.bounds),
    }
    if histories:
        snap["history"], snap["metrics"] = t.history.as_arrays(), t.metrics.as_arrays()
    if t.loss.output == "probability":
        snap["d_prob"] = torch.sigmoid(d_score).cpu().numpy()
    if fake_ema is not None:
        snap["fake_ema"] = fake_ema.cpu().numpy()
    return snap


def d_surface(trainer, size: int) -> tuple[Tensor, Tensor, Tensor]:
    """(grid_x (S,), grid_y (S,), D's raw score (S, S) at (grid_x[j], grid_y[i])) over the data's bounds."""
    xmin, xmax, ymin, ymax = trainer.dataset.bounds
    gx = torch.linspace(xmin, xmax, size, device=trainer.device)
    gy = torch.linspace(ymin, ymax, size, device=trainer.device)
    plane = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), dim=-1).reshape(-1, 2)
    return gx, gy, trainer.D(plane.repeat(1, trainer.problem.pack)).reshape(size, size)


def g_gradients(trainer, fake: Tensor, real: Tensor) -> Tensor:
    """(n, 2) gradient of G's objective (summed over samples) with respect to each fake point's position."""
    problem = trainer.problem
    points = fake.detach().requires_grad_(True)
    with frozen(trainer.d_params):
        loss = trainer.g_objective(Batch(problem.packed(points)), Batch(problem.packed(real)))
        (grad,) = torch.autograd.grad(loss * (len(points) // problem.pack), points)
    return grad
