"""The benchmark times the same computation on both sides: same weights, same batches, same result."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from benchmarks.numpy_vs_torch import conv_twins, mlp_epoch_twins, mlp_models  # noqa: E402
from numpy_bridge.twin import wrap_twin  # noqa: E402


def test_mlp_twins_start_equal():
    numpy_model, torch_model = mlp_models([20, 16, 5], seed=0)
    torch_state = torch_model.state_dict()
    for numpy_key, torch_key in wrap_twin(torch_model, numpy_model).key_pairs():
        np.testing.assert_array_equal(
            numpy_model.state_dict()[numpy_key], torch_state[torch_key].numpy(), err_msg=torch_key
        )


def test_mlp_twins_stay_equal_over_an_epoch_of_the_same_batches():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 20), dtype=np.float32)
    y = rng.integers(0, 5, 96)
    twins = mlp_epoch_twins(x, y, [20, 16, 5], batch_size=32, lr=1e-2, seed=0)
    twins.run_numpy()
    twins.run_torch()
    trained = twins.torch_module.state_dict()
    pairs = wrap_twin(twins.torch_module, twins.numpy_module).key_pairs()
    for numpy_key, torch_key in pairs:
        value = twins.numpy_module.state_dict()[numpy_key]
        np.testing.assert_allclose(value, trained[torch_key].numpy(), atol=1e-5, err_msg=torch_key)


def test_conv_twins_compute_the_same_weight_gradient():
    twins = conv_twins(2, 3, 4, 6, seed=0)
    twins.run_numpy()
    twins.run_torch()
    np.testing.assert_allclose(
        twins.numpy_module.grads["weight"],
        twins.torch_module.weight.grad.numpy(),
        rtol=1e-4,
        atol=1e-4,
    )
