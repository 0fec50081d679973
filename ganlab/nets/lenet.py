"""A small LeNet-5-style MNIST classifier: ganlab's feature network for image metrics (no Inception
weights can be downloaded here). Its 128-d penultimate layer gives the "FID (LeNet)" features."""

from __future__ import annotations

from torch import Tensor, nn

FEATURE_DIM = 128


class LeNet(nn.Module):
    """images (n, 1, 28, 28) in [-1, 1] -> logits (n, 10); .features gives (n, 128)."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * 5 * 5, FEATURE_DIM), nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, 10))

    def features(self, x: Tensor) -> Tensor:
        return self.trunk(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.trunk(x))
