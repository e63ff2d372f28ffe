import numpy as np
import torch

from numpy_ref.activations import ReLU
from numpy_ref.conv import Conv2d
from numpy_ref.flatten import Flatten
from numpy_ref.linear import Linear
from numpy_ref.pooling import MaxPool2d
from numpy_ref.sequential import Sequential
from tests.helpers.gradcheck import check_layer_gradients, check_torch_parity


def test_flatten_grads_match_finite_differences():
    rng = np.random.default_rng(0)
    check_layer_gradients(Flatten(), rng.standard_normal((3, 2, 4, 5)), rng)


def test_flatten_matches_torch_flatten_on_a_channel_major_view():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5)).transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3)
    check_torch_parity(Flatten(), torch.nn.Flatten(), x, rng)


def _small_cnn(rng):
    return Sequential(
        Conv2d(1, 4, 3, padding=1, dtype=np.float64, rng=rng),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(4 * 5 * 5, 3, dtype=np.float64, rng=rng),
    )


def test_small_cnn_output_and_all_grads_match_torch():
    rng = np.random.default_rng(2)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 5 * 5, 3),
    )
    check_torch_parity(_small_cnn(rng), module, rng.standard_normal((3, 1, 10, 11)), rng)


def test_small_cnn_state_dict_names_follow_torch_sequential_indices():
    names = list(_small_cnn(np.random.default_rng(3)).state_dict())
    assert names == ["0.weight", "0.bias", "4.weight", "4.bias"]
