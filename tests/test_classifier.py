import numpy as np
import pytest
import torch

from ganlab.classifier import CLASSIFIER_PATH, accuracy, features_and_probs, load_classifier
from ganlab.data.images import load_mnist
from ganlab.metrics.images import class_kl, classifier_score, feature_statistics, frechet_distance


@pytest.fixture(scope="module")
def shipped():
    return load_classifier(CLASSIFIER_PATH)


def test_the_shipped_classifier_is_accurate_on_held_out_digits(shipped, tmp_path):
    model, card = shipped
    test = load_mnist(tmp_path / "none", train=False)
    assert accuracy(model, test) >= 0.97
    assert card["held_out_accuracy"] == pytest.approx(accuracy(model, test), abs=1e-9)


def test_real_digits_score_high_and_fid_separates_real_from_noise(shipped, tmp_path):
    model, _ = shipped
    test = load_mnist(tmp_path / "none", train=False)
    feats, probs = features_and_probs(model, test.images)
    assert classifier_score(probs) > 9.0
    assert class_kl(probs) == pytest.approx(0.0, abs=0.02)
    order = torch.randperm(len(test), generator=torch.Generator().manual_seed(0)).numpy()
    half1, half2 = feature_statistics(feats[order[:500]]), feature_statistics(feats[order[500:]])
    noise_feats, _ = features_and_probs(model, torch.rand(500, 1, 28, 28) * 2 - 1)
    real_vs_real = frechet_distance(*half1, *half2)
    real_vs_noise = frechet_distance(*half1, *feature_statistics(noise_feats))
    assert real_vs_real < 0.05 * real_vs_noise


def test_score_closed_forms():
    assert classifier_score(np.eye(10)) == pytest.approx(10.0)
    assert classifier_score(np.tile(np.eye(10)[3], (20, 1))) == pytest.approx(1.0)
    assert classifier_score(np.full((5, 10), 0.1)) == pytest.approx(1.0)
    assert class_kl(np.tile(np.eye(10)[3], (20, 1))) == pytest.approx(np.log(10), abs=1e-9)


def test_a_foreign_file_is_not_a_classifier(tmp_path):
    path = tmp_path / "x.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not a ganlab MNIST classifier"):
        load_classifier(path)
