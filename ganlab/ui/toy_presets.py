"""Toy Lab presets: one click sets every option; two sentences say what to watch for."""

from __future__ import annotations

from dataclasses import dataclass

from ganlab.config import RunConfig, with_overrides


@dataclass(frozen=True)
class Preset:
    name: str
    overrides: dict[str, str]
    watch: str

    def config(self) -> RunConfig:
        """Defaults plus this preset's options (validated)."""
        return with_overrides(RunConfig(), self.overrides)


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("Mode collapse with the minimax loss",
           {"data.name": "ring8", "loss.name": "minimax", "g_opt.lr": "0.001", "d_opt.lr": "0.001"},
           "The saturating generator loss gives G weak gradients, and G tends to park its samples on a few "
           "of the eight modes. Watch 'modes covered' and the hollow (missed) mode markers."),
    Preset("Vanishing gradients on disjoint supports",
           {"data.name": "disjoint-gaussians", "loss.name": "minimax", "d_steps": "5"},
           "D quickly separates real from fake and saturates, so the minimax loss's arrows shrink to almost "
           "nothing. Switch the loss to wgan-gp and the arrows come back."),
    Preset("Weight clipping vs gradient penalty",
           {"data.name": "grid25", "loss.name": "wgan", "loss.clip": "0.01", "d_steps": "5",
            "g_opt.name": "rmsprop", "d_opt.name": "rmsprop", "g_opt.lr": "0.0005", "d_opt.lr": "0.0005"},
           "A weight-clipped critic is nearly linear and its W estimate is far below the exact W1 in the "
           "divergence chart. Switch to wgan-gp to see the estimate close in on W1."),
    Preset("One-sided label smoothing",
           {"data.name": "ring8", "loss.name": "nonsaturating", "reg.label-smoothing": "0.9"},
           "D's target for real data is 0.9 instead of 1, so D(x) on the data stops near 0.9 and cannot become "
           "over-confident. Compare mean D(real) with and without it."),
    Preset("k D-steps per G-step",
           {"data.name": "grid25", "loss.name": "wgan-gp", "d_steps": "5"},
           "Five critic updates per generator update keep the critic near its optimum, as WGAN-GP "
           "recommends. Watch the critic's W estimate track the exact W1."),
    Preset("Hinge loss on the ring",
           {"data.name": "ring8", "loss.name": "hinge", "d.spectral_norm": "true"},
           "The hinge loss with a spectrally normalised D (as in SN-GAN) estimates total variation. Watch "
           "D's surface stay smooth while G spreads over the ring."),
    Preset("R1 penalty on the grid",
           {"data.name": "grid25", "loss.name": "nonsaturating", "reg.r1": "1"},
           "R1 penalises D's gradient on real data, which damps the oscillations of the game. Watch the "
           "loss curves settle compared with no regulariser."),
    Preset("Packing the discriminator (PacGAN2)",
           {"data.name": "ring8", "loss.name": "nonsaturating", "pack": "2"},
           "D judges two samples at a time, so a generator that repeats itself is easy to catch. Compare "
           "'modes covered' with pack 1."),
]}
