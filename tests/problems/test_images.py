"""An image run's problem (ganlab.problems.images): labels only where D is conditioned, codes for G,
InfoGAN's Q head trained with G; the same Trainer as the toy runs."""

import pytest
import torch

from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides
from ganlab.data.images import ImageDataset
from ganlab.train import Trainer


@pytest.fixture(scope="module")
def digits():
    gen = torch.Generator().manual_seed(0)
    return ImageDataset(torch.rand(40, 1, 28, 28, generator=gen) * 2 - 1, torch.arange(40) % 10, "test", "train")


def images(data, **overrides) -> Trainer:
    cfg = with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "4",
                                                   "d.channels": "4", "batch_size": "6", **overrides})
    return Trainer(cfg, data=data)


def test_unconditional_batches_have_no_labels_or_codes(digits):
    t = images(digits)
    gen = torch.Generator().manual_seed(1)
    real = t.problem.real_batch(6, gen)
    assert real.x.shape == (6, 1, 28, 28) and real.labels is None
    assert t.problem.draw_codes(6, gen) is None
    fake = t.fake_batch()
    assert fake.x.shape == (6, 1, 28, 28) and fake.labels is None and fake.codes is None


def test_a_conditional_run_conditions_d_on_the_labels_it_gave_g(digits):
    t = images(digits, conditional="true")
    real = t.problem.real_batch(6, torch.Generator().manual_seed(1))
    index = torch.randint(40, (6,), generator=torch.Generator().manual_seed(1))  # the same draw
    assert torch.equal(real.x, digits.images[index]) and torch.equal(real.labels, index % 10)
    fake = t.fake_batch()
    assert torch.equal(fake.labels, fake.codes) and int(fake.codes.max()) < 10


def test_infogan_codes_go_to_g_only_and_q_trains_with_g(digits):
    t = images(digits, info_codes="3")
    fake = t.fake_batch()
    assert fake.labels is None and set(fake.codes.tolist()) <= {0, 1, 2}
    q_params = {id(p) for p in t.D.q_head.parameters()}
    assert q_params <= {id(p) for p in t.g_params} and not q_params & {id(p) for p in t.d_params}
    before = [p.detach().clone() for p in t.D.q_head.parameters()]
    t.g_step()
    assert any(not torch.equal(b, p) for b, p in zip(before, t.D.q_head.parameters(), strict=True))


def test_toy_and_image_runs_are_one_trainer_with_one_history(digits):
    toy = Trainer(RunConfig(device="cpu"))
    image = images(digits)
    assert type(toy) is type(image)
    assert toy.history.columns == image.history.columns == ("d_loss", "g_loss", "estimate", "d_real", "d_fake")
    image.step(2)
    assert set(image.history.last()) == set(image.history.columns) and image.step_count == 2
