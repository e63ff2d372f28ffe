"""MobileNetV3Small: torchvision's net under its own keys, with timm's forward_intermediates."""

import pytest
import torch
from torchvision.models import mobilenet_v3_small

from nets.mobilenet_v3_small import MobileNetV3Small


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    net = MobileNetV3Small().eval()
    torch.manual_seed(0)
    return net, mobilenet_v3_small(weights=None).eval()


@pytest.fixture(scope="module")
def x():
    return torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def all_maps(nets, x):
    with torch.no_grad():
        return nets[0].forward_intermediates(x, intermediates_only=True)


def test_state_dict_and_outputs_are_torchvisions(nets, x):
    net, torchvision_net = nets
    state, expected = net.state_dict(), torchvision_net.state_dict()
    assert list(state) == list(expected), "keys differ from torchvision's mobilenet_v3_small"
    assert all(torch.equal(state[k], expected[k]) for k in state), "seeded init differs"
    with torch.no_grad():
        torch.testing.assert_close(net(x), torchvision_net(x), rtol=0, atol=0)


def test_forward_is_head_of_features_and_features_are_the_last_block(nets, x):
    net, torchvision_net = nets
    with torch.no_grad():
        features = net.forward_features(x)
        assert tuple(features.shape) == (2, 576, 2, 2)
        torch.testing.assert_close(features, torchvision_net.features(x), rtol=0, atol=0)
        torch.testing.assert_close(net.forward_head(features), net(x), rtol=0, atol=0)
        assert tuple(net(x).shape) == (2, 1000)


def test_intermediates_are_each_block_in_turn_and_the_final_maps_the_features(nets, x):
    net, _ = nets
    with torch.no_grad():
        final, maps = net.forward_intermediates(x)
        expected, y = [], x
        for block in net.features:
            y = block(y)
            expected.append(y)
        assert len(maps) == 13
        for i, (got, want) in enumerate(zip(maps, expected, strict=True)):
            torch.testing.assert_close(got, want, rtol=0, atol=0, msg=f"features.{i}")
        torch.testing.assert_close(final, net.forward_features(x), rtol=0, atol=0)
    channels = [m.shape[1] for m in maps]
    assert channels == [16, 16, 24, 24, 40, 40, 40, 48, 48, 96, 96, 96, 576]


@pytest.mark.parametrize(
    ("indices", "taken"),
    [(None, list(range(13))), (3, [10, 11, 12]), ([-1, 4, 2, 4], [2, 4, 12]), ((0,), [0])],
)
def test_indices_pick_blocks_as_timm_does(nets, x, all_maps, indices, taken):
    with torch.no_grad():
        maps = nets[0].forward_intermediates(x, indices, intermediates_only=True)
    assert [m.shape for m in maps] == [all_maps[i].shape for i in taken]
    for got, i in zip(maps, taken, strict=True):
        torch.testing.assert_close(got, all_maps[i], rtol=0, atol=0)


def test_stop_early_runs_no_block_after_the_last_one_asked_for(x):
    net = MobileNetV3Small().eval()
    ran = []
    for i, block in enumerate(net.features):
        block.register_forward_hook(lambda *_, i=i: ran.append(i))
    with torch.no_grad():
        last, maps = net.forward_intermediates(x, [1, 4], stop_early=True)
    assert ran == [0, 1, 2, 3, 4] and len(maps) == 2
    torch.testing.assert_close(last, maps[-1], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("indices", "message"),
    [(14, "use 1 to 13"), (0, "use 1 to 13"), ([13], "positions 0 to 12"), ([], "at least one")],
)
def test_a_block_outside_the_net_is_refused_with_the_valid_range(nets, x, indices, message):
    with pytest.raises(ValueError, match=message):
        nets[0].forward_intermediates(x, indices)


def test_grey_images_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\), got \(2, 1, 32, 32\)\. Repeat"):
        MobileNetV3Small().forward_features(torch.zeros(2, 1, 32, 32))
