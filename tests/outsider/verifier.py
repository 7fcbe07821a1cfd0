"""An outsider's verifier, written from docs/evidence-format.md alone (standard library and
`cryptography`; `sqlite3` or `psycopg` to read). It owns nothing of the product and imports
none of it: it exists so that the tests can show the document is enough to re-check a
ledger and reach the same findings as `cspr verify` (§16-17, §12.2, §14)."""

from __future__ import annotations

import decimal
import hashlib
import json
from pathlib import Path
import sqlite3
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO = bytes(32)
COLUMNS = ("position", "originator_id", "originator_version", "topic", "state",
           "chain_hash", "signature", "sealed", "head_signature", "head_previous",
           "recorded_at", "case_ref", "actor", "key_id", "event_type")

# §10, the role table: type -> roles that may record it, read from the document itself
# (the table between its event-roles markers), as an outsider holding only it would.
_DOC = Path(__file__).resolve().parents[2] / "docs" / "evidence-format.md"


def _role_table(text: str) -> dict[str, set[str]]:
    body = text.split("<!-- event-roles:begin", 1)[1].split("<!-- event-roles:end", 1)[0]
    table = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[0] != "`type`":
            table[cells[0].strip("`")] = {r.strip().strip("`") for r in cells[3].split(",")}
    return table


ROLES = _role_table(_DOC.read_text(encoding="utf-8"))


class Malformed(Exception):
    """A §16.5 step cannot be carried out on the payload."""


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def canonical(value: Any) -> bytes:  # §4
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def key_id(pk: bytes) -> str:  # §1
    return sha(pk).hex()[:32]


def verifies(pk: bytes, sig: Any, msg: bytes) -> bool:  # §1
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(bytes(sig), msg)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def signed_bytes(stream: str, version: int, topic: str, state: bytes) -> bytes:  # §6
    return b"cspr-ledger/event/v1\n" + canonical({
        "originator_id": stream, "originator_version": version,
        "state_sha256": sha(state).hex(), "topic": topic})


def head_message(ledger: str, position: int, chain: str, previous: int) -> bytes:  # §8
    return b"cspr-ledger/head/v1\n" + canonical({
        "chain_hash": chain, "ledger": ledger, "position": position, "previous": previous})


def mth(leaves: list[bytes]) -> bytes:  # RFC 9162 §2.1.1
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def class_name(type_name: str) -> str:  # §5
    return "".join(w.capitalize() for w in type_name.split("-"))


def fromhex(v: Any) -> bytes:
    if not isinstance(v, str):
        raise Malformed
    try:
        return bytes.fromhex(v)
    except ValueError:
        raise Malformed from None


def read(db: str) -> tuple[list[tuple], list[tuple], bool]:
    """(head rows, event rows in id order, is_postgres), in one read snapshot (§16.1)."""
    cols = ", ".join(COLUMNS)
    if db.startswith("postgresql"):
        import psycopg
        with psycopg.connect(db.replace("+psycopg", "", 1)) as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            head = conn.execute("SELECT position, chain_hash FROM cspr_head WHERE id = 1")
            head = head.fetchall()
            rows = conn.execute(f"SELECT {cols} FROM cspr_events ORDER BY id").fetchall()
            return head, rows, True
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        head = conn.execute("SELECT position, chain_hash FROM cspr_head WHERE id = 1")
        head = head.fetchall()
        rows = conn.execute(f"SELECT {cols} FROM cspr_events ORDER BY id").fetchall()
        conn.execute("COMMIT")
        return head, rows, False
    finally:
        conn.close()


def typed(row: dict[str, Any], pg: bool) -> list[str]:
    """§3.4 / §16.3.2: replace each value of another type; returns the columns replaced."""
    isbytes = (bytes, bytearray, memoryview)
    ok = {
        "originator_id": (lambda v: isinstance(v, uuid.UUID)) if pg else
        (lambda v: type(v) is bytes and len(v) == 16),
        **{c: (lambda v: isinstance(v, isbytes)) for c in ("state", "chain_hash",
                                                            "signature")},
        **{c: (lambda v: v is None or isinstance(v, isbytes))
           for c in ("sealed", "head_signature")},
        "head_previous": lambda v: v is None or type(v) is int,
        **{c: (lambda v: type(v) is int) for c in ("position", "originator_version")},
        **{c: (lambda v: type(v) is str) for c in ("topic", "recorded_at", "actor",
                                                    "key_id", "event_type")},
        "case_ref": lambda v: v is None or type(v) is str,
    }
    instead = {"state": None, "chain_hash": b"", "signature": b"", "position": None,
               "originator_version": None, "originator_id": None}
    bad = [c for c in COLUMNS if not ok[c](row[c])]
    for c in bad:
        row[c] = instead.get(c, "" if c in ("topic", "recorded_at", "actor", "key_id",
                                            "event_type") else None)
    for c in ("state", "chain_hash", "signature", "sealed", "head_signature"):
        if row[c] is not None:
            row[c] = bytes(row[c])
    return bad


def roles(data: dict[str, Any]) -> set:
    if not isinstance(data["roles"], list):
        raise Malformed
    return set(data["roles"])


class Key:
    def __init__(self, actor: Any, pk: bytes, roles: set) -> None:
        self.actor, self.pk, self.roles, self.retired = actor, pk, roles, None


class Scan:
    """The state kept across rows (§16.2) and the per-row procedure (§16.3-16.6)."""

    def __init__(self, pg: bool) -> None:
        self.pg, self.n, self.prev = pg, 0, ZERO
        self.registry: dict[Any, Key] = {}
        self.versions: dict[str, int] = {}
        self.partnership: str | None = None
        self.ledger, self.last_head = "", 0
        self.run_at, self.run_start = None, 0
        self.leaves: list[bytes] = []
        self.chain_at: dict[int, bytes] = {0: ZERO}
        self.size_at: dict[int, int] = {0: 0}  # leaves in the tree after position n
        self.claims: list[tuple[int, int, Any, Any, bool]] = []
        self.found: list[tuple[int, str]] = []
        self.last_head_sig: Any = None

    def add(self, n: int, kind: str) -> None:
        self.found.append((n, kind))

    def row(self, values: tuple) -> None:
        r = dict(zip(COLUMNS, values))
        self.n += 1
        for _ in typed(r, self.pg):  # 16.3.2: one finding per column
            self.add(self.n, "column")
        if r["position"] is not None and r["position"] != self.n:  # 16.3.3
            self.add(self.n, "position")
            self.n = max(self.n, r["position"])
        n = self.n
        if n == 1:
            self.ledger = r["chain_hash"].hex()
        hp = r["head_previous"]
        if r["head_signature"] is not None:  # 16.3.5
            if hp is None or hp > self.last_head:
                self.add(n if hp is None or hp >= n else hp, "head_signature")
            elif hp < self.last_head:
                self.add(n, "head_signature")
            self.last_head = n
        oid = r["originator_id"]
        stream = None if oid is None else str(oid if self.pg else uuid.UUID(bytes=oid))
        if stream is not None and r["originator_version"] is not None:  # 16.4
            if r["originator_version"] != self.versions.get(stream, 0) + 1:
                self.add(n, "version")
            self.versions[stream] = r["originator_version"]
        key, self.p = None, None
        if r["state"] is not None:
            try:
                key = self.payload(n, r)
            except (Malformed, KeyError, TypeError, ValueError):  # 16.5: cannot be done
                self.add(n, "malformed")
        p = self.p
        state = r["state"] if r["state"] is not None else b""
        version = r["originator_version"]
        signed = signed_bytes(str(stream), -1 if version is None else version, r["topic"],
                              state)
        if key is not None and not verifies(key.pk, r["signature"], signed):  # 16.6
            self.add(n, "signature")
        leaf = sha(b"\x00" + signed + r["signature"])
        if r["chain_hash"] != sha(self.prev + leaf):
            self.add(n, "chain")
        self.prev = r["chain_hash"]
        self.leaves.append(leaf)
        self.chain_at[n], self.size_at[n] = r["chain_hash"], len(self.leaves)
        if key is not None and r["head_signature"] is not None:
            message = head_message(self.ledger, n, r["chain_hash"].hex(), hp or 0)
            if not verifies(key.pk, r["head_signature"], message):
                self.add(n, "head_signature")
        at = p.get("recorded_at") if isinstance(p, dict) else None  # 16.6.5
        if at is None or at != self.run_at:
            self.run_at, self.run_start = at, n
        if r["head_signature"] is not None and self.run_start > (hp or 0) + 1:
            self.add(self.run_start, "transaction")
        self.last_head_sig = r["head_signature"]

    def payload(self, n: int, r: dict[str, Any]) -> Key | None:
        """§16.5; returns the row's key (§16.5.9); keeps the decoded payload in self.p."""
        try:
            p = self.p = json.loads(r["state"].decode("utf-8"),  # §4: strict UTF-8
                                    parse_float=decimal.Decimal,
                                    parse_constant=decimal.Decimal)
        except (ValueError, RecursionError):
            raise Malformed from None
        try:
            ok = canonical(p) == r["state"]
        except (TypeError, ValueError):
            ok = False
        if not ok:
            self.add(n, "canonical")
        if not isinstance(p, dict):
            raise Malformed
        kind = p["type"]
        if not (isinstance(kind, str) and kind in ROLES
                and r["topic"].endswith(":" + class_name(kind))):
            self.add(n, "type")
        kid, actor = p["key_id"], p["actor"]
        copies = (p["recorded_at"], p["case"], actor, kid, kind)
        read = (r["recorded_at"], r["case_ref"], r["actor"], r["key_id"], r["event_type"])
        if any(type(a) is not type(b) or a != b for a, b in zip(read, copies)):
            self.add(n, "column")
        personal = p.get("personal")
        if personal and r["sealed"] is not None:
            if sha(r["sealed"]).hex() != personal["sha256"]:
                self.add(n, "personal_data")
        hash(kid)
        self.authority(n, kind, kid, actor, p)
        if kind == "ledger-initialised" and self.partnership is None:
            self.partnership = str(self.data(p)["partnership"])
        if kind == "checkpoint-signed":
            self.checkpoint_claim(n, self.data(p), r["event_type"] == "checkpoint-signed")
        return self.registry.get(kid)

    @staticmethod
    def data(p: dict[str, Any]) -> dict[str, Any]:
        data = p.get("data")
        if not isinstance(data, dict):
            raise Malformed
        return data

    def authority(self, n: int, kind: Any, kid: Any, actor: Any, p: dict) -> None:
        """§9.1, steps 1-3 (a missing member or a value of an unusable type raises)."""
        if "data" not in p:  # §9.1: read for every event, whatever its type
            raise Malformed
        data = self.data
        if not self.registry and kind == "actor-registered" and \
                data(p)["actor"] == "admin" and data(p)["key_id"] == kid:
            self.registry[kid] = Key("admin", fromhex(data(p)["public_key"]),
                                     roles(data(p)))
        entry = self.registry.get(kid)
        if entry is None:
            self.add(n, "unknown_key")
            return
        before = len(self.found)
        if entry.actor != actor:
            self.add(n, "key_actor")
        if entry.retired is not None:
            self.add(n, "revoked_key")
        if not entry.roles & (ROLES.get(kind, set()) if isinstance(kind, str) else set()):
            self.add(n, "role")
        effect = len(self.found) == before  # step 3: only with authority (key_id aside)
        if kind in ("actor-registered", "actor-key-rotated"):
            d = data(p)
            pk = fromhex(d["public_key"])
            if d["key_id"] != key_id(pk):
                self.add(n, "key_id")
            if effect and kind == "actor-registered" and d["key_id"] not in self.registry:
                self.registry[d["key_id"]] = Key(d["actor"], pk, roles(d))
            if effect and kind == "actor-key-rotated":
                name, kept = d["actor"], set()
                for e in self.registry.values():
                    if e.retired is None and e.actor == name:
                        e.retired, kept = n, e.roles
                self.registry.pop(d["key_id"], None)
                self.registry[d["key_id"]] = Key(name, pk, kept)
        elif effect and kind == "actor-revoked":
            name = data(p)["actor"]
            for e in self.registry.values():
                if e.retired is None and e.actor == name:
                    e.retired = n

    def checkpoint_claim(self, n: int, data: dict[str, Any], by_column: bool) -> None:
        """§16.5.8: keep the claim; a frontier must give the root."""
        try:
            claim = (n, int(data["size"]), data["head_hash"], data["root_hash"], by_column)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise Malformed from None
        self.claims.append(claim)
        if data.get("frontier") is None:
            return
        size, frontier = data["size"], data["frontier"]
        if type(size) is not int or size < 0 or not isinstance(frontier, list) \
                or len(frontier) != bin(size).count("1"):
            raise Malformed
        hashes = [fromhex(h) for h in frontier]
        if any(len(h) != 32 for h in hashes):
            raise Malformed
        root = hashes[-1] if hashes else sha(b"")
        for h in reversed(hashes[:-1]):
            root = sha(b"\x01" + h + root)
        if root.hex() != data["root_hash"]:
            self.add(n, "checkpoint")

    def root_at(self, position: int) -> bytes | None:
        size = self.size_at.get(position)
        return None if size is None else mth(self.leaves[:size])

    def finish(self, head: list[tuple]) -> None:
        """§16.7 and §16.8."""
        N = self.n
        if N > 0 and self.last_head_sig is None:
            self.add(N, "head_signature")
        if head and (type(head[0][0]) is not int or type(head[0][1]) is not bytes):
            self.add(N, "column")
        elif not head or head[0][0] > N:
            self.add(N + 1, "head")
        elif head[0][0] < N or head[0][1] != self.prev:
            self.add(N, "head")
        for at, size, head_hash, root_hash, by_column in self.claims:
            chain, root = self.chain_at.get(size), self.root_at(size)
            if not by_column or chain is None or chain.hex() != head_hash \
                    or root is None or root.hex() != root_hash:
                self.add(at, "checkpoint")

    def receipt(self, rc: dict[str, Any]) -> None:
        """§14: at most one finding per receipt."""
        try:
            assert type(rc["position"]) is int and rc["position"] >= 1
            assert type(rc["previous"]) is int and rc["format"] == "cspr-receipt/v1"
            chain, sig = fromhex(rc["chain_hash"]), fromhex(rc["head_signature"])
        except (AssertionError, Malformed):
            return self.add(0, "receipt")
        if rc["ledger"] != self.ledger:
            return self.add(0, "receipt")
        entry = self.entry(rc["key_id"])
        message = head_message(self.ledger, rc["position"], chain.hex(), rc["previous"])
        if entry is None or entry.actor != rc["actor"] or not verifies(entry.pk, sig, message):
            return self.add(0, "receipt")
        if rc["position"] > self.n:
            return self.add(self.n + 1, "truncated")
        stored = self.chain_at.get(rc["position"])
        if stored is None or stored.hex() != rc["chain_hash"]:
            self.add(rc["position"], "receipt")

    def entry(self, kid: Any) -> Key | None:
        try:
            return self.registry.get(kid)
        except TypeError:
            return None

    def checkpoint(self, cp: dict[str, Any]) -> None:
        """§12.2, a JSON checkpoint file; every finding `checkpoint` but `truncated`."""
        try:
            size = int(cp["size"])
            cp["head_hash"], cp["root_hash"], cp["key_id"]
            sig = fromhex(cp["signature"])
        except (KeyError, TypeError, ValueError, ArithmeticError, Malformed):
            return self.add(0, "checkpoint")
        body = b"cspr-ledger/checkpoint/v1\n" + canonical(
            {k: v for k, v in cp.items() if k != "signature"})
        entry = self.entry(cp["key_id"])
        if entry is None or "system" not in entry.roles or not verifies(entry.pk, sig, body):
            self.add(0, "checkpoint")
        elif entry.retired is not None and entry.retired <= size:
            self.add(entry.retired, "checkpoint")
        if entry is not None and cp.get("actor") != entry.actor:
            self.add(0, "checkpoint")
        if cp.get("format") != "cspr-checkpoint/v1":
            self.add(0, "checkpoint")
        if self.partnership is not None and cp.get("partnership") != self.partnership:
            self.add(0, "checkpoint")
        if size > self.n:
            return self.add(self.n + 1, "truncated")
        chain = ZERO if size == 0 else self.chain_at.get(size)
        if chain is None or chain.hex() != cp["head_hash"]:
            self.add(size, "checkpoint")
        if size < 0 or mth(self.leaves[:size]).hex() != cp["root_hash"]:
            self.add(size, "checkpoint")


def verify(db: str, receipts: list[dict[str, Any]] = (),
           checkpoint: dict[str, Any] | None = None) -> list[tuple[int, str]]:
    """The sorted (position, kind) findings (a multiset) for the ledger in `db`: a SQLite
    file path, or a PostgreSQL URL; receipts and a JSON checkpoint as parsed objects."""
    head, rows, pg = read(str(db))
    scan = Scan(pg)
    for values in rows:
        scan.row(values)
    scan.finish(head)
    for rc in receipts:
        scan.receipt(rc)
    if checkpoint is not None:
        scan.checkpoint(checkpoint)
    return sorted(scan.found)
