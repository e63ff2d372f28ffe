"""ConvFiltersAndMaps: which layers it draws, what the tiles are, and a net it cannot draw."""

import pytest
import torch
from torch import nn

from callbacks.conv_filters import (
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
