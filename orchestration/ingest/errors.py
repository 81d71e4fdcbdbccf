"""Errors meant for people: they name the file, the line and what was expected."""

from __future__ import annotations


class IngestError(Exception):
    """Base class for every ingest failure a user should read."""


def printable(name: str) -> str:
    """A file name as it can be shown in one line of a terminal or log: control characters
    (newlines, escape sequences a name could carry to forge log lines or recolour a terminal)
    are written as escapes, e.g. ``\\n``; everything else is kept as delivered."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in name)


class FileRejected(IngestError):
    """A whole file cannot be loaded: nothing of it is loaded, and the message says why."""

    def __init__(self, file: str, reason: str, *, line: int | None = None, hint: str | None = None):
        self.file = file
        self.reason = reason
        self.line = line
        self.hint = hint
        where = f"{printable(file)}, line {line}" if line else printable(file)
        text = f"{where}: {reason}"
        if hint:
            text += f"\n  how to fix: {hint}"
        super().__init__(text)


class UnrecognizedFile(FileRejected):
    """No adapter recognised the file's content."""
