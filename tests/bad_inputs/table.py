"""Print the corpus as the Markdown table of docs/reliability.md: ``python -m tests.bad_inputs.table``."""

from __future__ import annotations

from tests.bad_inputs.cases import CASES, Loaded, Rejected, Skipped


def _outcome(o) -> tuple[str, str]:
    if isinstance(o, Rejected):
        return "rejected", "message names the file and says: " + ", ".join(f"`{s}`" for s in o.says)
    if isinstance(o, Skipped):
        return "skipped", o.why
    parts = []
    for one in o if isinstance(o, tuple) else (o,):
        text = f"`raw.{one.table}`: read {one.read}, loaded {one.loaded}"
        if one.quarantined:
            text += f", quarantined {one.quarantined}"
        if one.summary:
            text += f", non-records {one.summary}"
        if one.reasons:
            text += " — reason: " + "; ".join(f"`{r}`" for r in one.reasons[:2])
        if one.note:
            text += f" — manifest: `{one.note}`"
        if one.gx:
            text += f" — then GX `{one.gx[0]}` ({'blocks the build' if one.gx[1] == 'critical' else 'warns'})"
        parts.append(text)
    return ("loaded" if all(not x.quarantined for x in (o if isinstance(o, tuple) else (o,))) else "loaded + quarantined",
            "; ".join(parts))


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("<", "&lt;").replace(">", "&gt;")


def markdown() -> str:
    lines = ["| # | case | bad input | file | outcome | detail | rows lost |", "|---|---|---|---|---|---|---|"]
    for i, case in enumerate(CASES, 1):
        for rel, o in case.expect.items():
            kind, detail = _outcome(o)
            name = rel.replace("\n", "\\n").replace("|", "\\|").replace("`", "\\`")
            lines.append(f"| {i} | `{case.name}` | {_cell(case.what)} | {_cell(name)} | {kind} | {_cell(detail)} | 0 |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
