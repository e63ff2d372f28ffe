"""Answers to the seed assignments: ``python answers.py profile=<quick|cpu|full>``.

Runs (or reuses) the studies that answer every seed question, keeps each finished study's record
under ``docs/answers/runs/``, and renders ``docs/answers/seed_000.md`` ... ``seed_004.md`` from
``answers.json``. ``render_only=true`` re-renders the pages without running anything.
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import run_checked, skip_garbage_collection_at_exit
from labkit.help import answer_help
from labkit.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="answers")
def main(cfg: DictConfig) -> None:
    run_checked(cfg, entry="answers", task="seed_answers.run.run_answers")


if __name__ == "__main__":
    if not answer_help(Path(__file__).parent / "configs", "answers"):
        main()
    skip_garbage_collection_at_exit()
