"""How `case show` and `case history` show joint decisions' signatures (issue 11 items 7
and 12): who signed, in which role, with which key, when, and who has still to sign."""

from __future__ import annotations

from typing import Any

from cli.display import one_line as _line, outcome


def one_line(value: object) -> str:
    # The trail is evidence: the whole reason is shown, only on one line (control
    # characters as spaces), never cut short.
    return _line(value, limit=10 ** 7)


def awaiting_lines(rows: list[dict[str, Any]]) -> list[str]:
    """`case show`: each decision still awaiting a co-signature."""
    lines = []
    for r in rows:
        flag = f"; {r['note']}" if r.get("note") else ""
        lines.append(f"  #{r['position']} {r['decision']} (occurred {r['occurred_at'][:10]}, "
                     f"recorded on {r['recorded_on']}): signed by "
                     f"{', '.join(r['signed_by'])}; still to sign: "
                     f"{', '.join(r['still_to_sign'])}; due {r['due_on']}{flag}")
    return lines


def _roles(roles: list[str] | None) -> str:
    return ", ".join(roles or []) or "no role that may record it"


def trail_lines(r: dict[str, Any]) -> list[str]:
    """`case history`: one decision's lines after its outcome and rationale."""
    text = outcome(r)
    lines = [f"#{r['position']} {r['occurred_at']} {r['decision']}: {one_line(text)}"
             + ("  [recorded late]" if r["recorded_late"] else "")]
    why = {"decision": "rationale", "erasure": "reason"}.get(r["kind"], "purpose")
    lines.append(f"    {why}: {one_line(r['rationale']) if r['rationale'] else '-'}")
    if r.get("action"):
        lines.append(f"    action: {one_line(r['action'])}")
    if r.get("child_death_review_ref"):
        lines.append(f"    child death review: {one_line(r['child_death_review_ref'])}")
    if r["decided_by"]:
        lines.append(f"    decided by: {one_line(', '.join(r['decided_by']))}")
    acted = f" as {_roles(r['acted_as'])}" if "acted_as" in r else ""
    lines.append(f"    recorded by {r['recorded_by']}{acted} (key {r['key_id']}) at "
                 f"{r['recorded_at']}")
    for s in r.get("signatures") or ():
        if not s["cosignature"]:
            continue  # the recorder's: the line above
        state = "verified" if s.get("verified") else "DOES NOT MATCH the decision's hash"
        lines.append(f"    co-signed by {s['actor']} as {_roles(s.get('role'))} (key "
                     f"{s['key_id']}) at {s['at']}, #{s['position']}: {state}")
    if r.get("pending"):
        lines.append(f"    pending: {', '.join(r['pending'])}")
    return lines
