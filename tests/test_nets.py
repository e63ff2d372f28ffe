"""Every net: forward(x) == forward_head(forward_features(x)) (timm's split), shapes as documented."""

import pytest
import torch
from torch import nn

from nets.autoencoder import MLPAutoencoder
from nets.mlp import MLP
from nets.multitask_cnn import MultitaskCNN


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    ("net", "x", "features_shape", "out_shape"),
    [
        (lambda: MLP(784, [64, 32], 10), torch.randn(3, 1, 28, 28), (3, 32), (3, 10)),
        (lambda: MLP(784, [], 10), torch.randn(3, 1, 28, 28), (3, 784), (3, 10)),
        (lambda: MultitaskCNN(), torch.randn(3, 1, 36, 36), (3, 50), (3, 2, 10)),
        (
            lambda: MultitaskCNN(
                in_channels=3, image_size=28, num_classes=4, num_tasks=3, hidden=7
            ),
            torch.randn(3, 3, 28, 28),
            (3, 7),
            (3, 3, 4),
        ),
        (lambda: MLPAutoencoder(), torch.randn(3, 1, 28, 28), (3, 2), (3, 1, 28, 28)),
        (
            lambda: MLPAutoencoder((3, 8, 8), [16], code_size=5, activation="tanh"),
            torch.randn(3, 3, 8, 8),
            (3, 5),
            (3, 3, 8, 8),
        ),
    ],
)
def test_forward_is_head_of_features_with_documented_shapes(net, x, features_shape, out_shape):
    torch.manual_seed(0)
    net = net().eval()
    features = net.forward_features(x)
    out = net(x)
    assert tuple(features.shape) == features_shape
    assert tuple(out.shape) == out_shape
    torch.testing.assert_close(net.forward_head(features), out, rtol=0, atol=0)


def test_mlp_features_are_the_last_hidden_activation():
    torch.manual_seed(0)
    net = MLP(6, [5, 4], 3, activation="relu")
    x = torch.randn(8, 6)
    first, second = net.layers[0], net.layers[2]
    expected = torch.relu(second(torch.relu(first(x))))
    torch.testing.assert_close(net.forward_features(x), expected, rtol=0, atol=0)


def test_mlp_state_dict_keys_are_unchanged():
    # Checkpoints written before the features/head split must still load.
    keys = list(MLP(784, [64], 10, dropout=0.1).state_dict())
    assert keys == ["layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias"]


def test_multitask_cnn_parameter_count_by_hand():
    # conv1 1*10*5*5 + 10; conv2 10*20*5*5 + 20; fc (20*6*6)*50 + 50; two heads 2*(50*10 + 10)
    expected = {"conv1": 260, "conv2": 5020, "fc": 36050, "heads": 1020}
    net = MultitaskCNN()
    assert _n_params(net.encoder[0]) == expected["conv1"]
    assert _n_params(net.encoder[3]) == expected["conv2"]
    assert _n_params(net.encoder[7]) == expected["fc"]
    assert _n_params(net.heads) == expected["heads"]
    assert _n_params(net) == sum(expected.values()) == 42350


def test_multitask_cnn_flatten_size_follows_image_size():
    # 28x28 inputs: 28 -> 24 -> 12 -> 8 -> 4, so the Linear sees 20*4*4 = 320 (the class CNN's).
    assert MultitaskCNN(image_size=28).encoder[7].in_features == 320
    assert MultitaskCNN(image_size=36).encoder[7].in_features == 720


def test_multitask_heads_are_independent_tasks():
    torch.manual_seed(0)
    net = MultitaskCNN()
    f = torch.randn(4, 50)
    logits = net.forward_head(f)
    torch.testing.assert_close(logits[:, 0], net.heads[0](f))
    torch.testing.assert_close(logits[:, 1], net.heads[1](f))


def test_autoencoder_code_and_reconstruction_aliases():
    torch.manual_seed(0)
    net = MLPAutoencoder(hidden_sizes=[32, 16])
    x = torch.randn(5, 1, 28, 28)
    torch.testing.assert_close(net.encode(x), net.forward_features(x))
    code = torch.randn(5, 2)
    torch.testing.assert_close(net.decode(code), net.forward_head(code))
    # The decoder mirrors the encoder: 784-32-16-2 then 2-16-32-784.
    assert [m.out_features for m in net.encoder.layers if isinstance(m, nn.Linear)] == [32, 16, 2]
    assert [m.out_features for m in net.decoder.layers if isinstance(m, nn.Linear)] == [16, 32, 784]


def test_autoencoder_output_is_linear_so_it_can_reach_standardised_pixels():
    # Standardised MNIST pixels range over [-0.42, 2.82]: a sigmoid output could never fit them.
    torch.manual_seed(0)
    net = MLPAutoencoder(hidden_sizes=[8])
    with torch.no_grad():
        net.decoder.layers[-1].bias.fill_(2.5)
        net.decoder.layers[-1].weight.zero_()
    assert torch.allclose(net(torch.randn(2, 1, 28, 28)), torch.full((2, 1, 28, 28), 2.5))


@pytest.mark.parametrize(
    ("net", "x", "message"),
    [
        (MultitaskCNN(), torch.randn(2, 1, 28, 28), r"expects input of shape \(N, 1, 36, 36\)"),
        (MultitaskCNN(), torch.randn(2, 3, 36, 36), r"got \(2, 3, 36, 36\)"),
        (MultitaskCNN(), torch.randn(1, 36, 36), r"got \(1, 36, 36\)"),
        (MLPAutoencoder(), torch.randn(2, 1, 32, 32), r"expects input of shape \(N, 1, 28, 28\)"),
        (MLP(784, [8], 10), torch.randn(2, 1, 32, 32), r"expects 784 features"),
    ],
)
def test_wrong_input_size_raises_a_clear_value_error(net, x, message):
    with pytest.raises(ValueError, match=message):
        net(x)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MultitaskCNN(image_size=15), "at least 16 pixels"),
        (lambda: MultitaskCNN(num_tasks=0), "num_tasks must be a positive integer"),
        (lambda: MLPAutoencoder(image_shape=(1, 0, 28)), "image_shape must be positive"),
        (lambda: MLPAutoencoder(code_size=0), "layer sizes must be positive"),
    ],
)
def test_bad_constructor_arguments_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()
