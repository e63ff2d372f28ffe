"""Seed 004's 3-conv CNN (padding 1), the tuned BatchNorm variant, and the parameter count."""

import pytest
import torch
from torch import nn

from nets.cnn import ConvStackCNN
from nets.mlp import MLP
from nets.parameter_count import count_parameters


def test_seed_cnn_keeps_each_conv_size_and_halves_it_per_pool():
    net = ConvStackCNN().eval()
    x = torch.randn(3, 1, 28, 28)
    sizes = []
    for layer in net.features:
        x = layer(x)
        if isinstance(layer, nn.Conv2d | nn.MaxPool2d):
            sizes.append(tuple(x.shape[1:]))
    # conv 16 at 28, pool to 14; conv 32 at 14, pool to 7; conv 64 at 7, pool to 3 (floor).
    assert sizes == [(16, 28, 28), (16, 14, 14), (32, 14, 14), (32, 7, 7), (64, 7, 7), (64, 3, 3)]
    assert net.head.in_features == 64 * 3 * 3
    assert net(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    torch.testing.assert_close(
        net.forward_head(net.forward_features(x := torch.randn(2, 1, 28, 28))), net(x)
    )


def test_parameter_counts_match_the_layer_by_layer_sums():
    convs = [(1, 16), (16, 32), (32, 64)]
    by_hand = sum(cin * cout * 3 * 3 + cout for cin, cout in convs) + 64 * 3 * 3 * 10 + 10
    assert count_parameters(ConvStackCNN()) == by_hand
    assert (
        count_parameters(MLP(784, [100, 100], 10))
        == 784 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10
    )
    # BatchNorm: the convs lose their bias, each BN adds a scale and a shift per channel.
    bn = ConvStackCNN(channels=(32, 64, 128), batch_norm=True)
    bn_convs = [(1, 32), (32, 64), (64, 128)]
    expected = sum(cin * cout * 9 + 2 * cout for cin, cout in bn_convs) + 128 * 9 * 10 + 10
    assert count_parameters(bn) == expected


def test_trainable_only_leaves_frozen_parameters_out():
    net = ConvStackCNN()
    for p in net.features.parameters():
        p.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == count_parameters(net.head)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ConvStackCNN(image_size=7), "at least 8 pixels"),
        (lambda: ConvStackCNN(kernel_size=4), "kernel_size must be odd"),
        (lambda: ConvStackCNN(channels=()), "channels must be positive integers"),
        (lambda: ConvStackCNN(dropout=1.0), r"dropout must be in \[0, 1\)"),
        (lambda: ConvStackCNN(convs_per_stage=[1, 2]), r"one per stage \(3 stages\)"),
        (lambda: ConvStackCNN(convs_per_stage=0), "convs_per_stage must be a positive integer"),
    ],
)
def test_bad_cnn_arguments_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_wrong_input_shape_names_the_expected_one():
    with pytest.raises(
        ValueError, match=r"expects input of shape \(N, 1, 28, 28\), got \(2, 3, 28, 28\)"
    ):
        ConvStackCNN()(torch.randn(2, 3, 28, 28))


def test_channels_last_changes_the_memory_order_not_the_outputs():
    torch.manual_seed(0)
    plain = ConvStackCNN(batch_norm=True)
    nhwc = ConvStackCNN(batch_norm=True, channels_last=True)
    nhwc.load_state_dict(plain.state_dict())
    assert nhwc.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(4, 1, 28, 28)
    torch.testing.assert_close(nhwc(x), plain(x), rtol=1e-5, atol=1e-5)
    assert list(nhwc.state_dict()) == list(plain.state_dict())


@pytest.mark.parametrize("convs_per_stage", [1, 2])
def test_pool_first_gives_the_same_outputs_while_batch_norm_scales_are_positive(convs_per_stage):
    torch.manual_seed(0)
    kwargs = dict(channels=(8, 16), batch_norm=True, convs_per_stage=convs_per_stage, dropout=0.1)
    late, early = ConvStackCNN(**kwargs), ConvStackCNN(pool_first=True, **kwargs)
    assert count_parameters(late) == count_parameters(early)
    weighted = [m for m in late.modules() if isinstance(m, nn.Conv2d | nn.BatchNorm2d | nn.Linear)]
    for m in weighted:
        if isinstance(m, nn.BatchNorm2d):  # eval-mode BN: a positive scale per channel
            m.weight.data.uniform_(0.5, 2.0)
            m.bias.data.normal_()
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
    for a, b in zip(
        weighted,
        [m for m in early.modules() if isinstance(m, nn.Conv2d | nn.BatchNorm2d | nn.Linear)],
        strict=True,
    ):
        b.load_state_dict(a.state_dict())
    # Each stage's last conv is pooled at once; its BN and ReLU then see a quarter of the values.
    stage = ["Conv2d", "BatchNorm2d", "ReLU"] * (convs_per_stage - 1)
    stage += ["Conv2d", "MaxPool2d", "BatchNorm2d", "ReLU"]
    assert [type(m).__name__ for m in early.features][: len(stage)] == stage
    x = torch.randn(5, 1, 28, 28)
    torch.testing.assert_close(early.eval()(x), late.eval()(x), rtol=1e-5, atol=1e-5)


def test_convs_per_stage_can_differ_between_stages():
    net = ConvStackCNN(channels=(8, 16, 32), convs_per_stage=[1, 1, 2], batch_norm=True)
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(1, 8), (8, 16), (16, 32), (32, 32)]
    assert net(torch.randn(2, 1, 28, 28)).shape == (2, 10)
