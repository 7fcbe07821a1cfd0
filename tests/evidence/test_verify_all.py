"""verify.py's signature checks on every core (verify_pack.verify_all) give, for each
(key, signature, message), what one check in this process gives: a forgery in a big
pack is found at its own place, whichever worker checked it."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from evidence import verify_pack


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_every_core_finds_each_bad_signature_where_it_is():
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    tasks = []
    for i in range(2600):  # above the threshold for worker processes
        key = keys[i % 3]
        message = f"made-up event {i}".encode()
        tasks.append((_raw(key), key.sign(message), message))
    bad = {0, 7, 1299, 1300, 2599}
    for i in bad:
        pk, sig, msg = tasks[i]
        tasks[i] = (pk, sig, msg + b"!") if i % 2 else (pk, bytes(64), msg)
    tasks[11] = (b"short", tasks[11][1], tasks[11][2])  # not a key: refused, not raised
    bad.add(11)
    results = verify_pack.verify_all(tasks)
    assert [i for i, ok in enumerate(results) if not ok] == sorted(bad)
    assert results == [verify_pack.verifies(*t) for t in tasks]
