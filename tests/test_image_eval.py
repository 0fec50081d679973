import pytest
import torch

from ganlab.data.images import load_mnist
from ganlab.image_eval import evaluate_images


def test_real_digits_have_high_precision_and_recall_and_noise_has_none(tmp_path):
    train = load_mnist(tmp_path / "none", train=True)  # training digits against the held-out reference
    mixed = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:1000]  # the subset is sorted
    real = evaluate_images(train.images[mixed], str(tmp_path / "none"))
    noise = evaluate_images(torch.rand(1000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1,
                            str(tmp_path / "none"))
    assert real["precision"] > 0.6 and real["recall"] > 0.6
    assert real["coverage"] > 0.8 and real["density"] == pytest.approx(1.0, abs=0.2)
    # noise collapses onto one feature point inside an outlier's ball: precision is fooled, coverage is not
    assert noise["recall"] == pytest.approx(0.0, abs=0.01) and noise["coverage"] == pytest.approx(0.0, abs=0.02)
    assert noise["precision"] > 0.5
    assert real["fid_lenet"] < 0.05 * noise["fid_lenet"]
    assert real["classifier_score"] > 9.0 and real["reference"] == noise["reference"]
