"""Keep a connection URL's secrets out of every message we log or raise.

A Postgres URL carries the password, and libpq echoes the connection string back in some parse
errors (``missing "=" after "…" in connection info string``). Every error message that leaves the
Postgres publisher therefore goes through :func:`redact`, which removes the whole URL and the
password in each spelling it can appear in (as written, percent-decoded, percent-encoded).
"""

from __future__ import annotations

import re
import urllib.parse

MASK = "***"
_URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]*)@")
_KEYWORD_PASSWORD = re.compile(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")


def secrets_of(url: str) -> set[str]:
    """The strings that must never be shown: the URL itself and its password, in every spelling."""
    found = {url}
    candidates: set[str] = set()
    try:
        from psycopg.conninfo import conninfo_to_dict

        password = conninfo_to_dict(url).get("password")
        if password:
            candidates.add(str(password))
    except Exception:  # a malformed URL still has to be masked
        pass
    candidates.update(m.group(1) for m in _URL_PASSWORD.finditer(url))
    candidates.update(m.group(1).strip("'") for m in _KEYWORD_PASSWORD.finditer(url))
    for c in list(candidates):
        candidates.update({urllib.parse.unquote(c), urllib.parse.quote(c, safe=""), urllib.parse.quote_plus(c)})
    found.update(c for c in candidates if c)
    return found


def redact(text: str, url: str | None) -> str:
    """``text`` with the URL and its password replaced by ``***`` (longest first, so no piece survives)."""
    if not url:
        return text
    for secret in sorted(secrets_of(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
