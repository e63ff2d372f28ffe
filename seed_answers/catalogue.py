"""Every seed question, in page order."""

from __future__ import annotations

from seed_answers import seed_000, seed_001, seed_002, seed_003, seed_004
from seed_answers.question import Question

QUESTIONS: list[Question] = [
    *seed_000.QUESTIONS,
    *seed_001.QUESTIONS,
    *seed_002.QUESTIONS,
    *seed_003.QUESTIONS,
    *seed_004.QUESTIONS,
]
