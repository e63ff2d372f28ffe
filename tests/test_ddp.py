"""Real multi-process DDP (two CPU processes over gloo), launched by Lightning as on a GPU node."""

import pytest

from tests.helpers.cli_runner import TINY_ARGS, run_train, summary

# 500 training images: batch 32 on one process == batch 16 on each of two ranks, the same global
# batches in the same order (rank r takes positions r, r+2, ... of each epoch's permutation).
COMMON = (*TINY_ARGS, "trainer.max_epochs=2", "trainer.accelerator=cpu")


def test_two_process_ddp_matches_a_single_process_run_over_the_same_global_batches(
    tmp_path, tiny_data_root
):
    single = run_train(tmp_path, *COMMON, "hydra.run.dir=single", labkit_data=tiny_data_root)
    assert single.returncode == 0, single.stderr[-3000:]
    ddp = run_train(
        tmp_path,
        *COMMON,
        "trainer=ddp",
        "trainer.devices=2",
        "data.batch_size=16",
        "hydra.run.dir=ddp",
        labkit_data=tiny_data_root,
    )
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    assert "Initializing distributed: GLOBAL_RANK: 1, MEMBER: 2/2" in ddp.stderr + ddp.stdout
    one, two = summary(tmp_path / "single"), summary(tmp_path / "ddp")
    # Gradients are averaged in another order across processes: equal up to float32 rounding.
    assert two["test/acc"] == pytest.approx(one["test/acc"], abs=1e-6)
    assert two["test/loss"] == pytest.approx(one["test/loss"], rel=1e-5)
    # One run dir: rank 1 wrote no second Hydra output dir, and checkpoints exist once.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp", "single"]
    assert (tmp_path / "ddp/checkpoints/best.ckpt").is_file()
