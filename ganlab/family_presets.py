"""The GAN, VAE and flow page's choices: the toy data sets it offers and its failure presets (one per
family). Plain data, so that share links (ganlab.links) and the page's session (ganlab.ui.families_session)
read the same lists."""

from __future__ import annotations

from dataclasses import dataclass

from ganlab.data.toy import DATASET_CLASSES

DEFAULT_DATASET = "ring8"
FAMILY_DATASETS = tuple(name for name, cls in DATASET_CLASSES.items() if cls.has_density and name != "custom")
"""The toy data sets the page offers: those with a 2-D density (a likelihood needs one), but "custom" (its
points are the Toy Lab's to draw)."""
NO_PRESET = "none"        # the preset select's (and a link's) value for "no preset"


@dataclass(frozen=True)
class FailurePreset:
    """A data set and one family's options that show that family's typical failure within `steps` steps
    (the runs stop there once; Play trains on)."""

    key: str
    name: str
    data: dict[str, str]
    models: dict[str, dict[str, str]]
    steps: int
    explanation: str

    @property
    def dataset(self) -> str:
        return self.data["data.name"]


PRESETS: dict[str, FailurePreset] = {p.key: p for p in (
    FailurePreset("vae-blur", "VAE blur", {"data.name": "ring8", "data.std": "0.05"}, {"vae": {"vae.beta": "4"}},
                  3000, "A VAE with a strong KL weight (β = 4) on ring8 (std 0.05) covers all 8 modes but spreads "
                        "its mass between them: about 6 % of its samples are high quality at step 3,000 (GAN "
                        "~95 %, flow ~70 %)."),
    FailurePreset("flow-bridges", "Flow bridges", {"data.name": "grid25"}, {"flow": {"flow.depth": "4"}},
                  3000, "A shallow flow (4 couplings) bends one Gaussian onto 25 separated modes: the continuous, "
                        "invertible map leaves thin bridges of density and samples between them (all 25 modes "
                        "covered, ~13 % of samples high quality at step 3,000)."),
    FailurePreset("gan-dropped-modes", "GAN dropped modes", {"data.name": "ring8"},
                  {"gan": {"loss.name": "minimax"}},
                  4000, "The minimax (saturating) GAN on ring8 (std 0.01) drops modes: 5 of 8 covered at step "
                        "4,000, and its forward KL reads +∞ (data where its smoothed p_g underflows), while the "
                        "VAE and the flow cover all 8."),
)}
