"""Latent Explorer: time of every action on the CPU for a shipped generator (goal: each under 1 s).

Two figures per action: the engine call alone (LatentSession, median of runs), and the whole-page rerun
it triggers in AppTest (median; includes drawing every panel, which the browser sees as one answer).

    python benchmarks/latent_actions.py [--checkpoint mnist_dcgan.pt] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ganlab.ui.latent_session import CHECKPOINT_DIR, LatentSession  # noqa: E402

PAGE = str(ROOT / "pages" / "latent_explorer.py")


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def engine_figures(name: str, runs: int) -> dict[str, float]:
    session = LatentSession.open(CHECKPOINT_DIR / name, name)
    for index in range(4):
        session.pin(index)
    a, b, c, d = session.pins
    target = session.render(a.z[None], a.label)
    session.direction("slant", 0, a.label)  # fitted once per session and attribute, then cached
    return {
        "open checkpoint": median_ms(lambda: LatentSession.open(CHECKPOINT_DIR / name, name), runs),
        "16 samples": median_ms(session.samples, runs),
        "interpolation (8 lerp + 8 slerp)": median_ms(lambda: session.interpolations(a, b, 8), runs),
        "four-corner sheet 8 x 8": median_ms(lambda: session.four_corners([a, b, c, d], 8), runs),
        "arithmetic": median_ms(lambda: session.arithmetic([a], [b], [c]), runs),
        "fit an attribute direction (512 digits)": median_ms(
            lambda: (session._directions.clear(), session.direction("ink", 0, a.label)), runs),
        "attribute walk (7 images)": median_ms(
            lambda: session.attribute_walk(a, "slant", [-3, -2, -1, 0, 1, 2, 3]), runs),
        "nearest neighbours (5 of the training set)": median_ms(lambda: session.neighbours(target), runs),
        "inversion, 150 steps x 4 restarts": median_ms(lambda: session.invert(target, a.label, 150), runs),
    }


def page_figures(name: str, runs: int) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = name
    app.run()
    for number in (1, 2, 3):
        app.selectbox(key="lx_pick_number").set_value(number).run()
        next(b for b in app.button if b.label == "Pin").click().run()
    figures = {}
    figures["page: New samples"] = median_ms(
        lambda: next(b for b in app.button if b.label == "New samples").click().run(), runs)
    alphas = iter([0.5, 1.0, 1.5, -0.5, -1.0, 2.0, -2.0, 0.25, 0.75, 1.25] * 10)
    figures["page: move the attribute slider"] = median_ms(
        lambda: app.slider(key="lx_alpha").set_value(next(alphas)).run(), runs)
    steps = iter([4, 5, 6, 7, 9, 10, 11, 12] * 10)
    figures["page: change interpolation steps"] = median_ms(
        lambda: app.slider(key="lx_steps").set_value(next(steps)).run(), runs)
    assert not app.exception, app.exception
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="mnist_dcgan.pt")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"Latent Explorer on {args.checkpoint}, CPU, {torch.get_num_threads()} torch threads "
          f"(median of {args.runs} runs; goal: every action under 1,000 ms)")
    figures = {**engine_figures(args.checkpoint, args.runs), **page_figures(args.checkpoint, args.runs)}
    width = max(map(len, figures))
    for name, ms in figures.items():
        print(f"  {name:<{width}}  {ms:8.1f} ms  {'ok' if ms < 1000 else 'OVER 1 s'}")


if __name__ == "__main__":
    main()
