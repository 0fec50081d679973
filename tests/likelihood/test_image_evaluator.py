"""Which held-out digits an image VAE is scored on."""

from types import SimpleNamespace

import torch

from ganlab.likelihood.evaluation import ImageEvaluator


def fake_trainer(n_test: int, seed: int = 0):
    # a test set sorted by class, as the offline MNIST subset is: 100 digits of each class in turn; each
    # image's pixels hold its class, so the subset's classes can be read back
    classes = torch.arange(n_test) // (n_test // 10)
    images = classes.float().view(-1, 1, 1, 1).expand(n_test, 1, 28, 28).clone()
    return SimpleNamespace(test_data=lambda: SimpleNamespace(images=images), device="cpu",
                           config=SimpleNamespace(seed=seed))


def test_a_subset_of_a_sorted_test_set_holds_every_class_and_is_fixed_by_the_seed():
    evaluator = ImageEvaluator(fake_trainer(1000), n_samples=200)
    classes = evaluator.images[:, 0, 0, 0].long()
    assert len(classes) == 200 and set(classes.tolist()) == set(range(10))  # not 200 zeros
    assert torch.bincount(classes, minlength=10).min() >= 8  # about 20 of each (a random draw of 200)
    again = ImageEvaluator(fake_trainer(1000), n_samples=200).images
    assert torch.equal(again, evaluator.images)  # the same digits every evaluation
    other_seed = ImageEvaluator(fake_trainer(1000, seed=1), n_samples=200).images
    assert not torch.equal(other_seed, evaluator.images)


def test_asking_for_all_digits_or_more_scores_the_whole_test_set_in_order():
    trainer = fake_trainer(1000)
    for n in (1000, 5000):
        assert torch.equal(ImageEvaluator(trainer, n_samples=n).images, trainer.test_data().images)
