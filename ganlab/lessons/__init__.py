"""Guided lessons: the model, the catalogue and the experiments behind each "predict, then run"."""
