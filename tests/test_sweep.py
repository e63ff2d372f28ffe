"""A Hydra sweep (-m): one run dir per job, config groups swapped per job, one W&B group."""

import yaml

from tests.helpers.cli_runner import TINY_ARGS, run_train


def test_sweep_jobs_get_their_own_dirs_and_share_one_wandb_group(tmp_path, tiny_data_root):
    result = run_train(
        tmp_path,
        "-m",
        *[a for a in TINY_ARGS if a != "logger=csv"],
        "trainer.max_epochs=1",
        "optimizer=sgd_nesterov,adam",
        "hydra.sweep.dir=sweep",
        labkit_data=tiny_data_root,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = sorted((tmp_path / "sweep").glob("[0-9]"))
    assert [j.name for j in jobs] == ["0", "1"]
    configs = [yaml.safe_load((j / ".hydra" / "config.yaml").read_text()) for j in jobs]
    optimizers = [c["model"]["optimizer"] for c in configs]
    assert [o["_target_"] for o in optimizers] == ["torch.optim.SGD", "torch.optim.Adam"]
    assert optimizers[0]["nesterov"] is True and "nesterov" not in optimizers[1]
    for job in jobs:
        assert (job / "summary.json").is_file()
        (record,) = (job / "wandb").glob("offline-run-*/run-*.wandb")
        # The group (task name + sweep dir) is in the record that `wandb sync` uploads.
        assert b"mnist_mlp-sweep" in record.read_bytes(), f"job {job.name} not in the sweep's group"
