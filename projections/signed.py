"""A case's events as evidence views show them: from the signed rows, each row shown
checked against its signature first.

The decision trail and the chronology say who decided what, why, and under which key. They
used to be read from read-model rows, which anyone with database access can edit and
nothing signs; they are now derived from the events themselves, and the events whose
content is shown are proved before they are shown:

- the indexed copies the rows were found by (case, type, actor, key id, recorded time)
  agree with the signed payload, for every event of the case;
- each shown event is signed by the key it names, registered in the ledger to the actor
  it names, not rotated or revoked before it, with a role that may record its type (the
  key registry replayed from the actor events, in ledger order, as verify does);
- its Ed25519 signature verifies over its stream, version, topic and payload.

A case's other events feed the clocks of ``case show``; proving every one of them costs a
signature check per event on every read (a full ``cspr verify`` proves them all at once),
so only what a view quotes is proved here.

Issue 10: the trail also lists who read, disclosed or erased the case's personal data
(``personal_data_rows``), and ``personal_data_log`` lists those events ledger-wide for the
compliance report's counts (names and days only).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from sqlalchemy import select

from domain.calendar import london_date
from domain.errors import CsprError
from ledger.app import LedgerApplication
from ledger.chain import signed_bytes
from ledger.keys_registry import KeyRegistry
from ledger.rowtypes import blob, raw, stream_id
from ledger.signing import verify_signature
from ledger.snapshot import snapshot
from projections.source import LedgerFact, fact_from_payload, ledger_facts

KEY_EVENTS = ("actor-registered", "actor-key-rotated", "actor-revoked")
# Issue 10: the record of who read, disclosed or erased a case's personal data, shown in
# the decision trail beside the decisions (each row's "kind" says which).
PERSONAL_DATA_EVENTS = {"personal-data-accessed": "access",
                        "personal-data-disclosed": "disclosure",
                        "personal-data-erased": "erasure"}
_COLUMNS = ("position", "originator_id", "originator_version", "topic", "state",
            "signature", "recorded_at", "case_ref", "actor", "key_id", "event_type")


class UnverifiedEventsError(CsprError):
    """Events a view would show do not verify: nothing of the view is shown."""

    def __init__(self, positions: list[int]) -> None:
        self.positions = positions
        shown = ", ".join(str(p) for p in positions[:20])
        super().__init__(
            f"{len(positions)} event(s) of this case do not verify against their signed "
            f"payload and key (position {shown}{', ...' if len(positions) > 20 else ''}): "
            "nothing is shown. Run 'cspr verify'")


class _Registry(KeyRegistry):
    def __init__(self) -> None:
        super().__init__()
        self.failed: set[int] = set()

    def problem(self, position: int, kind: str, detail: str) -> None:
        self.failed.add(position)


def signed_case_facts(app: LedgerApplication, case: str,
                      shown: Callable[[LedgerFact], bool]) -> list[LedgerFact]:
    """Every event of ``case`` in ledger order, from its signed payload; those for which
    ``shown`` is true proved as the module says. UnverifiedEventsError otherwise."""
    t = app.events_table
    with snapshot(app.engine) as conn:
        rows = conn.execute(select(*[raw(t.c[c]) for c in _COLUMNS])
                            .where(t.c.case_ref == case).order_by(t.c.position)).all()
        keys = conn.execute(select(raw(t.c.position), raw(t.c.state))
                            .where(t.c.event_type.in_(KEY_EVENTS))
                            .order_by(t.c.position)).all()
    facts, bad, proved = [], [], []
    for row in rows:
        values = dict(zip(_COLUMNS, row))
        if type(values["position"]) is not int:
            raise UnverifiedEventsError([0])  # a retyped column: verify locates it
        try:
            p = json.loads(blob(values["state"]))
            fact = fact_from_payload(values["position"], p)
            copies = (values["recorded_at"], values["case_ref"], values["actor"],
                      values["key_id"], values["event_type"])
            if copies != (p["recorded_at"], case, p["actor"], p["key_id"], p["type"]) \
                    or p["case"] != case:
                bad.append(values["position"])
                continue
        except (ValueError, KeyError, TypeError, AttributeError):
            bad.append(values["position"])
            continue
        facts.append(fact)
        if shown(fact):
            proved.append((values, p))
    bad += _unproved(keys, proved)
    if bad:
        raise UnverifiedEventsError(sorted(bad))
    return facts


def _unproved(keys: list[Any], proved: list[tuple[dict[str, Any], dict[str, Any]]]
              ) -> list[int]:
    """The positions of ``proved`` whose key, authority or signature fails."""
    registry, failed = _Registry(), []
    pending = iter(proved)
    item = next(pending, None)
    for position, state in [*[k for k in keys if type(k[0]) is int], (None, None)]:
        # Every shown event before this key event, checked against the keys as they were.
        while item is not None and (position is None or item[0]["position"] < position):
            if not _proved(registry, *item):
                failed.append(item[0]["position"])
            item = next(pending, None)
        if position is None:
            break
        try:
            registry.authority(position, json.loads(blob(state)))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a malformed actor event registers nothing (verify reports it)
    return failed


def _proved(registry: _Registry, values: dict[str, Any], p: dict[str, Any]) -> bool:
    n = values["position"]
    registry.authority(n, p)
    entry = registry.keys.get(p["key_id"])
    oid = stream_id(values["originator_id"])
    if n in registry.failed or entry is None or oid is None \
            or type(values["originator_version"]) is not int \
            or not isinstance(values["topic"], str):
        return False
    try:
        signature = blob(values["signature"])
        signed = signed_bytes(oid, values["originator_version"], values["topic"],
                              blob(values["state"]))
    except TypeError:
        return False
    return verify_signature(entry.public_key, signature, signed)


def personal_data_log(app: LedgerApplication) -> list[dict[str, Any]]:
    """Every access, disclosure and erasure of personal data in the ledger, as
    ``{"type", "case", "actor", "on"}`` (``on``: the London day it was recorded), for the
    compliance report's counts. Names and days only: no field, purpose or value."""
    return [{"type": f.type, "case": f.case, "actor": f.actor,
             "on": london_date(f.recorded_at).isoformat()}
            for event_type in PERSONAL_DATA_EVENTS for f in ledger_facts(app, event_type)]


def personal_data_rows(case: str, facts: list[LedgerFact]) -> list[dict[str, Any]]:
    """The access, disclosure and erasure events of ``facts`` as decision-trail rows: who,
    when, why and which fields (names only: these events never hold a value)."""
    rows = []
    for f in facts:
        kind = PERSONAL_DATA_EVENTS.get(f.type)
        if kind is None:
            continue
        d = f.data
        fields = list(d.get("fields", ()))
        opened = ", ".join(fields) or "no personal fields"
        outcome = {"access": f"opened {opened}",
                   "disclosure": f"disclosed {opened} to {d.get('to')}",
                   "erasure": f"erased on {d.get('erased_on')}, co-signed by "
                              f"{d.get('cosigned_by')}"}[kind]
        rows.append({
            "case": case, "case_ref": case, "position": f.position, "kind": kind,
            "decision": f.type, "outcome": outcome,
            "rationale": d.get("purpose") or d.get("reason"), "decided_by": None,
            "action": None, "recorded_by": f.actor, "key_id": f.key_id,
            "occurred_at": f.occurred_at, "recorded_at": f.recorded_at.isoformat(),
            "recorded_late": False, "purpose": d.get("purpose"), "fields": fields,
            "to": d.get("to"), "events": d.get("events"), "reason": d.get("reason"),
        })
    return rows
