"""Writes Tally form-response exports: one CSV per form, as Tally's 'Download CSV' produces.

Columns: Submission ID, Respondent ID, Submitted at (UTC), the question titles, then the hidden
fields. Submissions are written as leads arrive, so rows are roughly, not strictly, in time order.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from .fmt import dt
from .ids import ShortIds
from .model import Lead, Submission
from .submissions import FORMS, UTM_KEYS

QUESTIONS = ("Full name", "Work email", "Phone number", "Company", "How can we help?")
HEADER = ("Submission ID", "Respondent ID", "Submitted at", *QUESTIONS, *UTM_KEYS, "landing_page")


class TallyExport:
    def __init__(self, folder: Path, seed: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, IO[str]] = {}
        self._writers = {}
        self.rows: dict[str, int] = {}
        for form in FORMS:
            f = open(folder / f"tally_{form}.csv", "w", encoding="utf-8", newline="")
            self._files[form] = f
            self._writers[form] = csv.writer(f, lineterminator="\n")
            self._writers[form].writerow(HEADER)
            self.rows[form] = 0
        self._submission_ids = ShortIds("tally-submission", seed)
        self._respondent_ids = ShortIds("tally-respondent", seed)

    def __enter__(self) -> "TallyExport":
        return self

    def __exit__(self, *exc: object) -> None:
        for f in self._files.values():
            f.close()

    def write_lead(self, lead: Lead) -> list[Submission]:
        """Write the lead's own submission and its channel's non-converting ones; return them all."""
        subs = ([lead.submission] if lead.submission else []) + lead.other_submissions
        for s in subs:
            self._writers[s.form].writerow([self._submission_ids.next(), self._respondent_ids.next(), dt(s.ts),
                                            s.name, s.email, s.phone, s.company, s.help_text,
                                            *(s.utm[k] for k in UTM_KEYS), s.landing_page])
            self.rows[s.form] += 1
        return subs
