"""Health alarms for a running GAN, read off a trainer snapshot, each with the usual remedies."""

from __future__ import annotations

import numpy as np

GRAD_NORM_LIMIT = 100.0
D_LOSS_FLOOR = 1e-3
WINDOW = 50
ALARM_KINDS = ("d_wins", "grad_norm", "d_oscillates", "g_oscillates")
"""Each alarm's kind, in the order they are shown: its text carries numbers that change frame by frame, its kind
does not."""


def health_alarms(snap: dict) -> list[str]:
    """Warnings for: D's loss at ~0 (D wins outright), huge gradient norms, wildly oscillating losses.

    Args:
        snap: take_snapshot(Trainer) output (history, fake_grad, output).
    """
    return [text for _, text in alarm_items(snap)]


def alarm_items(snap: dict) -> list[tuple[str, str]]:
    """health_alarms(snap), each as (kind, text), kind one of ALARM_KINDS."""
    alarms: list[tuple[str, str]] = []
    history = snap["history"]
    d_loss = history["d_loss"][-WINDOW:]
    g_loss = history["g_loss"][-WINDOW:]
    if snap["output"] == "probability" and len(d_loss) >= 5 and np.all(np.abs(d_loss[-5:]) < D_LOSS_FLOOR):
        alarms.append(("d_wins", "D's loss is ~0: the discriminator separates real from fake perfectly, so G's "
                       "gradients vanish. Remedies: the non-saturating or a Wasserstein loss, a smaller D "
                       "learning rate, label smoothing or instance noise."))
    norms = np.linalg.norm(snap["fake_grad"], axis=1) if len(snap["fake_grad"]) else np.zeros(1)
    if np.isfinite(norms).all() and norms.max() > GRAD_NORM_LIMIT:
        alarms.append(("grad_norm", f"G's gradient norms reach {norms.max():.3g} (> {GRAD_NORM_LIMIT:g}): updates "
                       "may explode. Remedies: lower learning rates, a gradient penalty (wgan-gp, R1) or spectral "
                       "norm."))
    if len(d_loss) >= WINDOW:
        for name, series in (("D", d_loss), ("G", g_loss)):
            swings = np.abs(np.diff(series))
            scale = max(float(np.median(np.abs(series))), 1e-3)
            if np.median(swings) > scale:
                alarms.append((f"{name.lower()}_oscillates",
                               f"{name}'s loss oscillates wildly (typical step-to-step change "
                               f"{np.median(swings):.3g} against a typical size {scale:.3g}). Remedies: lower "
                               "learning rates, Adam with beta1 0.5, more D steps, or R1."))
    return alarms
