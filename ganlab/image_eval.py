"""Image metrics of a generator with ganlab's own LeNet (checkpoints/mnist_classifier.pt):
"FID (LeNet)" on its 128-d features (not comparable with Inception FID), the classifier score
(Inception-score formula, at most 10) and the KL of the predicted class histogram from uniform."""

from __future__ import annotations

import functools

import torch

from ganlab.classifier import features_and_probs, load_classifier
from ganlab.data.images import load_mnist
from ganlab.metrics.images import class_kl, classifier_score, feature_statistics, frechet_distance


@functools.lru_cache(maxsize=1)
def _classifier():
    return load_classifier()


@functools.lru_cache(maxsize=4)
def reference_statistics(data_dir: str | None = None) -> tuple:
    """(mu, sigma, source) of the held-out real digits' LeNet features, computed once per process."""
    model, _ = _classifier()
    test = load_mnist(data_dir, train=False)
    feats, _ = features_and_probs(model, test.images)
    mu, sigma = feature_statistics(feats)
    return mu, sigma, test.source


def evaluate_images(images: torch.Tensor, data_dir: str | None = None) -> dict:
    """images (n, 1, 28, 28) in [-1, 1] -> {"fid_lenet", "classifier_score", "class_kl", "reference"}."""
    model, _ = _classifier()
    feats, probs = features_and_probs(model, images.detach().cpu().float())
    mu_real, sigma_real, source = reference_statistics(data_dir)
    mu, sigma = feature_statistics(feats)
    return {"fid_lenet": frechet_distance(mu, sigma, mu_real, sigma_real),
            "classifier_score": classifier_score(probs), "class_kl": class_kl(probs), "reference": source}
