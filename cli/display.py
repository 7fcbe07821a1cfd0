"""How the read commands show values to people: clock names, yes/no decisions in words,
London local times, clock notes. JSON output keeps the stored values and ids."""

from __future__ import annotations

import click

# How a yes/no decision reads, in the words of the paragraph that asks it; `threshold-
# decided` already reads "met"/"not met" (projections/case_view.py).
_YES_NO: dict[str, tuple[str, str]] = {
    # §8.10-8.11, §9.5 (2020-03): the Panel decides "whether ... to undertake a national review"
    "national-panel-decided": ("national review: yes (the Panel will undertake one)",
                               "national review: no (the Panel will not undertake one)"),
    # §14.6-14.7 (2020-03): the partners approve the L&D sub-group's learning route or not
    "learning-route-approved": ("approved", "not approved"),
}


def outcome(row: dict) -> str:
    value = row.get("outcome")
    if isinstance(value, bool):
        yes, no = _YES_NO.get(row.get("decision", ""), ("yes", "no"))
        return yes if value else no
    if isinstance(value, list):  # e.g. a delay notice's recipients (issue 11 item 12)
        return ", ".join(map(str, value))
    return "-" if value is None else str(value)


def named(rows: list[dict]) -> list[dict]:
    """Each clock row with the name the compliance report uses beside its id."""
    from jobs.clock_names import clock_label

    return [{**r, "name": clock_label(r["clock"])} for r in rows]


def london_time(stored: str) -> tuple[str, str]:
    """A stored chronology time (UTC, ...Z) as London local time: ISO with its offset
    (for JSON) and as people read it (24-hour, GMT/BST). A value that does not parse is
    shown as stored: an old event must still display."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(stored)
    except (TypeError, ValueError):
        return stored, stored
    if moment.tzinfo is None:
        return stored, stored
    london = ZoneInfo("Europe/London")
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    wall = moment.astimezone(london).replace(tzinfo=None)
    # In the hour the clocks go back the wall time alone is two instants; the fold whose
    # offset matches the stored instant says which (BST, then GMT), whatever datetime
    # subclass (freezegun's) dropped the fold on the way.
    local = next(c for c in (wall.replace(tzinfo=london, fold=f) for f in (0, 1))
                 if c.utcoffset() == wall - utc)
    seconds = ":%S" if local.second or local.microsecond else ""
    return local.isoformat(), local.strftime(f"%Y-%m-%d %H:%M{seconds} %Z")


def note(row: dict) -> str:
    notes = []
    if row.get("start_assumed"):
        notes.append(f"start assumed: {row['start_assumed']}")
    if row.get("recorded_late"):
        notes.append("met, recorded late")
    if row.get("breach_superseded"):
        notes.append("breach alert superseded")
    if row.get("original_due_on") and row["original_due_on"] != row["due_on"]:
        notes.append(f"originally due {row['original_due_on']}")
    return "; ".join(notes)


def read_only_note(text: str | None) -> None:
    """On a read-only copy (a replica), how far the read models reach: on stderr, so the
    answer on stdout, and its --json shape (CLI.md), stay as they are."""
    if text:
        click.echo(f"note: {text}", err=True)


def one_line(value: object, limit: int = 300) -> str:
    """Stored free text on one terminal line: control characters (a newline, an escape
    sequence) shown as spaces, long text cut with an ellipsis. An old event must still
    display without breaking the table or the terminal around it."""
    text = "".join(" " if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in str(value))
    return text if len(text) <= limit else text[:limit] + "..."


def publication_delay_lines(flag: dict) -> list[str]:
    """§19.1 (issue 11): the flag for a planned publication after the due date."""
    lines = [f"publication planned for {flag['planned_on']}, after the {flag['paragraph']} "
             f"due date {flag['due_on']} (six months from the decision to initiate)"]
    if flag.get("start_assumed"):
        lines.append(f"  start assumed: {flag['start_assumed']}")
    for r in flag["reasons"]:
        to = ", ".join(r.get("recipients") or []) or "-"
        lines.append(f"  reason for delay notified on {r['on']} to {one_line(to)}: "
                     f"{one_line(r.get('reason'))}")
    if not flag["reasons"]:
        lines.append("  no reason for delay notified to the National Panel and the "
                     "Secretary of State (record publication-delay-notified)")
    return lines
