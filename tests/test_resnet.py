"""ResNet-18 as seed 002 specifies it: parameter count, map sizes, conv-BN structure, init, activation."""

import math

import pytest
import torch
from torch import nn

from nets.resnet import ResNet18


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return ResNet18(num_classes=10, activation="relu", init="xavier_normal").eval()


def test_parameter_count_is_resnet18s_with_ten_classes(net):
    assert sum(p.numel() for p in net.parameters()) == 11_173_962


def test_stages_give_32_16_8_4_pixel_maps(net):
    with torch.no_grad():
        maps = net.forward_intermediates(torch.randn(2, 3, 32, 32), intermediates_only=True)
    assert [tuple(m.shape[1:]) for m in maps] == [
        (64, 32, 32),
        (64, 32, 32),
        (128, 16, 16),
        (256, 8, 8),
        (512, 4, 4),
    ]


def test_forward_is_head_of_features(net):
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        features = net.forward_features(x)
        assert features.shape == (3, 512)
        torch.testing.assert_close(net(x), net.forward_head(features))


def test_every_conv_is_bias_free_and_feeds_a_batchnorm_with_seed_paddings(net):
    modules = list(net.modules())
    convs = [m for m in modules if isinstance(m, nn.Conv2d)]
    assert len(convs) == 20  # stem + 8 blocks x 2 + 3 downsampling shortcuts
    for conv in convs:
        assert conv.bias is None
        following = modules[modules.index(conv) + 1]
        assert isinstance(following, nn.BatchNorm2d) and following.num_features == conv.out_channels
        if conv.kernel_size == (1, 1):
            assert conv.stride == (2, 2) and conv.padding == (0, 0)
        else:
            assert conv.kernel_size == (3, 3) and conv.padding == (1, 1)
    stem = convs[0]
    assert stem.stride == (1, 1) and stem.out_channels == 64
    assert not any(isinstance(m, nn.MaxPool2d) for m in modules)


def test_tanh_replaces_every_relu():
    net = ResNet18(activation="tanh")
    kinds = {type(m) for m in net.modules()}
    assert nn.Tanh in kinds and nn.ReLU not in kinds


@pytest.mark.parametrize(
    "init,expected_std",
    [
        ("xavier_uniform", lambda fi, fo: math.sqrt(2 / (fi + fo))),
        ("xavier_normal", lambda fi, fo: math.sqrt(2 / (fi + fo))),
        ("kaiming_normal", lambda fi, fo: math.sqrt(2 / fi)),
    ],
)
def test_init_sets_the_weight_scale_of_its_scheme(init, expected_std):
    torch.manual_seed(1)
    net = ResNet18(init=init)
    weight = net.stages[3][
        1
    ].conv2.weight.detach()  # 512 x 512 x 3 x 3: a tight estimate of the std
    fan_in = fan_out = 512 * 9
    assert float(weight.std()) == pytest.approx(expected_std(fan_in, fan_out), rel=0.02)
    if init == "xavier_uniform":
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert float(weight.abs().max()) <= bound
    assert float(net.fc.bias.detach().abs().max()) == 0


def test_unknown_init_and_wrong_input_are_clear_value_errors(net):
    with pytest.raises(ValueError, match="Unknown init 'orthogonal'"):
        ResNet18(init="orthogonal")
    with pytest.raises(ValueError, match=r"ResNet18 expects input of shape \(N, 3, 32, 32\)"):
        net(torch.randn(1, 1, 28, 28))


def test_a_narrower_copy_keeps_the_structure_and_doubles_channels_per_stage():
    net = ResNet18(width=8)
    with torch.no_grad():
        maps = net.forward_intermediates(torch.randn(1, 3, 32, 32), intermediates_only=True)
    assert [m.shape[1] for m in maps] == [8, 8, 16, 32, 64]
    assert [m.shape[-1] for m in maps] == [32, 32, 16, 8, 4]
