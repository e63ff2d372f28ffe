"""forward_intermediates on every conv net, with timm's meaning of indices, stop_early and
intermediates_only; its final output is forward_features'."""

import pytest
import torch
from torch import nn

from nets.cnn import ConvStackCNN
from nets.intermediates import take_indices
from nets.multitask_cnn import MultitaskCNN
from nets.resnet import ResNet18

# (net, input shape, the (C, H, W) of each intermediate)
NETS = {
    "resnet18": (
        lambda: ResNet18(width=8),
        (2, 3, 32, 32),
        [(8, 32, 32), (8, 32, 32), (16, 16, 16), (32, 8, 8), (64, 4, 4)],
    ),
    "seed_cnn": (lambda: ConvStackCNN(), (2, 1, 28, 28), [(16, 14, 14), (32, 7, 7), (64, 3, 3)]),
    "tuned_cnn": (
        lambda: ConvStackCNN(
            channels=(8, 16, 32),
            convs_per_stage=(1, 1, 2),
            batch_norm=True,
            pool_first=True,
            dropout=0.3,
            channels_last=True,
        ),
        (2, 1, 28, 28),
        [(8, 14, 14), (16, 7, 7), (32, 7, 7), (32, 3, 3)],
    ),
    "multitask_cnn": (lambda: MultitaskCNN(), (2, 1, 36, 36), [(10, 16, 16), (20, 6, 6)]),
}


@pytest.fixture(params=sorted(NETS))
def case(request):
    build, shape, maps = NETS[request.param]
    torch.manual_seed(0)
    return build().eval(), torch.randn(shape), maps


def test_every_intermediate_by_default_and_the_final_output_is_forward_features(case):
    net, x, expected = case
    with torch.no_grad():
        final, maps = net.forward_intermediates(x)
        features = net.forward_features(x)
    assert [tuple(m.shape[1:]) for m in maps] == expected
    assert all(m.shape[0] == len(x) for m in maps)
    torch.testing.assert_close(final, features, rtol=0, atol=0)


def test_an_int_takes_the_last_n_and_a_list_those_positions_in_the_nets_order(case):
    net, x, expected = case
    with torch.no_grad():
        _, every = net.forward_intermediates(x)
        _, last_two = net.forward_intermediates(x, indices=2)
        _, picked = net.forward_intermediates(x, indices=[-1, 0, 0])
    assert len(last_two) == 2
    for got, want in zip(last_two, every[-2:], strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert len(picked) == 2  # the repeated 0 is one map; the order is the net's, not the list's
    torch.testing.assert_close(picked[0], every[0], rtol=0, atol=0)
    torch.testing.assert_close(picked[1], every[-1], rtol=0, atol=0)


def test_intermediates_only_returns_just_the_maps(case):
    net, x, expected = case
    with torch.no_grad():
        maps = net.forward_intermediates(x, indices=1, intermediates_only=True)
    assert isinstance(maps, list) and [tuple(m.shape[1:]) for m in maps] == expected[-1:]


def _later_modules(net: nn.Module) -> list[nn.Module]:
    """The modules that only run after the net's first intermediate."""
    if isinstance(net, ResNet18):
        return [*net.stages[1:], net.pool, net.fc]
    layers = net.features if isinstance(net, ConvStackCNN) else net.encoder
    return list(layers)[net.block_ends[0] + 1 :]


def test_stop_early_runs_nothing_after_the_last_map_asked_for(case):
    net, x, _ = case
    ran = []
    hooks = [m.register_forward_hook(lambda *args: ran.append(1)) for m in _later_modules(net)]
    asked = 1 if isinstance(net, ResNet18) else 0  # ResNet's first stage; the others' first block
    try:
        with torch.no_grad():
            final, maps = net.forward_intermediates(x, indices=[asked], stop_early=True)
    finally:
        for hook in hooks:
            hook.remove()
    assert ran == [], "a layer after the asked-for map ran despite stop_early"
    assert len(maps) == 1
    torch.testing.assert_close(final, maps[0], rtol=0, atol=0)  # timm: the last map computed


def test_seed_cnn_maps_are_each_convs_relu_then_pool():
    torch.manual_seed(0)
    net, x = ConvStackCNN().eval(), torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        first = net.forward_intermediates(x, indices=[0], intermediates_only=True)[0]
        expected = nn.functional.max_pool2d(torch.relu(net.features[0](x)), 2)
    torch.testing.assert_close(first, expected)


def test_resnet_stop_early_at_the_last_stage_still_pools():
    torch.manual_seed(0)
    net, x = ResNet18(width=8).eval(), torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        final, _ = net.forward_intermediates(x, indices=1, stop_early=True)
        torch.testing.assert_close(final, net.forward_features(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    "indices,message",
    [
        (0, r"indices=0 asks for the last 0 intermediates; this net has 5, so use 1 to 5"),
        (6, r"indices=6 .* use 1 to 5"),
        ([5], r"must name positions 0 to 4 \(or -5 to -1\)"),
        ([-6], r"must name positions 0 to 4"),
        ([], r"must name positions 0 to 4 .* at least one"),
        ([1.0], r"must name positions 0 to 4"),
        (True, r"indices must be None, an int or a list of ints, got True"),
    ],
)
def test_indices_outside_the_net_are_a_value_error_naming_the_range(indices, message):
    with pytest.raises(ValueError, match=message):
        take_indices(5, indices)


def test_take_indices_follows_timm():
    assert take_indices(5, None) == ([0, 1, 2, 3, 4], 4)
    assert take_indices(5, 2) == ([3, 4], 4)
    assert take_indices(5, [3, -5]) == ([0, 3], 3)
