"""Who held which key, with which roles, at each point of the ledger: replayed in order
from the actor events, and the check that each event was signed with authority."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.catalogue import EVENT_TYPES
from ledger.signing import key_id


@dataclass
class KeyEntry:
    actor: str
    public_key: bytes
    roles: frozenset[str]
    active: bool = True
    until: int | None = None  # the position that rotated or revoked it


class KeyRegistry:
    """Replays the key registry; ``problem`` is a no-op here (a quiet replay of what an
    earlier run already verified) and records findings in the verifier."""

    def __init__(self) -> None:
        self.keys: dict[str, KeyEntry] = {}

    def problem(self, position: int, kind: str, detail: str) -> None:
        return None

    def authority(self, n: int, p: dict[str, Any]) -> None:
        kind, data, kid = p["type"], p["data"], p["key_id"]
        if kind == "actor-registered" and not self.keys and data["actor"] == "admin" \
                and data["key_id"] == kid:
            # Genesis: admin registers itself; every later key descends from this one.
            self.keys[kid] = KeyEntry("admin", bytes.fromhex(data["public_key"]),
                                      frozenset(data["roles"]))
        entry = self.keys.get(kid)
        if entry is None:
            self.problem(n, "unknown_key", f"signed by key {kid}, never registered")
            return
        authorised = True
        if entry.actor != p["actor"]:
            self.problem(n, "key_actor", f"key {kid} belongs to another actor")
            authorised = False
        if not entry.active:
            self.problem(n, "revoked_key", f"key {kid} was rotated or revoked before this")
            authorised = False
        allowed = EVENT_TYPES[kind].roles if kind in EVENT_TYPES else frozenset()
        if not allowed & entry.roles:
            self.problem(n, "role", f"'{p['actor']}' may not record '{kind}'")
            authorised = False
        if kind in ("actor-registered", "actor-key-rotated") \
                and key_id(bytes.fromhex(data["public_key"])) != data["key_id"]:
            # Key ids are how events name their key: one not derived from the key could
            # pass an event signed by one key off as signed by another.
            self.problem(n, "key_id", "the registered key id is not the one derived "
                                      "from its public key")
        if not authorised:
            # An actor event without authority is reported, and changes nothing: else a
            # key it registered would sign everything after it unreported.
            return
        if kind == "actor-registered" and data["key_id"] not in self.keys:
            self.keys[data["key_id"]] = KeyEntry(
                data["actor"], bytes.fromhex(data["public_key"]), frozenset(data["roles"]))
        elif kind in ("actor-key-rotated", "actor-revoked"):
            roles: frozenset[str] = frozenset()
            for e in self.keys.values():
                if e.actor == data["actor"] and e.active:
                    e.active, e.until, roles = False, n, e.roles
            if kind == "actor-key-rotated":
                self.keys[data["key_id"]] = KeyEntry(
                    data["actor"], bytes.fromhex(data["public_key"]), roles)
