"""ConvFiltersAndMaps: which layers it draws, what the tiles are, a net it cannot draw, and the
properties file a tiny fit leaves."""

import json

import pytest
import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from callbacks.conv_filters import (
    FILES,
    PROPERTIES_FILE,
    ConvFiltersAndMaps,
    filter_tiles,
    first_and_last_conv,
    first_and_last_maps,
)
from labkit.errors import ConfigError
from nets.mlp import MLP
from nets.resnet import ResNet18


def test_first_and_last_conv_of_resnet18_are_the_stem_and_the_last_blocks_second_conv():
    net = ResNet18(width=8)
    first, last = first_and_last_conv(net)
    assert first is net.stem[0]
    assert last is net.stages[3][1].conv2


def test_rgb_filters_are_tiles_of_their_own_and_deeper_ones_show_their_strongest_channel():
    rgb = torch.randn(6, 3, 3, 3)
    tiles, captions = filter_tiles(rgb, 4)
    assert len(tiles) == 4 and torch.equal(tiles[2], rgb[2])
    deep = torch.zeros(5, 16, 3, 3)
    deep[1, 7] = 1.0  # filter 1's only non-zero input channel
    tiles, captions = filter_tiles(deep, 2)
    assert torch.equal(tiles[1], deep[1, 7]) and "input ch 7" in captions[1]


def test_a_net_without_conv_layers_is_refused_at_setup():
    class Module(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = MLP(12, [4], 2)

    with pytest.raises(ConfigError, match="has no Conv2d layer"):
        ConvFiltersAndMaps("unused").setup(None, Module(), "fit")


def test_maps_are_the_nets_first_and_last_intermediates_in_eval_mode():
    torch.manual_seed(0)
    net = ResNet18(width=8).train()
    image = torch.randn(1, 3, 32, 32)
    maps = first_and_last_maps(net, image)
    assert net.training, "the net was left in eval mode"
    net.eval()
    with torch.no_grad():
        stem = net.stem(image)
        last = stem
        for stage in net.stages:
            last = stage(last)
    torch.testing.assert_close(maps["first_conv"], stem)
    torch.testing.assert_close(maps["last_conv"], last)


def test_a_conv_net_without_forward_intermediates_is_refused_at_setup():
    class Module(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())

    with pytest.raises(ConfigError, match=r"forward_intermediates.*remove the callback"):
        ConvFiltersAndMaps("unused").setup(None, Module(), "fit")


class _TinyCifar(pl.LightningDataModule):
    """Eight random 3x32x32 images per split; ``splits`` and ``class_names`` as labkit's set them."""

    class_names = ("cat", "dog")

    def setup(self, stage: str) -> None:
        g = torch.Generator().manual_seed(0)
        self.splits = {
            s: (torch.randn(8, 3, 32, 32, generator=g), torch.tensor([1, 0] * 4))
            for s in ("train", "val")
        }

    def train_dataloader(self):
        return DataLoader(TensorDataset(*self.splits["train"]), batch_size=4)


class _TinyClassifier(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = ResNet18(num_classes=2, width=4)

    def training_step(self, batch, batch_idx):
        return nn.functional.cross_entropy(self.net(batch[0]), batch[1])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def test_a_tiny_fit_writes_the_figures_and_the_properties_of_the_drawn_filters(tmp_path):
    torch.manual_seed(0)
    callback = ConvFiltersAndMaps(str(tmp_path / "plots"), num_filters=3, image_index=0)
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    module = _TinyClassifier()
    trainer.fit(module, datamodule=_TinyCifar())
    for name in FILES:
        assert (tmp_path / "plots" / f"{name}.png").stat().st_size > 1000
    props = json.loads((tmp_path / "plots" / PROPERTIES_FILE).read_text())
    assert set(props) == {"first_conv", "last_conv", "image"}
    assert props["image"] == {
        "split": "val",
        "index": 0,
        "class_index": 1,
        "class_name": "dog",
        "height": 32,
        "width": 32,
    }
    first, last = props["first_conv"], props["last_conv"]
    assert first["filters"]["kernel_size"] == [3, 3] and first["filters"]["input_channels"] == 3
    assert "colour_fraction" in first["filters"] and "colour_fraction" not in last["filters"]
    assert last["filters"]["input_channels"] == 32
    for layer in (first, last):
        filters, maps = layer["filters"], layer["maps"]
        for key in ("dc_energy_fraction", "orientation_strength", "input_channel_concentration"):
            assert 0.0 <= filters[key] <= 1.0, key
        assert 0.0 < filters["norm_min"] <= filters["norm_mean"] <= filters["norm_max"]
        assert [d["filter"] for d in filters["drawn"]] == [0, 1, 2]
        assert {"dominant_orientation_deg", "strongest_input_channel"} <= set(filters["drawn"][0])
        assert 0.0 <= maps["active_fraction"] <= 1.0
        assert [d["channel"] for d in maps["drawn"]] == [0, 1, 2]
        assert {"peak_row", "peak_col", "peak_value", "energy_top10pct_fraction"} <= set(
            maps["drawn"][0]
        )
    assert (first["maps"]["height"], last["maps"]["height"]) == (32, 4)
    # The drawn filter's number is the live weight's: filter 1 of the last conv, recomputed.
    weight = first_and_last_conv(module.net)[1].weight.detach()
    assert last["filters"]["drawn"][1]["norm"] == pytest.approx(weight[1].norm().item(), rel=1e-5)
