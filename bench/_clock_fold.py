"""The clocks of every case of a ledger, computed the fold's way and the domain's way, on
the same facts in one process (issue 13), for bench/projections.py."""

from __future__ import annotations

import time
from typing import Any, Callable

import domain.clocks
from domain.clocks import compute_clocks
from projections import batches
from projections.case_view import clock_facts, clocks_of
from projections.fold import HORIZON
from projections.rule_sets import RuleSetHistory
from projections.source import case_facts


def measure_fold(app: Any, cal: Any, progress: Callable[[str], None]) -> dict[str, Any]:
    """The clocks of every case of the ledger as the fold computes them (issue 13: each
    clock reads only its own facts, projections.clock_index) against the domain's scan of
    all of a case's facts for every clock (what the fold ran before), in this process on
    the same facts: CPU time, the domain's rule matches (``_matches`` calls), and whether
    every case's clocks agree."""
    real, calls = domain.clocks._matches, [0]

    def counting(ref: Any, fact: Any) -> bool:
        calls[0] += 1
        return real(ref, fact)

    history = RuleSetHistory.load(app)
    with app.engine.connect() as conn:
        refs = [ref for ref, _ in batches.all_cases(conn, app.events_table)]
    ways = {"indexed": lambda f, rs: clocks_of(f, rs, cal, HORIZON),
            "domain scan": lambda f, rs: compute_clocks(clock_facts(f), rs, cal, HORIZON)}
    cpu = dict.fromkeys(ways, 0.0)
    matches = dict.fromkeys(ways, 0)
    cases = events = differ = 0
    progress(f"clocks of {len(refs)} cases, both ways ...")
    domain.clocks._matches = counting
    try:
        for ref in refs:
            facts = case_facts(app, ref)
            if not any(f.type == "incident-referred" for f in facts):
                continue
            rule_set = history.for_case(facts)
            got = {}
            for name, fn in ways.items():
                calls[0] = 0
                t0 = time.process_time()
                got[name] = fn(facts, rule_set)
                cpu[name] += time.process_time() - t0
                matches[name] += calls[0]
            differ += got["indexed"] != got["domain scan"]
            cases, events = cases + 1, events + len(facts)
    finally:
        domain.clocks._matches = real
    ratio = cpu["domain scan"] / max(cpu["indexed"], 1e-9)
    progress(f"clocks of {cases} cases ({events} events): indexed {cpu['indexed']:.2f} s CPU, "
             f"{matches['indexed']} matches; domain scan {cpu['domain scan']:.2f} s, "
             f"{matches['domain scan']} matches ({ratio:.1f}x); {differ} cases differ")
    return {"cases": cases, "events": events, "differ": differ,
            "cpu_seconds": {k: round(v, 3) for k, v in cpu.items()}, "matches": matches,
            "speedup": round(ratio, 2)}
