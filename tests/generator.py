"""A seeded generator of made-up, valid case histories, for property tests and benches.

Each case follows a prefix of one procedure path, shifted in time as a whole so that
cases start at different points of the past year, plus optional extra working events
(agency returns, chronology entries, action updates) to make long cases.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from typing import Any, Iterator

from domain.procedure import Intent
from service.writer import make_intent
from tests.scenario import LEARNING_PATH, THRESHOLD_MET_PATH, Step, data

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _shift(value: Any, days: int) -> Any:
    if isinstance(value, str) and _DATE.match(value):
        d = date.fromisoformat(value[:10]) + timedelta(days=days)
        return d.isoformat() + value[10:]
    if isinstance(value, dict):
        return {k: _shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, days) for v in value]
    return value


def case_steps(rng: random.Random, extra: int = 0) -> list[Step]:
    path = THRESHOLD_MET_PATH if rng.random() < 0.6 else LEARNING_PATH
    steps = list(path[: rng.randint(1, len(path))])
    closing = [s for s in steps if s[1] == "case-closed"]  # nothing may follow a closure
    steps = [s for s in steps if s[1] != "case-closed"]
    last = steps[-1][3]
    for i in range(extra):
        kind = rng.choice(["agency-information-received", "chronology-entry-added",
                           "action-updated"])
        have = {s[1] for s in steps}
        if kind == "chronology-entry-added" and "review-commissioned" not in have:
            kind = "agency-information-received"
        if kind == "action-updated":
            agreed = [s[2]["action"] for s in steps if s[1] == "action-agreed"]
            closed = {s[2]["action"] for s in steps
                      if s[1] in ("action-completed", "action-not-implemented")}
            open_ = [a for a in agreed if a not in closed]
            if not open_:
                kind = "agency-information-received"
            else:
                steps.append(("ag1", kind, {"action": rng.choice(open_),
                                            "note": f"made-up progress {i}"}, last))
                continue
        overrides = {"completed_by": f"officer {i}"} if kind.startswith("agency") else {}
        steps.append(("ag1", kind, overrides, last))
    return steps + closing


def generate(seed: int, cases: int, extra: int = 0, latest: date = date(2026, 10, 31),
             ) -> Iterator[tuple[str, list[tuple[str, str, dict[str, Any], str]]]]:
    """Yield (case reference, steps with dates already shifted) for each case."""
    rng = random.Random(seed)
    newest_in_paths = date(2026, 10, 16)
    for n in range(cases):
        ref = f"G-{seed}-{n:05d}"
        steps = case_steps(rng, extra)
        shift = rng.randint(-420, (latest - newest_in_paths).days)
        yield ref, [(actor, t, _shift(data(t, **o), shift),
                     _shift(occurred, shift)) for actor, t, o, occurred in steps]


def intents(ref: str, steps: list[tuple[str, str, dict[str, Any], str]],
            now: Any) -> list[Intent]:
    return [make_intent(t, ref, payload, occurred, actor, now)
            for actor, t, payload, occurred in steps]

