"""Stream a delivered file into UTF-8 so DuckDB can read it, in bounded memory.

DuckDB's CSV reader only decodes UTF-8/UTF-16/Latin-1 without network extensions, and real exports
arrive as GBK, cp1252, UTF-16 with tabs, or UTF-8 with a few cp1252 lines pasted in. We convert in
chunks (never the whole file in memory) and count lines that needed a fallback decoding, so a
mixed-encoding file is read correctly *and* reported.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.ingest.files import _gb_pairs_ratio

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


def _fallback_for(line: bytes) -> str:
    """The encoding of one line that is not UTF-8: GB18030 when its high bytes pair up as Chinese
    (GB2312 block) and it decodes, else cp1252 — the same test ``detect_encoding`` applies to the
    head, here per line, because a file's first 256 KB may be ASCII and its Chinese rows later."""
    try:
        line.decode("gb18030")
    except UnicodeDecodeError:
        return "cp1252"
    return "gb18030" if _gb_pairs_ratio(line) >= 0.9 else "cp1252"


def _mixed_to_utf8(path: Path, dest: Path) -> dict[str, int]:
    """Rewrite a mostly-UTF-8 file line by line; lines that are not UTF-8 are decoded as GB18030
    or cp1252 (see ``_fallback_for``). Returns how many lines each fallback read."""
    fixed: dict[str, int] = {}
    with open(path, "rb") as src, open(dest, "wb") as out:
        for raw in src:
            try:
                raw.decode("utf-8")
                out.write(raw)
            except UnicodeDecodeError:
                fallback = _fallback_for(raw)
                fixed[fallback] = fixed.get(fallback, 0) + 1
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


_OUTSIDE_EOL = re.compile(rb"\r\n?")
_ANY_EOL = re.compile(rb"\r\n|\r|\n")


def _mixed_line_ends(path: Path) -> bool:
    """True when the file uses more than one of CRLF, LF and CR to end lines.

    Counted over the whole file, quoted values included, so a CRLF export whose multi-line
    values hold bare LFs counts as mixed too: rewriting it (below) changes nothing it holds.
    """
    crlf = lf = cr = 0
    prev_cr = False
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            n = block.count(b"\r\n")
            crlf, lf, cr = crlf + n, lf + block.count(b"\n") - n, cr + block.count(b"\r") - n
            if prev_cr and block.startswith(b"\n"):  # a CRLF split between two blocks
                crlf, lf, cr = crlf + 1, lf - 1, cr - 1
            prev_cr = block.endswith(b"\r")
    return (crlf > 0) + (lf > 0) + (cr > 0) > 1


def _normalize_line_ends(src: Path, dest: Path) -> bool:
    """Copy ``src`` with every line end *outside quotes* written as LF; quoted values are kept byte for byte.

    Returns whether the line ends outside quotes were really of more than one kind (if not, the
    copy is identical in meaning and the caller keeps the original).

    DuckDB's CSV reader takes the line end of the first line for the whole file: after a switch
    from CRLF to LF (two exports concatenated, a header retyped in an editor) it reads the rest
    as one malformed record or refuses the file. The quote state is tracked across blocks by
    counting '"' (an escaped quote is two, so it does not flip the state).
    """
    in_quotes = False
    carry = b""
    kinds: set[bytes] = set()
    with open(src, "rb") as f, open(dest, "wb") as out:
        while True:
            block = f.read(CHUNK)
            data = carry + block
            carry = b""
            if block and data.endswith(b"\r"):  # its LF may start the next block
                data, carry = data[:-1], b"\r"
            parts = data.split(b'"')
            for i, part in enumerate(parts):
                if not in_quotes:
                    kinds.update(_ANY_EOL.findall(part))
                    parts[i] = _OUTSIDE_EOL.sub(b"\n", part)
                if i < len(parts) - 1:
                    in_quotes = not in_quotes
            out.write(b'"'.join(parts))
            if not block:
                break
    return len(kinds) > 1


@dataclass
class Transcoded:
    """The UTF-8 file DuckDB reads, and what was done to get it (for the manifest message)."""

    path: Path
    fallback_lines: dict[str, int] = field(default_factory=dict)  # {"cp1252": 2}: lines read in a fallback
    line_ends_normalized: bool = False


def to_utf8(path: Path, encoding: str, workdir: Path) -> Transcoded:
    """A UTF-8 file with one kind of line end for ``path`` (``path`` itself when it already is one).

    Raises UnicodeDecodeError (with position) when a file in a declared single encoding has bytes
    that are not valid in it; the caller turns that into a file-level error naming the file.
    """
    enc = codecs.lookup(encoding).name
    result = Transcoded(path)
    if enc in ("utf-8", "utf-8-sig"):
        if not _valid_utf8(path):
            result.path = workdir / (path.name + ".utf8")
            result.fallback_lines = _mixed_to_utf8(path, result.path)
    else:
        result.path = workdir / (path.name + ".utf8")
        _recode(path, result.path, enc)
    if _mixed_line_ends(result.path):
        normalized = workdir / (path.name + ".eol")
        if _normalize_line_ends(result.path, normalized):
            if result.path != path:
                result.path.unlink()
            result.path, result.line_ends_normalized = normalized, True
        else:  # only quoted values hold other line ends: the file is fine as it is
            normalized.unlink()
    return result
