"""Image metrics of a generator with ganlab's own LeNet (checkpoints/mnist_classifier.pt):
"FID (LeNet)" on its 128-d features (not comparable with Inception FID), the classifier score
(Inception-score formula, at most 10), the KL of the predicted class histogram from uniform, and k-NN
precision / recall (Kynkaanniemi et al. 2019, k = 3) and density / coverage (Naeem et al. 2020, k = 5)
on the same features, PR_SAMPLES real vs PR_SAMPLES generated digits.

A blind spot worth showing: uniform noise images all land on one LeNet feature point, inside the
k-NN ball of an outlying real digit, so their k-NN precision is about 0.94; their coverage is 0.01 and
recall 0 (Naeem et al. built density / coverage for exactly this)."""

from __future__ import annotations

import functools

import numpy as np
import torch

from ganlab.classifier import features_and_probs, load_classifier
from ganlab.data.images import load_mnist
from ganlab.metrics.images import class_kl, classifier_score, feature_statistics, frechet_distance
from ganlab.metrics.manifold import density_coverage, precision_recall

PR_SAMPLES = 1000
# what evaluate_images returns, titled for people (tables, captions): key -> title
IMAGE_METRIC_TITLES = {"fid_lenet": "FID (LeNet)", "classifier_score": "Classifier score (max 10)",
                       "class_kl": "Class KL from uniform", "precision": "Precision", "recall": "Recall",
                       "density": "Density", "coverage": "Coverage"}


@functools.lru_cache(maxsize=1)
def lenet():
    """(model, metadata) of the shipped LeNet, loaded once per process (metrics, lessons, the explorer)."""
    return load_classifier()


@functools.lru_cache(maxsize=4)
def reference_statistics(data_dir: str | None = None) -> tuple:
    """(mu, sigma, source, PR_SAMPLES features) of the held-out real digits' LeNet features, once per process."""
    model, _ = lenet()
    test = load_mnist(data_dir, train=False)
    feats, _ = features_and_probs(model, test.images)
    mu, sigma = feature_statistics(feats)
    chosen = np.random.default_rng(0).permutation(len(feats))[:PR_SAMPLES]  # a fixed subset of every class
    return mu, sigma, test.source, feats[np.sort(chosen)]


def evaluate_images(images: torch.Tensor, data_dir: str | None = None) -> dict:
    """images (n, 1, 28, 28) in [-1, 1] -> {"fid_lenet", "classifier_score", "class_kl", "precision",
    "recall", "density", "coverage", "reference"} (reference: which real set the statistics come from)."""
    model, _ = lenet()
    feats, probs = features_and_probs(model, images.detach().cpu().float())
    mu_real, sigma_real, source, real_feats = reference_statistics(data_dir)
    mu, sigma = feature_statistics(feats)
    real_feats, fake_feats = real_feats.astype("float64"), feats[:PR_SAMPLES].astype("float64")
    pr, dc = precision_recall(real_feats, fake_feats, k=3), density_coverage(real_feats, fake_feats, k=5)
    return {"fid_lenet": frechet_distance(mu, sigma, mu_real, sigma_real),
            "classifier_score": classifier_score(probs), "class_kl": class_kl(probs),
            "precision": pr["precision"], "recall": pr["recall"], "density": dc["density"],
            "coverage": dc["coverage"], "reference": source}
