"""Maximum likelihood beside the adversarial game: a VAE and a RealNVP normalising flow, trained on the same
data as the GANs, with the same trainer machinery and the same toy metrics.

Maximum likelihood minimises the forward KL(p_data || p_model), which punishes a model for missing data
(mode covering, blurry samples); a GAN's generator behaves closer to the reverse direction, which
punishes mass where there is no data (mode seeking, sharp samples, dropped modes). A VAE bounds the
likelihood from below (the ELBO); a flow computes it exactly through an invertible map and its Jacobian
determinant.

- flow.py: AffineCoupling and RealNVP (Dinh et al. 2017);
- vae.py: ToyVAE and ImageVAE (Kingma & Welling 2014), importance-weighted likelihood (Burda et al. 2016);
- kl.py: forward and reverse KL estimators from log densities at samples;
- models.py, evaluation.py, trainer.py: the LikelihoodTrainer, with the GAN Trainer's surface;
- `make_trainer(cfg)`: the GAN Trainer or the LikelihoodTrainer, by `cfg.model`.
"""

from __future__ import annotations

from ganlab.config import RunConfig

LIKELIHOOD_MODELS = ("vae", "flow")


def make_trainer(cfg: RunConfig, **kwargs):
    """The trainer of `cfg`: ganlab.train.Trainer for model "gan", LikelihoodTrainer for "vae" and "flow"
    (keyword arguments, such as `data`, go to the trainer)."""
    if cfg.model in LIKELIHOOD_MODELS:
        from ganlab.likelihood.trainer import LikelihoodTrainer

        return LikelihoodTrainer(cfg, **kwargs)
    from ganlab.train import Trainer

    return Trainer(cfg, **kwargs)


__all__ = ["LIKELIHOOD_MODELS", "make_trainer"]
