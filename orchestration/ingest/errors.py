"""Errors meant for people: they name the file, the line and what was expected."""

from __future__ import annotations


class IngestError(Exception):
    """Base class for every ingest failure a user should read."""


class FileRejected(IngestError):
    """A whole file cannot be loaded: nothing of it is loaded, and the message says why."""

    def __init__(self, file: str, reason: str, *, line: int | None = None, hint: str | None = None):
        self.file = file
        self.reason = reason
        self.line = line
        self.hint = hint
        where = f"{file}, line {line}" if line else file
        text = f"{where}: {reason}"
        if hint:
            text += f"\n  how to fix: {hint}"
        super().__init__(text)


class UnrecognizedFile(FileRejected):
    """No adapter recognised the file's content."""
