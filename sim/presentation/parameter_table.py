"""The parameter table of docs/model.md, generated from `sim.model.parameters` so it cannot drift.

    python -m sim.presentation.parameter_table docs/model.md     # rewrite the table between the markers
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from sim.model.parameters import describe_allowed, parameter_fields

START = "<!-- parameter-table:start -->"
END = "<!-- parameter-table:end -->"
KINDS = ("lever", "uncertainty", "setting")


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(_text(item) for item in value) if value else "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:g}" if isinstance(value, float) else str(value)


def markdown_table() -> str:
    """One Markdown table per kind (levers, uncertainties, settings): name, default, unit, range, source."""
    parts = []
    for kind in KINDS:
        rows = [f for f in parameter_fields() if f.metadata["kind"] == kind]
        parts.append(f"**{kind.capitalize()}s** ({len(rows)})\n")
        parts.append("| parameter | default | allowed | source |")
        parts.append("|---|---|---|---|")
        for f in rows:
            source = f.metadata["source"].replace("|", "\\|")
            parts.append(f"| `{f.name}` | {_text(f.default)} | {describe_allowed(f)} | {source} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def update_document(path: Path) -> bool:
    """Replace the table between the markers in `path`; return whether the file changed."""
    text = path.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    updated = f"{before}{START}\n{markdown_table()}{END}{after}"
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


def main() -> None:
    for name in sys.argv[1:] or ["docs/model.md"]:
        changed = update_document(Path(name))
        print(f"{name}: {'updated' if changed else 'already up to date'}")


if __name__ == "__main__":
    main()
