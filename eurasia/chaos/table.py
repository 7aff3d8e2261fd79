"""The table `make chaos` prints, and the copy of it kept in README.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

BEGIN = "<!-- chaos-table:begin -->"
END = "<!-- chaos-table:end -->"
MESSAGE_WIDTH = 200


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "**no**")


def render(outcomes, years: str, seconds: float) -> str:
    lines = [
        f"`make chaos`, years {years}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{seconds / 60:.1f} min",
        "",
        "| fault class | runs | recovered | stopped cleanly | rows lost | rows duplicated "
        "| wrong rows published | message shown |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        name = o.fault.name + (" (pending)" if o.fault.pending else "")
        message = o.message.replace("|", "\\|")
        if len(message) > MESSAGE_WIDTH:
            message = message[: MESSAGE_WIDTH - 1] + "…"
        lines.append(
            f"| {name} | {len(o.runs)} | {_yes_no(o.recovered)} | {_yes_no(o.stopped_cleanly)} "
            f"| {o.difference.lost} | {o.difference.duplicated} | {o.difference.wrong} "
            f"| {message} |"
        )
    return "\n".join(lines)


def update_readme(readme: Path, table: str) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme} has no {BEGIN} ... {END} section for the chaos table")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
