"""ImageTrainer: the Trainer for image GANs on MNIST (MLP or DCGAN; unconditional, conditional, InfoGAN).

Same conventions as the toy Trainer: every draw goes through the run's torch.Generator, per-step
scalars stay on the device between checks, histories are bounded, a non-finite loss or weight raises
TrainingDiverged and restores the last good state, and `state_dict()` continues a run bit for bit.
G's weights are averaged (EMA) for sampling when `ema` > 0, with a warm-up: update t uses the decay
min(ema, (1 + t) / (10 + t)) (ganlab.tricks.ema_decay), so the samples follow G from the first steps
instead of showing the untrained G for thousands of them; `sample_source()` says which G samples use.

On a CUDA GPU the forward passes run under bfloat16 autocast and convolutions use channels_last memory
(`self.mixed_precision` says which dtype, None on CPU / MPS); nothing changes for the user.
Regularisers: r1 (real points), r2 (fake points), gp0 and WGAN-GP (interpolates), dragan (around the
data), instance noise (on every input of D) and one-sided label smoothing (D's real target). With a
conditional D, penalties on real, interpolated and DRAGAN points use the real batch's labels, R2 the
fake batch's.
Tricks (RunConfig.tricks, ganlab.tricks): feature matching (G matches the mean of D's features, the
input of its score head), minibatch discrimination (in D), historical averaging (both players) and
virtual batch norm (DCGAN G, with a reference batch of latents drawn once from the run's generator and
kept as G's buffers). Unrolled D steps are for toy runs only.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.config import RunConfig, validate
from ganlab.data.images import ImageDataset, load_mnist
from ganlab.device import autocast_context, mixed_precision_dtype, resolve_device
from ganlab.history import History
from ganlab.losses import get_loss
from ganlab.nets.images import (
    DCGANDiscriminator,
    DCGANGenerator,
    InfoGANDiscriminator,
    LabelEmbedding,
    MLPImageDiscriminator,
    MLPImageGenerator,
)
from ganlab.optim import build_optimizer
from ganlab.penalties import dragan_points, one_centred_penalty, random_interpolates, zero_centred_penalty
from ganlab.train import TrainingDiverged, core_state, load_core_state
from ganlab.tricks import VBN_REFERENCE_SIZE, HistoricalAverage, ema_source, feature_matching_loss, update_ema

N_CLASSES = 10
EMBED_DIM = 10
HISTORY_COLUMNS = ("d_loss", "g_loss", "estimate", "d_real", "d_fake")


class ConditionedGenerator(nn.Module):
    """G(z, label) for conditional GANs (a learned label embedding) or G(z, code) for InfoGAN (one-hot).

    With `reference_size` r > 0 (virtual batch norm) it holds a fixed reference batch, buffers
    `reference_z` (r, latent_dim) and, when conditioned, `reference_labels` (r,), chosen once by
    `draw_reference`; every call runs the reference batch in front of the given one and drops it from
    the output, so each VirtualBatchNorm layer finds the reference activations in its first r rows.
    """

    def __init__(self, net: nn.Module, embedding: LabelEmbedding | None, n_codes: int, reference_size: int = 0,
                 latent_dim: int = 0):
        super().__init__()
        self.net, self.embedding, self.n_codes = net, embedding, n_codes
        self.reference_size = reference_size
        if reference_size:
            self.register_buffer("reference_z", torch.zeros(reference_size, latent_dim))
            if embedding is not None or n_codes:
                self.register_buffer("reference_labels", torch.zeros(reference_size, dtype=torch.long))

    @torch.no_grad()
    def draw_reference(self, generator: torch.Generator) -> None:
        """Choose the reference batch: z ~ N(0, I) and uniform labels, from `generator` (the run's)."""
        self.reference_z.normal_(generator=generator)
        if hasattr(self, "reference_labels"):
            k = self.embedding.embed.num_embeddings if self.embedding is not None else self.n_codes
            self.reference_labels.copy_(torch.randint(k, (self.reference_size,), generator=generator,
                                                      device=self.reference_labels.device))

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.reference_size:
            z = torch.cat([self.reference_z, z])
            if labels is not None:
                labels = torch.cat([self.reference_labels, labels])
            return self._forward(z, labels)[self.reference_size:]
        return self._forward(z, labels)

    def _forward(self, z: Tensor, labels: Tensor | None) -> Tensor:
        if self.embedding is not None:
            return self.net(z, self.embedding(labels))
        if self.n_codes:
            return self.net(z, F.one_hot(labels, self.n_codes).float())
        return self.net(z)


def build_image_nets(cfg: RunConfig) -> tuple[nn.Module, nn.Module, nn.Module | None]:
    """(G, D, D's label embedding or None) for the config's architecture and conditioning."""
    cond_g = EMBED_DIM if cfg.conditional else cfg.info_codes
    cond_d = EMBED_DIM if cfg.conditional else 0
    reference = VBN_REFERENCE_SIZE if cfg.tricks.virtual_batch_norm else 0
    minibatch = cfg.tricks.minibatch_discrimination
    if cfg.g.arch == "dcgan":
        g_net = DCGANGenerator(cfg.latent_dim, 1, cfg.g.channels, cond_g, vbn_reference=reference)
    else:
        g_net = MLPImageGenerator(cfg.latent_dim, 1, cond_g)
    if cfg.d.arch == "dcgan":
        d_net = DCGANDiscriminator(1, cfg.d.channels, cond_d, minibatch_discrimination=minibatch)
    else:
        d_net = MLPImageDiscriminator(1, cond_d, minibatch_discrimination=minibatch)
    if cfg.info_codes:
        d_net = InfoGANDiscriminator(d_net, d_net.feature_dim, cfg.info_codes)
    g = ConditionedGenerator(g_net, LabelEmbedding(N_CLASSES, EMBED_DIM) if cfg.conditional else None,
                             cfg.info_codes, reference, cfg.latent_dim)
    d_embedding = LabelEmbedding(N_CLASSES, EMBED_DIM) if cfg.conditional else None
    return g, d_net, d_embedding


class ImageTrainer:
    """Trains an image GAN on MNIST (or a given ImageDataset) from a validated RunConfig."""

    def __init__(self, config: RunConfig, data: ImageDataset | None = None, check_every: int = 16):
        self.config = validate(copy.deepcopy(config))
        cfg = self.config
        self.device = resolve_device(cfg.device)
        self.data = data if data is not None else load_mnist(cfg.data.data_dir, train=True)
        self.mixed_precision = mixed_precision_dtype(self.device)
        self.memory_format = torch.channels_last if self.device.type == "cuda" else torch.contiguous_format
        self.images = self.data.images.to(self.device).contiguous(memory_format=self.memory_format)
        self.labels = self.data.labels.to(self.device)
        self.loss = get_loss(cfg.loss.name)
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        g, d, d_embedding = build_image_nets(cfg)
        self.G = g.to(self.device, memory_format=self.memory_format)
        self.D = d.to(self.device, memory_format=self.memory_format)
        self.D_embedding = d_embedding.to(self.device) if d_embedding is not None else None
        if cfg.tricks.virtual_batch_norm:
            self.G.draw_reference(self.generator)
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False) if cfg.ema > 0 else None
        self.g_params = list(self.G.parameters())
        d_body = self.D.base if cfg.info_codes else self.D
        embedding_params = list(self.D_embedding.parameters()) if self.D_embedding else []
        self.d_params = list(d_body.parameters()) + embedding_params
        if cfg.info_codes:  # Q's head trains with G on the code loss; the shared trunk trains with D
            self.g_params += list(self.D.q_head.parameters())
        self.g_opt = build_optimizer(self.g_params, cfg.g_opt.name, cfg.g_opt.lr, cfg.g_opt.beta1,
                                     cfg.g_opt.beta2, cfg.g_opt.momentum)
        self.d_opt = build_optimizer(self.d_params, cfg.d_opt.name, cfg.d_opt.lr, cfg.d_opt.beta1,
                                     cfg.d_opt.beta2, cfg.d_opt.momentum)
        self.real_target = float(cfg.regularizers.get("label-smoothing", 1.0))
        self.instance_noise = float(cfg.regularizers.get("instance-noise", 0.0))
        self._configure_tricks()
        self.check_every = check_every
        self.step_count = self.d_updates = self.g_updates = 0
        self.history = History(HISTORY_COLUMNS, cfg.history)
        self._staged: list[Tensor] = []
        self._good_state = copy.deepcopy(self.state_dict(include_history=False))
        self._fixed_z = torch.randn(N_CLASSES * 8, cfg.latent_dim,
                                    generator=torch.Generator(device=self.device).manual_seed(cfg.seed + 7919),
                                    device=self.device)

    # --- batches ----------------------------------------------------------------------------------

    def _real_batch(self) -> tuple[Tensor, Tensor]:
        index = torch.randint(len(self.labels), (self.config.batch_size,), generator=self.generator,
                              device=self.device)
        return self.images[index], self.labels[index]

    def _fake_batch(self, n: int) -> tuple[Tensor, Tensor | None]:
        z = torch.randn(n, self.config.latent_dim, generator=self.generator, device=self.device)
        codes = None
        if self.config.conditional or self.config.info_codes:
            k = self.config.info_codes or N_CLASSES
            codes = torch.randint(k, (n,), generator=self.generator, device=self.device)
        return self.G(z, codes), codes

    def discriminate(self, x: Tensor, labels: Tensor | None) -> Tensor:
        if self.D_embedding is not None:
            return self.D(x, self.D_embedding(labels))
        return self.D(x)

    def features(self, x: Tensor, labels: Tensor | None) -> Tensor:
        """D's features (n, k) of x: the input of its score head (InfoGAN: of its shared trunk)."""
        body = self.D.base if self.config.info_codes else self.D
        if self.D_embedding is not None:
            return body.features(x, self.D_embedding(labels))
        return body.features(x)

    # --- tricks -----------------------------------------------------------------------------------

    def _configure_tricks(self) -> None:
        """G's objective (plain or feature matching) and the historical-averaging terms, chosen once."""
        tricks = self.config.tricks
        self._g_objective = self._feature_matching_loss if tricks.feature_matching else self._plain_g_loss
        self.param_averages: dict[str, HistoricalAverage] = {}
        if tricks.historical_averaging:
            self.param_averages = {"G": HistoricalAverage(self.g_params, tricks.historical_averaging),
                                   "D": HistoricalAverage(self.d_params, tricks.historical_averaging)}
        self._g_terms = [self.param_averages["G"].step] if self.param_averages else []
        self._d_terms = [self.param_averages["D"].step] if self.param_averages else []

    # --- updates ----------------------------------------------------------------------------------

    def _perturb(self, x: Tensor) -> Tensor:
        """Instance noise (Sonderby et al. 2017): D sees x + sigma * N(0, I) when the regulariser is on."""
        if self.instance_noise:
            return x + self.instance_noise * torch.randn(x.shape, generator=self.generator, device=x.device)
        return x

    def _penalties(self, real: Tensor, fake: Tensor, real_scores: Tensor, fake_scores: Tensor,
                   real_labels: Tensor | None, fake_labels: Tensor | None) -> list[Tensor]:
        """Each active gradient penalty, weighted (WGAN-GP, r1, r2, gp0, dragan; in that order)."""
        regs, gen = self.config.regularizers, self.generator

        def d_real(x: Tensor) -> Tensor:
            return self.discriminate(x, real_labels)

        out = []
        if self.loss.gradient_penalty:
            interpolates = random_interpolates(real, fake, gen)
            out.append(self.config.loss.gp_lambda * one_centred_penalty(d_real, interpolates))
        if "r1" in regs:
            out.append(regs["r1"] / 2 * zero_centred_penalty(d_real, real, real_scores))
        if "r2" in regs:
            out.append(regs["r2"] / 2 * zero_centred_penalty(lambda x: self.discriminate(x, fake_labels), fake,
                                                             fake_scores))
        if "gp0" in regs:
            out.append(regs["gp0"] * zero_centred_penalty(d_real, random_interpolates(real, fake, gen)))
        if "dragan" in regs:
            out.append(regs["dragan"] * one_centred_penalty(d_real, dragan_points(real.detach(), gen)))
        return out

    def d_step(self) -> None:
        real, real_labels = self._real_batch()
        with torch.no_grad():
            fake, fake_codes = self._fake_batch(self.config.batch_size)
        fake_labels = fake_codes if self.config.conditional else None
        real_labels = real_labels if self.config.conditional else None
        real, fake = self._perturb(real), self._perturb(fake)
        regs = self.config.regularizers
        if "r1" in regs:
            real = real.detach().requires_grad_(True)
        if "r2" in regs:
            fake = fake.detach().requires_grad_(True)
        with autocast_context(self.device):
            real_scores, fake_scores = self.discriminate(real, real_labels), self.discriminate(fake, fake_labels)
            loss = self.loss.d_loss(real_scores.float(), fake_scores.float(), self.real_target)
            for penalty in self._penalties(real, fake, real_scores, fake_scores, real_labels, fake_labels):
                loss = loss + penalty.float()
        for term in self._d_terms:
            loss = loss + term()
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.d_opt.step()
        if self.loss.weight_clip:
            with torch.no_grad():
                for p in self.d_params:
                    p.clamp_(-self.config.loss.clip, self.config.loss.clip)
        self.d_updates += 1
        with torch.no_grad():
            real_scores, fake_scores = real_scores.detach().float(), fake_scores.detach().float()
            estimate = self.loss.estimate(real_scores, fake_scores)
            squash = torch.sigmoid if self.loss.output == "probability" else (lambda t: t)
            self._last_d = [loss.detach(), estimate, squash(real_scores).mean(), squash(fake_scores).mean()]

    def _plain_g_loss(self, fake: Tensor, codes: Tensor | None, labels: Tensor | None) -> Tensor:
        """The loss's generator term (plus InfoGAN's code loss)."""
        if self.config.info_codes:
            scores, code_logits = self.D.score_and_code(fake)
            return self.loss.g_loss(scores.float(), None) + F.cross_entropy(code_logits.float(), codes)
        real_scores = None
        if self.loss.g_uses_real:
            real, real_labels = self._real_batch()
            with torch.no_grad():
                real_scores = self.discriminate(self._perturb(real),
                                                real_labels if self.config.conditional else None).float()
        return self.loss.g_loss(self.discriminate(fake, labels).float(), real_scores)

    def _feature_matching_loss(self, fake: Tensor, codes: Tensor | None, labels: Tensor | None) -> Tensor:
        """||mean f(x) - mean f(G(z))||^2 on a fresh real batch (plus InfoGAN's code loss on f(G(z)))."""
        real, real_labels = self._real_batch()
        with torch.no_grad():
            real_features = self.features(self._perturb(real), real_labels if self.config.conditional else None)
        fake_features = self.features(fake, labels)
        loss = feature_matching_loss(real_features.float(), fake_features.float())
        if self.config.info_codes:
            loss = loss + F.cross_entropy(self.D.q_head(fake_features).float(), codes)
        return loss

    def g_step(self) -> None:
        for p in self.d_params:
            p.requires_grad_(False)
        try:
            with autocast_context(self.device):
                fake, codes = self._fake_batch(self.config.batch_size)
                labels = codes if self.config.conditional else None
                fake = self._perturb(fake)
                loss = self._g_objective(fake, codes, labels)
            for term in self._g_terms:
                loss = loss + term()
            self.g_opt.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            for p in self.d_params:
                p.requires_grad_(True)
        self.g_opt.step()
        if self.G_ema is not None:
            update_ema(self.G_ema, self.G, self.config.ema, self.g_updates)
        self.g_updates += 1
        self._last_g = loss.detach()

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            for _ in range(self.config.d_steps):
                self.d_step()
            for _ in range(self.config.g_steps):
                self.g_step()
            self.step_count += 1
            d_loss, estimate, d_real, d_fake = self._last_d
            self._staged += [d_loss, self._last_g, estimate, d_real, d_fake]
            if len(self._staged) >= len(HISTORY_COLUMNS) * self.check_every:
                self.check()
        self.check()

    def check(self) -> None:
        if not self._staged:
            return
        staged = torch.stack(self._staged).reshape(-1, len(HISTORY_COLUMNS)).cpu().double().numpy()
        self._staged = []
        first = self.step_count - len(staged) + 1
        bad = ~np.isfinite(staged[:, :2])
        weights_ok = all(torch.isfinite(p).all() for p in self.g_params + self.d_params)
        if bad.any() or not weights_ok:
            row, col = np.argwhere(bad)[0] if bad.any() else (len(staged) - 1, 0)
            restored = self._good_state["step_count"]
            self.load_state_dict(self._good_state)
            raise TrainingDiverged(first + int(row), HISTORY_COLUMNS[col] if bad.any() else "weights",
                                   float(staged[row, col]), restored)
        self.history.extend(np.arange(first, self.step_count + 1), staged)
        self._good_state = copy.deepcopy(self.state_dict(include_history=False))

    # --- sampling and state ----------------------------------------------------------------------

    def sample_source(self, use_ema: bool = True) -> str:
        """Which generator `sample` and `sample_grid` draw from, for a caption: "G (raw)", or e.g.
        "EMA of G (decay 0.999, warm-up: effective decay 0.980 at update 450)"."""
        if not use_ema or self.G_ema is None:
            return "G (raw)"
        return ema_source(self.config.ema, self.g_updates)

    @torch.no_grad()
    def sample(self, n: int, labels: Tensor | None = None, use_ema: bool = True, seed: int = 1) -> Tensor:
        """(n, 1, 28, 28) images in [-1, 1] from the EMA generator (when on) with their own seed."""
        net = self.G_ema if use_ema and self.G_ema is not None else self.G
        gen = torch.Generator(device=self.device).manual_seed(self.config.seed + seed)
        z = torch.randn(n, self.config.latent_dim, generator=gen, device=self.device)
        if labels is None and (self.config.conditional or self.config.info_codes):
            labels = torch.arange(n, device=self.device) % (self.config.info_codes or N_CLASSES)
        was_training = net.training
        net.eval()
        try:
            return net(z, labels)
        finally:
            net.train(was_training)

    @torch.no_grad()
    def sample_grid(self, per_row: int = 8) -> np.ndarray:
        """(rows, per_row, 28, 28) in [0, 1] from fixed noise: one row per class when conditional."""
        rows = N_CLASSES if (self.config.conditional or self.config.info_codes) else 8
        k = self.config.info_codes or N_CLASSES
        labels = (torch.arange(rows, device=self.device).repeat_interleave(per_row) % k
                  if rows == N_CLASSES else None)
        net = self.G_ema if self.G_ema is not None else self.G
        net.eval()
        images = net(self._fixed_z[: rows * per_row], labels)
        net.train()
        return ((images[:, 0] + 1) / 2).clamp(0, 1).reshape(rows, per_row, 28, 28).cpu().numpy()

    def state_dict(self, include_history: bool = True) -> dict:
        state = core_state(self)
        if self.D_embedding is not None:
            state["D_embedding"] = self.D_embedding.state_dict()
        if include_history:
            state["history"] = self.history.tensor_state()
        return state

    def load_state_dict(self, state: dict) -> None:
        load_core_state(self, state)
        if self.D_embedding is not None:
            self.D_embedding.load_state_dict(state["D_embedding"])
        if "history" in state:
            self.history.load_tensor_state(state["history"])
        self._staged = []
