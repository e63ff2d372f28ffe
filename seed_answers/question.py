"""A seed's question, the answer built from study records, and the facts it reads them through."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seed_answers.records import Record, read_study

STATUSES = ("answered", "theory", "needs-gpu", "not-run")


class MissingStudy(LookupError):
    """A question needs a study that has no finished record in this profile yet."""


@dataclass
class Answer:
    """What a question's function returns.

    ``text``: sentences generated from ``values`` (never typed figures); ``figures``: record
    files (``Path``) the page shows; ``status``: ``answered`` or ``theory``.
    """

    text: str
    values: dict[str, Any] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    status: str = "answered"


@dataclass(frozen=True)
class Question:
    """``id``: ``<seed>-<item>``; ``studies``: the records ``answer`` reads."""

    id: str
    question: str
    studies: Sequence[str]
    answer: Callable[[Facts], Answer]
    needs_gpu_at_full_scale: bool = False


class Facts:
    """Access to the records of one output root (``<out_dir>/runs/<study>/``)."""

    def __init__(self, out_dir: Path, profile: str) -> None:
        self.out_dir, self.profile = out_dir, profile

    def record(self, name: str) -> Record:
        folder = self.out_dir / "runs" / name
        if read_study(folder) is None:
            raise MissingStudy(name)
        return Record(folder, self.out_dir)


def seed_of(question_id: str) -> str:
    return question_id.split("-", 1)[0]
