"""Stream a delivered file into UTF-8 so DuckDB can read it, in bounded memory.

DuckDB's CSV reader only decodes UTF-8/UTF-16/Latin-1 without network extensions, and real exports
arrive as GBK, cp1252, UTF-16 with tabs, or UTF-8 with a few cp1252 lines pasted in. We convert in
chunks (never the whole file in memory) and count lines that needed a fallback decoding, so a
mixed-encoding file is read correctly *and* reported.
"""

from __future__ import annotations

import codecs
from pathlib import Path

CHUNK = 16 * 1024 * 1024


def _valid_utf8(path: Path) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")(errors="strict")
    with open(path, "rb") as f:
        try:
            while block := f.read(CHUNK):
                dec.decode(block, final=False)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _mixed_to_utf8(path: Path, dest: Path, fallback: str = "cp1252") -> int:
    """Rewrite a mostly-UTF-8 file line by line; lines that are not UTF-8 decode as ``fallback``."""
    fixed = 0
    with open(path, "rb") as src, open(dest, "wb") as out:
        for raw in src:
            try:
                raw.decode("utf-8")
                out.write(raw)
            except UnicodeDecodeError:
                fixed += 1
                out.write(raw.decode(fallback, errors="replace").encode("utf-8"))
    return fixed


def _recode(path: Path, dest: Path, encoding: str) -> None:
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    with open(path, "rb") as src, open(dest, "w", encoding="utf-8", newline="") as out:
        first = True
        while block := src.read(CHUNK):
            text = dec.decode(block, final=False)
            if first:
                text = text.lstrip("\ufeff")
                first = False
            out.write(text)
        out.write(dec.decode(b"", final=True))


def to_utf8(path: Path, encoding: str, workdir: Path) -> tuple[Path, int]:
    """Return a UTF-8 path for ``path`` (itself when already valid) and the count of fixed lines.

    Raises UnicodeDecodeError (with position) when a file in a declared single encoding has bytes
    that are not valid in it; the caller turns that into a file-level error naming the file.
    """
    enc = codecs.lookup(encoding).name
    if enc in ("utf-8", "utf-8-sig"):
        if _valid_utf8(path):
            return path, 0
        dest = workdir / (path.name + ".utf8")
        return dest, _mixed_to_utf8(path, dest)
    dest = workdir / (path.name + ".utf8")
    _recode(path, dest, enc)
    return dest, 0
