"""Sweeps beyond one process: Hydra's joblib pool, submitit's local executor, SLURM's job shape."""

from __future__ import annotations

import json
import logging
import os

import hydra
import pytest
from omegaconf import OmegaConf

from labkit import job_pool
from labkit.compose import compose_run_config
from labkit.run_dir_lock import global_rank
from tests.helpers.cli_runner import TINY_ARGS, run_train, summary
from tests.test_report import _wandb_run
from tests.test_startup import run_script

SWEEP = ("-m", *TINY_ARGS, "trainer.max_epochs=1", "optimizer=adam,sgd")


def _jobs(sweep_dir):
    return sorted(p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit())


# Each job records its process and fit interval, holding 3 s at its start.
PROBE = (
    "+callbacks.probe._target_=tests.helpers.launch_probes.RecordJobProcess",
    "+callbacks.probe.out=${paths.output_dir}/process.json",
    "+callbacks.probe.hold_s=3",
)


def _assert_ran_at_once(jobs) -> tuple[dict, dict]:
    """Two jobs ran in two processes of their own, at the same time."""
    a, b = (json.loads((j / "process.json").read_text()) for j in jobs)
    assert a["pid"] != b["pid"] and os.getpid() not in (a["pid"], b["pid"])
    assert a["start"] < b["end"] and b["start"] < a["end"], "the two jobs ran one after the other"
    return a, b


def _report(tmp_path, sweep_dir) -> str:
    result, torch_loaded = run_script("report.py", tmp_path, str(sweep_dir), "--out", "rep")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not torch_loaded
    return (tmp_path / "rep" / "report.md").read_text()


def test_a_joblib_pool_runs_two_jobs_at_once_with_their_records(tmp_path, tiny_data_root):
    args = [a for a in SWEEP if a != "logger=csv"]  # with W&B: each job's run in the sweep's group
    done = run_train(
        tmp_path,
        *args,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=sweep",
        *PROBE,
        labkit_data=tiny_data_root,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = _jobs(tmp_path / "sweep")
    a, b = _assert_ran_at_once(jobs)
    share = job_pool.pool_threads(2, os.cpu_count())
    assert a["threads"] == b["threads"] == share
    assert [summary(j)["status"] for j in jobs] == ["finished", "finished"]
    for job in jobs:
        assert (job / "metrics.csv").is_file() and (job / "plots/curves.png").is_file()
    runs = [_wandb_run(j) for j in jobs]
    assert [r.display_name for r in runs] == ["optimizer=adam", "optimizer=sgd"]
    assert len({r.run_group for r in runs}) == 1
    report = _report(tmp_path, tmp_path / "sweep")
    assert "2 jobs" in report and "2 finished" in report


def test_submitit_local_runs_each_job_in_its_own_process_with_the_same_records(
    tmp_path, tiny_data_root
):
    done = run_train(
        tmp_path,
        *SWEEP,
        "hydra/launcher=submitit_local",
        "hydra.sweep.dir=sweep",
        labkit_data=tiny_data_root,
        timeout=600,
        pythonpath=False,  # started outside the checkout: each job's process must find labkit
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sweep = tmp_path / "sweep"
    jobs = _jobs(sweep)
    assert [summary(j)["status"] for j in jobs] == ["finished", "finished"]
    assert (sweep / ".submitit").is_dir(), "not run through submitit"
    report = _report(tmp_path, sweep)
    assert "2 jobs" in report and "2 finished" in report and ".submitit" not in report


def test_a_job_that_fails_in_the_pool_is_recorded_failed_and_the_sweep_goes_on(
    tmp_path, tiny_data_root
):
    done = run_train(
        tmp_path,
        "-m",
        *TINY_ARGS,
        "trainer.max_epochs=1",
        "model.optimizer.lr=0.002,-1",
        "hydra/launcher=joblib",
        "hydra.sweep.dir=sweep",
        labkit_data=tiny_data_root,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    statuses = [summary(j)["status"] for j in _jobs(tmp_path / "sweep")]
    assert statuses == ["finished", "failed"]


def test_the_optuna_search_runs_its_trials_in_the_pool(tmp_path, tiny_data_root):
    done = run_train(
        tmp_path,
        "experiment=fashion_best",
        "hparams_search=fashion_best_optuna",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.n_jobs=2",
        "hydra.sweeper.sampler.n_startup_trials=2",
        "hydra/launcher=joblib",
        *TINY_ARGS,
        "model.net.channels=[4,4,4]",
        "trainer.max_epochs=1",
        "callbacks.sample_grid=null",
        "hydra.sweep.dir=search",
        *PROBE,
        labkit_data=tiny_data_root,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = _jobs(tmp_path / "search")
    assert [summary(j)["status"] for j in jobs] == ["finished", "finished"]
    _assert_ran_at_once(jobs)
    assert "Optuna's best trial" in _report(tmp_path, tmp_path / "search")


# -- the shares of a pool ------------------------------------------------------------------------
def test_each_job_of_a_pool_gets_an_equal_share_of_the_cores_and_a_gpu_in_turn():
    assert [job_pool.pool_threads(n, 16) for n in (1, 2, 3, 16, 32)] == [16, 8, 5, 1, 1]
    assert [job_pool.pool_gpu(k, 4) for k in range(6)] == [0, 1, 2, 3, 0, 1]


def _pool_job_config(tmp_path, job_num: int, *overrides: str):
    return compose_run_config(["hydra/launcher=joblib", *overrides], tmp_path, job_num=job_num)


def test_a_pool_job_resolves_its_threads_and_its_gpu(tmp_path, monkeypatch):
    monkeypatch.setattr(job_pool.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(job_pool, "gpu_count", lambda: 4)
    cfg = _pool_job_config(tmp_path, 5, "hydra.launcher.n_jobs=4")
    assert cfg.threads == 4
    assert list(cfg.trainer.devices) == [1]
    # Set on the command line, a value wins; DDP's devices are the job's own.
    assert _pool_job_config(tmp_path, 5, "threads=2").threads == 2
    assert _pool_job_config(tmp_path, 5, "trainer=ddp").trainer.devices == 2


def test_outside_a_pool_threads_and_devices_are_the_defaults(tmp_path):
    cfg = compose_run_config([], tmp_path)
    assert cfg.threads is None and cfg.trainer.devices == 1


def test_more_jobs_than_cores_without_a_gpu_warns_what_it_will_do(monkeypatch, caplog):
    from hydra_plugins.labkit_launchers import job_pool_launcher

    monkeypatch.setattr(job_pool_launcher, "gpu_count", lambda: 0)
    cores = os.cpu_count()
    with caplog.at_level(logging.WARNING):
        job_pool_launcher.JoblibPoolLauncher(n_jobs=cores + 2)
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        f"{cores + 2} jobs at once on {cores} cores and no GPU: each job gets 1 thread" in message
    )
    assert f"hydra.launcher.n_jobs={cores}" in message


@pytest.mark.parametrize("n_jobs", ["0", "-1"])
def test_fewer_than_one_job_at_once_is_refused_with_one_message(tmp_path, n_jobs):
    done = run_train(tmp_path, *SWEEP, "hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}")
    assert done.returncode == 2
    assert (
        f"hydra.launcher.n_jobs must be an integer >= 1 (the jobs run at once), got {n_jobs}"
        in (done.stderr)
    )
    assert "Traceback" not in done.stderr


# -- SLURM ----------------------------------------------------------------------------------------
def _slurm_launcher_config(tmp_path, *overrides: str):
    cfg = compose_run_config(["hydra/launcher=submitit_slurm", *overrides], tmp_path)
    return OmegaConf.to_container(cfg.hydra.launcher, resolve=True)


def test_submitit_slurm_asks_for_two_nodes_of_four_tasks_for_ddp_on_four_devices_times_two(
    tmp_path,
):
    ddp = ("trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2")
    launcher = _slurm_launcher_config(tmp_path, *ddp)
    assert (launcher["nodes"], launcher["tasks_per_node"], launcher["gpus_per_node"]) == (2, 4, 4)
    on_cpus = _slurm_launcher_config(tmp_path, *ddp, "trainer.accelerator=cpu")
    assert (on_cpus["nodes"], on_cpus["tasks_per_node"], on_cpus["gpus_per_node"]) == (2, 4, None)
    # What the launcher hands submitit's executor.
    built = hydra.utils.instantiate(
        compose_run_config(["hydra/launcher=submitit_slurm", *ddp], tmp_path).hydra.launcher
    )
    assert (built.params["nodes"], built.params["tasks_per_node"]) == (2, 4)


def test_slurm_partition_and_account_come_from_sbatchs_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("SBATCH_PARTITION", "gpu-long")
    monkeypatch.setenv("SBATCH_ACCOUNT", "lab42")
    monkeypatch.setenv("LABKIT_SLURM_TIMEOUT_MIN", "90")
    launcher = _slurm_launcher_config(tmp_path)
    assert (launcher["partition"], launcher["account"], launcher["timeout_min"]) == (
        "gpu-long",
        "lab42",
        90,
    )


def test_lightning_reads_each_tasks_rank_from_slurms_variables(tmp_path, monkeypatch):
    from pytorch_lightning.plugins.environments import SLURMEnvironment
    from pytorch_lightning.utilities import rank_zero_only

    # The Trainer makes this process rank 5 for every rank-zero-only function: undone after.
    monkeypatch.setattr(rank_zero_only, "rank", rank_zero_only.rank)

    slurm = {
        "SLURM_NTASKS": "8",
        "SLURM_NTASKS_PER_NODE": "4",
        "SLURM_NNODES": "2",
        "SLURM_PROCID": "5",
        "SLURM_LOCALID": "1",
        "SLURM_NODEID": "1",
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NAME": "mnist_mlp",
    }
    for key, value in slurm.items():
        monkeypatch.setenv(key, value)
    cfg = compose_run_config(
        ["trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2", "trainer.accelerator=cpu"],
        tmp_path,
    )
    trainer = hydra.utils.instantiate(cfg.trainer, logger=False, enable_progress_bar=False)
    assert isinstance(trainer.strategy.cluster_environment, SLURMEnvironment)
    assert (trainer.global_rank, trainer.local_rank, trainer.node_rank) == (5, 1, 1)
    assert trainer.world_size == 8
    assert global_rank() == 5, "labkit would lock and record the run dir on a rank other than 0"


def test_submitit_slurm_without_sbatch_says_the_login_node_is_needed(tmp_path, monkeypatch):
    folders = os.environ["PATH"].split(os.pathsep)
    monkeypatch.setenv(
        "PATH", os.pathsep.join(p for p in folders if not os.path.isfile(f"{p}/sbatch"))
    )
    done = run_train(tmp_path, *SWEEP, "hydra/launcher=submitit_slurm", "hydra.sweep.dir=sweep")
    assert done.returncode == 2
    assert "submits each job with sbatch, which is not on this machine" in done.stderr
    assert "login node" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "sweep" / "0").exists(), "a job ran"
