"""Redraw time of the Dynamics page (goal: under 100 ms): median of whole-page reruns in AppTest.

    python benchmarks/dynamics_redraw.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the page imports ganlab
PAGE = str(ROOT / "pages" / "dynamics.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    times = []
    for i in range(args.runs):
        start = time.perf_counter()
        app.slider(key="dyn_h").set_value(0.1 + 0.05 * (i % 10)).run()
        times.append(time.perf_counter() - start)
    print(f"Dynamics page rerun (bilinear game + 4 Dirac-GAN panels + eigenvalues): "
          f"median {1000 * statistics.median(times):.0f} ms over {args.runs} runs (goal < 100 ms)")


if __name__ == "__main__":
    main()
