#!/usr/bin/env python3
"""verify.py: check a cspr-ledger evidence pack offline (docs/evidence-format.md, §20).

    python verify.py PACK --vkey VKEY [--vkey VKEY ...] [--witness VKEY ...] [--json]

PACK is the pack's folder or its .zip. VKEY is the partnership's published system key
(`cspr actor list --vkeys`), pinned out of band. Exit 0 when every check passes, 1 when a
problem was found (each listed with its position; 0 for the pack as a whole), 2 for bad
usage. One file, the Python standard library and `cryptography` only: it imports nothing
of cspr-ledger, so a recipient can read all of it, and the same code is `cspr evidence
verify`. It checks: every file against the signed manifest; the checkpoint note's
signature with the pinned key; each event's Ed25519 signature with the key the replayed
registry gives it, and that key's authority (roles); each RFC 9162 inclusion proof
against the note's root; the signed heads and chain links the pack can check; the
consistency proof from an older checkpoint, if there is one; the pack's scope.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import multiprocessing
import os
import re
import sys
import unicodedata
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "cspr-evidence-pack/v1"
MANIFEST = "pack.json"
REQUIRED = ("events.jsonl", "keys.jsonl", "checkpoint.note", "proofs.json")
KEY_TYPES = ("actor-registered", "actor-key-rotated", "actor-revoked")
MAX_FILE = 1 << 30


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def canonical(value: Any) -> bytes:  # §4
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The one spelling of pack.json: any other byte is a change."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False)
            + "\n").encode("utf-8")


def manifest_message(manifest: dict[str, Any]) -> bytes:
    return b"cspr-ledger/pack/v1\n" + canonical(
        {k: v for k, v in manifest.items() if k != "signature"})


def verifies(pk: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _verify_chunk(chunk: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    return [verifies(pk, sig, msg) for pk, sig, msg in chunk]


def verify_all(tasks: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """Whether each (public key, signature, message) verifies, on every core when there
    are enough to pay for the worker processes (forked: nothing is imported again);
    in this process where forking is not available."""
    workers = min(os.cpu_count() or 1, 8)
    if len(tasks) < 2000 or workers < 2:
        return _verify_chunk(tasks)
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return _verify_chunk(tasks)
    step = -(-len(tasks) // (workers * 4))
    chunks = [tasks[i:i + step] for i in range(0, len(tasks), step)]
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return [ok for part in pool.map(_verify_chunk, chunks) for ok in part]
    except (OSError, BrokenProcessPool):
        return _verify_chunk(tasks)


def signed_bytes(stream: str, version: int, topic: str, state: bytes) -> bytes:  # §6
    return b"cspr-ledger/event/v1\n" + canonical({
        "originator_id": stream, "originator_version": version,
        "state_sha256": sha(state).hex(), "topic": topic})


def head_message(ledger: str, position: int, chain: str, previous: int) -> bytes:  # §8
    return b"cspr-ledger/head/v1\n" + canonical({
        "chain_hash": chain, "ledger": ledger, "position": position, "previous": previous})


def node(left: bytes, right: bytes) -> bytes:
    return sha(b"\x01" + left + right)


def origin_of(partnership: str, ledger_id: str) -> str:  # §12.3
    text = unicodedata.normalize("NFKD", partnership).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "ledger"
    return f"cspr-ledger/{slug}/{ledger_id[:16]}"


def b64(text: str) -> bytes:
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


def key_hash(name: str, alg: int, pk: bytes) -> bytes:
    return sha(name.encode() + b"\n" + bytes([alg]) + pk)[:4]


def parse_vkey(text: str, alg: int) -> tuple[str, bytes, bytes]:
    """(name, key hash, public key) of a C2SP vkey of signature type ``alg``."""
    name, khash, key = text.split("+", 2)
    raw = b64(key)
    if raw[:1] != bytes([alg]) or len(raw) != 33 or bytes.fromhex(khash) != \
            key_hash(name, alg, raw[1:]) or not name or " " in name:
        raise ValueError("not a vkey of this type")
    return name, bytes.fromhex(khash), raw[1:]


def parse_note(data: bytes) -> tuple[str, list[tuple[str, bytes]]]:
    """(text, [(name, key hash || signature)]) of a C2SP signed note (§12.3)."""
    note = data.decode("utf-8")
    if re.search(r"[\x00-\x09\x0b-\x1f]", note) or len(data) > 65536:
        raise ValueError("control characters or too long")
    cut = note.rfind("\n\n")
    text, lines = note[:cut + 1], note[cut + 2:]
    if cut < 0 or not lines.endswith("\n"):
        raise ValueError("no signature block")
    sigs = []
    for line in lines[:-1].split("\n"):
        dash, name, value = line.split(" ")
        if dash != "\u2014" or not name or "+" in name:
            raise ValueError("bad signature line")
        sigs.append((name, b64(value)))
    return text, sigs


def checkpoint_of(text: str) -> tuple[str, int, bytes]:
    origin, size, root, *_ = text[:-1].split("\n")
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size) or len(b64(root)) != 32:
        raise ValueError("bad checkpoint text")
    return origin, int(size), b64(root)


def root_from_inclusion(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root a proof leads to, or None if it is malformed."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def consistent(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 < m <= n:
        return False
    if m == n:
        return not proof and old == new
    if not proof:
        return False
    if m & (m - 1) == 0:
        proof = [old, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


class Key:
    def __init__(self, actor: str, pk: bytes, roles: set[str]) -> None:
        self.actor, self.pk, self.roles, self.retired = actor, pk, roles, None


def read_pack(path: Path) -> dict[str, bytes]:
    """The pack's files by name, from its folder or its zip (no sub-folders)."""
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())
                if p.is_file() and p.stat().st_size <= MAX_FILE} | {
            p.name + "/": b"" for p in path.iterdir() if not p.is_file()}
    with zipfile.ZipFile(path) as z:  # members are <folder>/<name>
        return {i.filename.split("/", 1)[-1]: z.read(i) for i in z.infolist()
                if not i.is_dir() and i.file_size <= MAX_FILE}


class Check:
    """The checks of one pack; ``problems`` are (position, kind, detail)."""

    def __init__(self, files: dict[str, bytes], vkeys: list[str], witnesses: list[str]):
        self.files, self.problems = files, []
        self.vkeys = [parse_vkey(v, 0x01) for v in vkeys]
        self.witnesses = [parse_vkey(w, 0x04) for w in witnesses]
        self.registry: dict[str, Key] = {}
        self.verified: list[dict[str, Any]] = []  # the records that passed every check
        self.done: list[tuple[str, int]] = []  # (check, how many passed)
        self.manifest: dict[str, Any] = {}

    def add(self, position: int, kind: str, detail: str) -> None:
        self.problems.append((position, kind, detail))

    def run(self) -> "Check":
        if not self.check_manifest():
            return self
        m = self.manifest
        try:
            size, root = self.check_note("checkpoint.note", m["checkpoint"])
            records = self.records()
            proofs = json.loads(self.files["proofs.json"])
            self.check_events(records, size, root, proofs["inclusion"])
            if m["since"] is not None:
                self.check_consistency(m["since"], size, root, proofs["consistency"])
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            self.add(0, "malformed", f"the pack cannot be read ({type(e).__name__})")
        return self

    def check_manifest(self) -> bool:
        raw = self.files.get(MANIFEST)
        try:
            m = json.loads(raw.decode("utf-8"))
            assert isinstance(m, dict) and manifest_bytes(m) == raw
        except (AttributeError, ValueError, AssertionError):
            self.add(0, "manifest", "pack.json is missing, unreadable, or not in its one "
                                    "spelling (a byte was changed)")
            return False
        self.manifest = m
        try:
            sig = bytes.fromhex(m["signature"])
            ok = any(verifies(pk, sig, manifest_message(m)) for _, _, pk in self.vkeys)
            names = dict(m["files"])
        except (KeyError, ValueError, TypeError):
            ok, names = False, {}
        if not ok:
            self.add(0, "manifest", "pack.json's signature does not verify with the pinned "
                                    "system key: the manifest was changed or is not ours")
        if not names:
            return False
        if m.get("format") != FORMAT:
            self.add(0, "manifest", f"pack.json's format is not {FORMAT}")
        for name in sorted(set(self.files) | set(names) | set(REQUIRED)):
            if name == MANIFEST:
                continue
            if name not in names:
                self.add(0, "manifest", f"{name}: a file the manifest does not list")
            elif name not in self.files:
                self.add(0, "manifest", f"{name}: listed in the manifest, missing")
            elif sha(self.files[name]).hex() != names[name]:
                self.add(0, "manifest", f"{name}: its SHA-256 differs from the manifest's")
        self.done.append(("files hashed against the signed manifest", len(names)))
        return True

    def check_note(self, name: str, claim: dict[str, Any]) -> tuple[int, bytes]:
        text, sigs = parse_note(self.files[name])
        origin, size, root = checkpoint_of(text)
        signed = [s for s in sigs for vname, khash, pk in self.vkeys
                  if s[0] == vname and s[1][:4] == khash and len(s[1]) == 68
                  and verifies(pk, s[1][4:], text.encode("utf-8"))]
        if not signed:
            self.add(0, "checkpoint", f"{name}: not signed by the pinned system key")
        if origin != self.manifest.get("origin") or any(s[0] != origin for s in signed):
            self.add(0, "checkpoint", f"{name}: its origin is not the pack's ledger")
        if size != claim["size"] or root.hex() != claim["root_hash"]:
            self.add(0, "checkpoint", f"{name}: not the checkpoint the manifest names")
        if name == "checkpoint.note":
            self.check_witnesses(text, sigs)
            self.done.append((f"checkpoint note of {size} events signed by the pinned "
                              "system key", 1 if signed else 0))
        return size, root

    def check_witnesses(self, text: str, sigs: list[tuple[str, bytes]]) -> None:
        for wname, khash, pk in self.witnesses:
            ok = False
            for name, value in sigs:
                if name == wname and value[:4] == khash and len(value) == 76:
                    t = int.from_bytes(value[4:12], "big")
                    ok = ok or verifies(pk, value[12:], f"cosignature/v1\ntime {t}\n{text}"
                                        .encode("utf-8"))
            if not ok:
                self.add(0, "witness", f"no cosignature of witness {wname} verifies")
            else:
                self.done.append((f"cosignature of witness {wname}", 1))

    def records(self) -> list[dict[str, Any]]:
        """The events and key events, one record per position, in position order."""
        out: dict[int, dict[str, Any]] = {}
        for name in ("keys.jsonl", "events.jsonl"):
            for line in self.files[name].decode("utf-8").splitlines():
                r = json.loads(line)
                r["in_scope"] = name == "events.jsonl"
                prior = out.get(r["position"])
                if prior is not None and {**prior, "in_scope": 0} != {**r, "in_scope": 0}:
                    self.add(r["position"], "malformed", "two different records")
                out[r["position"]] = r
        return [out[p] for p in sorted(out)]

    def check_events(self, records: list[dict[str, Any]], size: int, root: bytes,
                     proofs: dict[str, Any]) -> None:
        roles = {t: set(r) for t, r in self.manifest["roles"].items()}
        ledger, chain_at, counts = "", {0: bytes(32)}, dict.fromkeys(
            ("signature", "inclusion", "head", "chain"), 0)
        partnership, versions = None, {}
        # Signatures are checked after the walk, on every core (verify_all): the walk's
        # other checks do not depend on them, and they are most of a big pack's time.
        tasks: list[tuple[bytes, bytes, bytes]] = []
        owed: list[tuple[int, str, str, str]] = []  # (position, kind, detail, counter)
        candidates: list[tuple[dict[str, Any], int, int, int]] = []
        for r in records:
            n = r["position"]
            try:
                state = base64.b64decode(r["state"], validate=True)
                p = json.loads(state.decode("utf-8"))
                signed = signed_bytes(r["originator_id"], r["originator_version"],
                                      r["topic"], state)
                sig, chain = bytes.fromhex(r["signature"]), bytes.fromhex(r["chain_hash"])
                if canonical(p) != state:
                    self.add(n, "canonical", "the state is not canonical JSON")
                kind = p["type"]
                if kind not in roles or not r["topic"].endswith(
                        ":" + "".join(w.capitalize() for w in kind.split("-"))):
                    self.add(n, "type", "the payload's type is unknown or not the topic's")
                before = len(self.problems)
                key = self.authority(n, p, roles)
            except (KeyError, ValueError, TypeError, AttributeError, RecursionError):
                self.add(n, "malformed", "the record or its payload cannot be read")
                continue
            if n == 1:
                ledger = chain.hex()
            if kind == "ledger-initialised" and partnership is None:
                partnership = str(p["data"]["partnership"])
            versions.setdefault(r["originator_id"], []).append(r["originator_version"])
            first_task = len(tasks)
            if key is None:
                self.add(n, "signature", "the event signature does not verify")
            else:
                tasks.append((key.pk, sig, signed))
                owed.append((n, "signature", "the event signature does not verify",
                             "signature"))
            leaf = sha(b"\x00" + signed + sig)
            if n - 1 in chain_at:
                if chain != sha(chain_at[n - 1] + leaf):
                    self.add(n, "chain", "chain_hash is not SHA-256(previous chain || leaf)")
                else:
                    counts["chain"] += 1
            chain_at[n] = chain
            if r.get("head_signature") is not None and key is not None:
                msg = head_message(ledger, n, chain.hex(),
                                   r["head_previous"] or 0)
                tasks.append((key.pk, bytes.fromhex(r["head_signature"]), msg))
                owed.append((n, "head_signature", "the signed head does not verify", "head"))
            path = [bytes.fromhex(h) for h in proofs.get(str(n), [])]
            if n > size or root_from_inclusion(leaf, n - 1, size, path) != root:
                self.add(n, "inclusion", "the inclusion proof does not lead to the "
                                         "checkpoint's root")
            else:
                counts["inclusion"] += 1
            candidates.append(({"position": n, "payload": p, "in_scope": r["in_scope"],
                                "roles": sorted(key.roles) if key else []},
                               len(self.problems) - before, first_task, len(tasks)))
        results = verify_all(tasks)
        for ok, (n, kind, detail, counter) in zip(results, owed):
            if ok:
                counts[counter] += 1
            else:
                self.add(n, kind, detail)
        self.verified += [c for c, found, lo, hi in candidates
                          if not found and all(results[lo:hi])]
        self.check_identity(ledger, partnership)
        self.check_scope(records, versions)
        self.done += [("event signatures verified with the replayed key registry",
                       counts["signature"]),
                      ("inclusion proofs against the checkpoint's root", counts["inclusion"]),
                      ("signed heads verified", counts["head"]),
                      ("chain links between consecutive events", counts["chain"])]

    def authority(self, n: int, p: dict[str, Any], roles: dict[str, set]) -> Key | None:
        """docs/evidence-format.md §9.1, over the pack's key events in position order."""
        kind, data, kid = p["type"], p["data"], p["key_id"]
        if not self.registry and kind == "actor-registered" and data["actor"] == "admin" \
                and data["key_id"] == kid:
            self.registry[kid] = Key("admin", bytes.fromhex(data["public_key"]),
                                     set(data["roles"]))
        entry = self.registry.get(kid)
        if entry is None:
            self.add(n, "unknown_key", "signed by a key the pack's registry does not hold")
            return None
        before = len(self.problems)
        if entry.actor != p["actor"]:
            self.add(n, "key_actor", "the key belongs to another actor")
        if entry.retired is not None:
            self.add(n, "revoked_key", f"the key was retired at position {entry.retired}")
        if not entry.roles & roles.get(kind, set()):
            self.add(n, "role", "the key's roles may not record this type")
        effect = len(self.problems) == before
        if kind in ("actor-registered", "actor-key-rotated"):
            pk = bytes.fromhex(data["public_key"])
            if data["key_id"] != sha(pk).hex()[:32]:
                self.add(n, "key_id", "the key id is not derived from its public key")
            if effect and kind == "actor-registered" and data["key_id"] not in self.registry:
                self.registry[data["key_id"]] = Key(data["actor"], pk, set(data["roles"]))
        if effect and kind in ("actor-key-rotated", "actor-revoked"):
            kept: set[str] = set()
            for e in self.registry.values():
                if e.retired is None and e.actor == data["actor"]:
                    e.retired, kept = n, e.roles
            if kind == "actor-key-rotated":
                self.registry.pop(data["key_id"], None)
                self.registry[data["key_id"]] = Key(data["actor"], pk, kept)
        return self.registry.get(kid)

    def check_identity(self, ledger: str, partnership: str | None) -> None:
        m = self.manifest
        if ledger != m["ledger"] or partnership is None \
                or origin_of(partnership, ledger) != m["origin"]:
            self.add(0, "checkpoint", "the pack's origin is not that of its first events")
        system = [e.pk for e in self.registry.values() if "system" in e.roles]
        if not any(pk in system for _, _, pk in self.vkeys):
            self.add(0, "checkpoint", "the pinned key is not a system key of this ledger")

    def check_scope(self, records: list[dict[str, Any]], versions: dict[str, list]) -> None:
        scope, m = self.manifest["scope"], self.manifest
        mine = [r for r in records if r["in_scope"]]
        for stream, last in m.get("streams", {}).items():
            if sorted(versions.get(stream, [])) != list(range(1, last + 1)):
                self.add(0, "scope", f"stream {stream}: not every event 1..{last} is here")
        if scope["kind"] == "period":
            want = list(range(scope["first"], scope["last"] + 1))
            if [r["position"] for r in mine] != want:
                self.add(0, "scope", "the period's events are not every position "
                                     f"{scope['first']}..{scope['last']}")
        for r in mine:
            try:
                p = json.loads(base64.b64decode(r["state"]))
                if scope["kind"] == "case" and p["case"] != scope["case"]:
                    self.add(r["position"], "scope", "an event of another case")
            except (KeyError, ValueError, TypeError):
                pass  # reported as malformed above
        if len(mine) != m.get("events"):
            self.add(0, "scope", "the number of events is not the manifest's")

    def check_consistency(self, since: dict[str, Any], size: int, root: bytes,
                          proof: Any) -> None:
        try:
            old_size, old_root = self.check_note("since.note", since)
            ok = consistent(old_size, size, old_root, root,
                            [bytes.fromhex(h) for h in proof])
        except (KeyError, ValueError, TypeError):
            ok = False
        if not ok:
            self.add(0, "consistency", "the consistency proof from the older checkpoint "
                                       "does not verify")
        else:
            self.done.append((f"consistency proof from size {old_size}", 1))


def check(pack: Path, vkeys: list[str], witnesses: list[str] = ()) -> Check:
    """Every check of the pack at ``pack`` (folder or zip). ValueError for a bad vkey."""
    try:
        files = read_pack(Path(pack))
    except (OSError, zipfile.BadZipFile):
        files = {}
    return Check(files, vkeys, list(witnesses)).run()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="verify.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("pack", help="the pack's folder or .zip")
    ap.add_argument("--vkey", action="append", required=True,
                    help="the system key's C2SP vkey, pinned out of band; repeatable")
    ap.add_argument("--witness", action="append", default=[],
                    help="a witness's vkey whose cosignature the checkpoint must carry")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        result = check(Path(args.pack), args.vkey, args.witness)
    except (ValueError, binascii.Error):
        print("error: --vkey/--witness: not a C2SP vkey of the right type", file=sys.stderr)
        return 2
    problems = sorted(result.problems)
    shown = sum(1 for v in result.verified if v["in_scope"])
    if args.json:
        print(json.dumps({"ok": not problems, "events_verified": shown,
                          "checks": [{"check": c, "passed": k} for c, k in result.done],
                          "problems": [{"position": p, "kind": k, "detail": d}
                                       for p, k, d in problems]}, indent=2))
    else:
        for position, kind, detail in problems:
            print(f"position {position}: {kind}: {detail}")
        for what, passed in result.done:
            print(f"checked: {what}: {passed}")
        print(f"{shown} events verified: "
              + ("intact" if not problems else f"{len(problems)} problem(s)"))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
