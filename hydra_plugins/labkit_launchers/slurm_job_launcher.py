"""Hydra's submitit SLURM launcher, checking first that ``sbatch`` is there to submit with."""

from __future__ import annotations

import shutil

from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher

from labkit.entry import refuse
from labkit.slurm_jobs import make_checkout_importable


class SlurmJobLauncher(SlurmLauncher):
    """Hydra's submitit SLURM launcher, which first checks that ``sbatch`` is there to submit with."""

    def launch(self, job_overrides, initial_job_idx):
        if shutil.which("sbatch") is None:
            refuse(
                "hydra/launcher=submitit_slurm submits each job with sbatch, which is not on this "
                "machine. Run the sweep on the cluster's login node (where sbatch is), or run it "
                "here with hydra/launcher=joblib (a local pool) or hydra/launcher=submitit_local."
            )
        make_checkout_importable()
        return super().launch(job_overrides, initial_job_idx)
