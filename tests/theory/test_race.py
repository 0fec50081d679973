import numpy as np

from ganlab.theory.race import Race
from tests.torch_threads import one_torch_thread  # noqa: F401 - autouse: one torch thread


def test_the_race_leaves_minimax_behind():
    race = Race(losses=("minimax", "nonsaturating", "wgan-gp"), seed=0)
    start = {loss: d[0, 1] for loss, d in race.distances().items()}
    assert len(set(np.round(list(start.values()), 9))) == 1  # same seed: same starting generator
    assert start["minimax"] > 4.0  # disjoint from the data N(0, 0.1^2)
    for _ in range(6):
        race.step(50)
    final = {loss: d[-1, 1] for loss, d in race.distances().items()}
    assert final["nonsaturating"] < final["minimax"] and final["wgan-gp"] < final["minimax"]
    assert race.distances()["minimax"].shape == (7, 2)
