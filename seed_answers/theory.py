"""Theory answers: the reasoning in docs/theory/, quoted section by section."""

from __future__ import annotations

import re

from seed_answers.studies import ROOT

THEORY_DIR = ROOT / "docs" / "theory"


def theory_section(file: str, heading: str | None = None) -> str:
    """The text of ``docs/theory/<file>`` (one ``## heading`` section of it, if named).

    The page then carries the argument itself; the file is where it is written and reviewed.
    """
    text = (THEORY_DIR / file).read_text()
    if heading is None:
        body = text.split("\n", 1)[1] if text.startswith("#") else text
        # Its sections sit under the page's question heading: one level below it.
        return re.sub(r"^(#+) ", lambda m: "##" + m.group(1) + " ", body.strip(), flags=re.M)
    parts = re.split(r"^## ", text, flags=re.M)
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        if title.strip().startswith(heading):
            return body.strip()
    raise KeyError(f"docs/theory/{file} has no section '## {heading}'")
