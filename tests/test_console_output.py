"""What a default run prints: at most 40 lines, none of them known noise, one results table."""

from __future__ import annotations

from tests.helpers.cli_runner import run_train

# Lines a run printed before they were silenced, each with where it came from.
NOISE = {
    "litlogger": "Lightning's advert for its cloud logger",
    "litmodels": "Lightning's advert for its model registry",
    "TPU available": "Lightning's line saying the machine has no TPU",
    "FLOPs": "Lightning's model summary, a FLOPs column of zeros",
    "anonymous setting": "wandb's warning about the anonymous=None Lightning passes",
    "environment variables will be ignored": "wandb's warning about WANDB_MODE set after setup",
    "Run history": "W&B's footer (history and summary)",
    "Test metric": "Lightning's test table, a second copy of the results",
    "weights_only": "Lightning's note that trainer.save_checkpoint got no weights_only",
    "Traceback": "an error",
}
MAX_LINES = 40


def test_a_default_run_prints_a_short_console_without_known_noise(tmp_path, tiny_data_root):
    run = run_train(
        tmp_path,
        "data.val_size=100",
        "data.eval_batch_size=50",
        "data.batch_size=32",
        "trainer.max_epochs=1",
        f"hydra.run.dir={tmp_path / 'run'}",
        labkit_data=tiny_data_root,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = (run.stdout + run.stderr).splitlines()
    console = "\n".join(lines)
    assert len(lines) <= MAX_LINES, f"{len(lines)} lines, at most {MAX_LINES}:\n{console}"
    for text, source in NOISE.items():
        assert text not in console, f"{source} is back:\n{console}"
    assert sum("test/acc" in line for line in lines) == 1, f"one results table:\n{console}"
    assert any(line.startswith("Epoch 0/0") for line in lines), f"no progress bar:\n{console}"
    assert any("MLP: 50,890 parameters" in line for line in lines), "the parameter count line"
