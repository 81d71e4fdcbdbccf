"""Finding delivered files safely and reading their first lines in the right encoding.

Why this is its own module: everything an adapter decides (which vendor, which table, where the
header starts) rests on decoding the first lines correctly, and everything the loader reads must
stay inside the landing folder whatever names or symlinks a delivery contains.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.ingest.errors import FileRejected, printable

# Suffixes of files still being written by browsers, sync tools or editors.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".filepart", ".swp", "~")
SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
HEAD_BYTES = 256 * 1024


def discover_files(landing_dir: Path) -> list[Path]:
    """Every delivered file under ``landing_dir``, sorted, skipping hidden and partial files.

    Symlinks are followed only when their target stays inside the landing folder; a link that
    points outside is rejected later with a clear error rather than silently read. A link to a
    folder is not walked: one that points inside the landing folder is skipped (its files are
    read where they really are), one that points outside is listed so that it is rejected —
    a delivery is never dropped without a word.
    """
    landing_dir = landing_dir.resolve()
    if not landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder {landing_dir} does not exist or is not a folder")
    found: list[Path] = []
    for root, dirs, files in os.walk(landing_dir, followlinks=False):
        visible = sorted(d for d in dirs if not d.startswith((".", "_")))
        links = [Path(root) / d for d in visible if (Path(root) / d).is_symlink()]
        dirs[:] = [d for d in visible if Path(root) / d not in links]
        found.extend(link for link in links if not _links_inside(link, landing_dir))
        for name in sorted(files):
            if name.startswith((".", "~$")) or name.lower().endswith(PARTIAL_SUFFIXES):
                continue
            found.append(Path(root) / name)
    return found


def _links_inside(link: Path, root: Path) -> bool:
    try:
        return link.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def confine(path: Path, landing_dir: Path, relpath: str | None = None) -> Path:
    """Resolve ``path`` and refuse it unless it is a regular file inside ``landing_dir`` (symlinks included).

    Refused, each with a :class:`FileRejected` naming the file: links that leave the landing
    folder (``../../x.csv``, absolute targets), links to folders outside it, link loops, dangling
    links, and anything that is not a regular file (a named pipe would block the reader forever).
    """
    shown = relpath or path.name
    root = landing_dir.resolve()
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise FileRejected(shown, f"cannot be resolved ({exc}); it is a symbolic link that points at itself "
                           "or into a loop", hint="replace the link by the file it should point to") from None
    if not real.is_relative_to(root):
        raise FileRejected(shown, f"resolves to {printable(str(real))}, outside the landing folder {root}; "
                           "symlinks and '..' names must stay inside the landing folder",
                           hint="copy the file into the landing folder instead of linking to it")
    if path.is_symlink() and not real.exists():
        raise FileRejected(shown, f"is a symbolic link to {printable(str(real))}, which does not exist",
                           hint="remove the broken link or deliver the file it points to")
    if real.is_dir():
        raise FileRejected(shown, "is a link to a folder; links to folders are not followed",
                           hint="move the files into the landing folder")
    if not real.is_file():
        raise FileRejected(shown, "is not a regular file (a pipe, socket or device); expected a CSV/TSV export or XLSX",
                           hint="deliver exports as ordinary files")
    return real


def sha256_of(path: Path, chunk: int = 8 * 1024 * 1024) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bom(head: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    return None


def _looks_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text has a zero in every other byte."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_zero = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_zero = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_zero > 0.3 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.3 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def _decodes(head: bytes, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        dec.decode(head, final=False)  # a multi-byte char cut at the sample's end is fine
        return True
    except UnicodeDecodeError:
        return False


def _gb_pairs_ratio(head: bytes) -> float:
    """Share of high-byte pairs that fall in the GB2312 block (both bytes 0xA1-0xFE).

    Chinese text in GBK is almost entirely GB2312 characters; Latin-1 text with accents ("ó"
    followed by "n") also decodes as GBK, but its pairs have an ASCII trail byte. This ratio
    tells them apart instead of trusting that the bytes happen to decode.
    """
    pairs = good = 0
    i, n = 0, len(head)
    while i < n - 1:
        b = head[i]
        if b >= 0x81:
            pairs += 1
            if 0xA1 <= b <= 0xFE and 0xA1 <= head[i + 1] <= 0xFE:
                good += 1
            i += 2
        else:
            i += 1
    return good / pairs if pairs else 0.0


def _mixed_utf8(head: bytes) -> bool:
    """UTF-8 with some lines in another encoding (a cp1252 line pasted into a UTF-8 export).

    True when some non-ASCII lines are valid UTF-8 and the others do not look like GBK: the
    transcoder then keeps the UTF-8 lines and reads only the broken lines as cp1252, instead of
    decoding the whole file as cp1252 and garbling every correct line.
    """
    lines = head.split(b"\n")[:-1] or [head]  # the last piece may be cut mid-line
    good = [ln for ln in lines if max(ln, default=0) >= 0x80 and _decodes(ln, "utf-8")]
    bad = [ln for ln in lines if max(ln, default=0) >= 0x80 and not _decodes(ln, "utf-8")]
    return bool(good) and bool(bad) and _gb_pairs_ratio(b"\n".join(bad)) < 0.9


# Declared encodings are read as their supersets: a GBK export with one rare character outside
# GBK still decodes, and "ISO-8859-1" exports from Windows carry cp1252 quotes and dashes.
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "iso8859-1": "cp1252"}


def detect_encoding(head: bytes, declared: str | None = None) -> str:
    """Decide the encoding of a file from its first bytes; never silently guess wrong.

    Order: BOM, UTF-16 without BOM, strict UTF-8, UTF-8 with a few foreign lines, GB18030 when
    the high bytes form GB2312 pairs, cp1252 (a superset of ISO-8859-1 for printable text).
    ``declared`` (from a mapping file) wins only if the bytes actually decode in it, so a UTF-8
    file declared as GBK is still read right.
    """
    bom = _bom(head)
    if bom:
        return bom[0]
    if declared:
        norm = codecs.lookup(declared).name
        norm = _SUPERSETS.get(norm, norm)
        if _decodes(head, norm) and not (norm != "utf-8" and _decodes(head, "utf-8") and any(b >= 0x80 for b in head)):
            return norm
    utf16 = _looks_utf16(head)
    if utf16:
        return utf16
    if _decodes(head, "utf-8") or _mixed_utf8(head):
        return "utf-8"
    if _decodes(head, "gb18030") and _gb_pairs_ratio(head) >= 0.9:
        return "gb18030"
    if _decodes(head, "cp1252"):
        return "cp1252"
    return "latin-1"


@dataclass
class FileSample:
    """The first lines of a delivered file, decoded, for adapters to recognise it by content."""

    path: Path
    relpath: str
    encoding: str
    lines: list[str] = field(default_factory=list)
    is_binary: bool = False
    kind: str = "text"  # text | xlsx | zip | empty

    @property
    def name(self) -> str:
        return self.path.name


def sample_file(path: Path, relpath: str, declared_encoding: str | None = None, max_lines: int = 40) -> FileSample:
    """Read the head of a file: detect zip/xlsx/binary/empty, decode the first lines."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if not head.strip():
        return FileSample(path, relpath, "utf-8", [], kind="empty")
    if head.startswith(b"PK\x03\x04"):
        kind = "xlsx" if b"xl/" in head[:4096] or b"[Content_Types].xml" in head[:4096] else "zip"
        return FileSample(path, relpath, "binary", [], is_binary=True, kind=kind)
    encoding = detect_encoding(head, declared_encoding)
    bom = _bom(head)
    body = head[bom[1]:] if bom else head
    text = codecs.getincrementaldecoder(encoding.replace("-sig", ""))(errors="replace").decode(body, final=False)
    if "\x00" in text or _control_ratio(text) > 0.05:
        return FileSample(path, relpath, encoding, [], is_binary=True, kind="binary")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:max_lines]
    return FileSample(path, relpath, encoding, lines)


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\x0c")
    return bad / len(sample)
