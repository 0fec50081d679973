import pickle

import pytest
import torch

from ganlab.checkpoint import CheckpointError, checkpoint_bytes
from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides
from ganlab.data.images import ImageDataset
from ganlab.generator_file import export_generator, load_generator, sampling_generator
from ganlab.train import Trainer


@pytest.fixture(scope="module")
def tiny_images():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(32, 1, 28, 28, generator=gen) * 2 - 1
    return ImageDataset(images, torch.arange(32) % 10, "synthetic", "train")


def image_trainer(data, **overrides):
    cfg = with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                                   "d.channels": "8", "latent_dim": "16", "batch_size": "8",
                                                   **overrides})
    t = Trainer(cfg, data=data)
    t.step(2)
    return t


def test_image_export_holds_the_ema_generator_only_and_samples_the_same(tiny_images, tmp_path):
    t = image_trainer(tiny_images, conditional="true")
    path = tmp_path / "g.pt"
    card = export_generator(t, path, {"command": "test"})
    assert card["steps"] == 2 and card["format"] == "ganlab-generator"
    loaded = load_generator(path)
    assert loaded.is_image and loaded.n_labels == 10 and loaded.label_kind == "digit" and loaded.latent_dim == 16
    assert loaded.card["command"] == "test" and loaded.source == "generator file"
    z, labels = loaded.random_z(5, seed=3), torch.arange(5)
    sampling_generator(t).eval()
    with torch.no_grad():
        expected = t.G_ema(z, labels)
    assert torch.equal(loaded.generate(z, labels), expected)
    assert path.stat().st_size < 0.5 * len(checkpoint_bytes(t))  # no D, no optimiser state
    assert not any(p.requires_grad for p in loaded.net.parameters())


def test_a_full_checkpoint_also_loads_from_bytes(tiny_images):
    t = image_trainer(tiny_images, info_codes="10")
    loaded = load_generator(checkpoint_bytes(t))
    assert loaded.source == "training checkpoint" and loaded.label_kind == "code" and loaded.card["steps"] == 2
    z = loaded.random_z(3, seed=0)
    with torch.no_grad():
        t.G_ema.eval()
        assert torch.equal(loaded.generate(z, torch.tensor([0, 1, 2])), t.G_ema(z, torch.tensor([0, 1, 2])))


def test_toy_export_uses_g_itself(tmp_path):
    t = Trainer(with_overrides(RunConfig(device="cpu"), {"ema": "0.9", "batch_size": "16"}))
    t.step(3)
    export_generator(t, tmp_path / "toy.pt", {})
    loaded = load_generator(tmp_path / "toy.pt")
    z = loaded.random_z(4, seed=1)
    with torch.no_grad():
        t.G.eval()
        assert torch.equal(loaded.generate(z), t.G(z))
    assert not loaded.is_image and loaded.n_labels == 0


class Boom:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('/tmp/ganlab-pwned').write_text('x')",))


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty"), (b"not a torch file at all", "not a readable checkpoint"),
    (pickle.dumps({"payload": Boom()}, protocol=2), "refused"),
    (pickle.dumps({"payload": Boom()}), "safe loading refuses")])
def test_bad_uploads_get_messages_and_never_run_code(content, fragment):
    with pytest.raises(CheckpointError, match=fragment):
        load_generator(content)
    assert not __import__("pathlib").Path("/tmp/ganlab-pwned").exists()


def test_a_foreign_torch_file_and_a_truncated_export_are_refused(tiny_images, tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a ganlab checkpoint"):
        load_generator(foreign)
    export_generator(image_trainer(tiny_images), tmp_path / "g.pt", {})
    data = (tmp_path / "g.pt").read_bytes()
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_generator(data[: len(data) // 2])
