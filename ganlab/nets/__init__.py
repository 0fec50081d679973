"""Networks: MLP generator and discriminator for 2-D toy data."""

from ganlab.nets.mlp import ACTIVATIONS, ARCHITECTURES, NORMS, MLPDiscriminator, MLPGenerator

__all__ = ["ACTIVATIONS", "ARCHITECTURES", "NORMS", "MLPDiscriminator", "MLPGenerator"]
