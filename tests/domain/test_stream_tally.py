"""A stream's count of a type (what rules such as "the case is closed" read) is kept as
facts are applied, not recounted: it must agree with the facts themselves, whether the
stream was built by recording or by replaying its events (as a load does)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from domain.events import EVENT_CLASSES
from domain.streams import Case, stream_id

T0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
TYPES = ["agency-information-received", "case-closed", "threshold-decided",
         "chronology-entry-added"]


def _content(type_name: str) -> dict:
    return dict(type=type_name, case="TALLY-1", data={"made_up": True},
                occurred_at="2026-01-05", actor="ag1")


@given(st.lists(st.sampled_from(TYPES), max_size=40))
def test_count_agrees_with_the_facts_recorded_and_replayed(types):
    case = Case.open(EVENT_CLASSES["incident-referred"], id=stream_id("case", "TALLY-1"),
                     recorded_at=T0, **_content("incident-referred"))
    for i, t in enumerate(types, start=1):
        case.append(EVENT_CLASSES[t], recorded_at=T0 + timedelta(seconds=i), **_content(t))
    replayed = reduce(lambda s, e: e.mutate(s), case.collect_events(), None)
    for stream in (case, replayed):
        for t in TYPES + ["incident-referred", "never-recorded"]:
            assert stream.count(t) == sum(1 for f in stream.facts if f.type == t)
    assert replayed.count("incident-referred") == 1
