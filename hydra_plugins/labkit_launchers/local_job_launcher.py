"""submitit's local executor for Hydra, with the labkit checkout importable in each job's process."""

from __future__ import annotations

from hydra_plugins.hydra_submitit_launcher.submitit_launcher import LocalLauncher

from labkit.slurm_jobs import make_checkout_importable


class LocalJobLauncher(LocalLauncher):
    """Hydra's ``submitit_local`` launcher; its jobs import labkit from wherever the sweep starts."""

    def launch(self, job_overrides, initial_job_idx):
        make_checkout_importable()
        return super().launch(job_overrides, initial_job_idx)
