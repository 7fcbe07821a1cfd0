"""The event catalogue against its contract, EVENTS.md, and its own promises.

Three kinds of test:
- conformance: EVENTS.md is parsed at test time and every row's types, roles, fields,
  optional/personal marks, enum choices and cited paragraphs are compared with the
  declarations, so the catalogue cannot silently drift from the spec;
- refusals, generated from the declarations (every required field removed, every field
  given a value of the wrong type, every enum given a value outside its choices), each
  checked to name the offending field;
- normalisation and JSON Schema, checked on one valid example per type (tests/domain/examples.py).
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import (
    EVENT_TYPES,
    EVENT_TYPES_BY_CLASS,
    ROLES,
    EventType,
    Field,
    describe,
    get_event_type,
    json_schema,
    personal_field_names,
    validate,
)
from domain.errors import InvalidFieldError, InvalidInputError, UnknownEventTypeError

try:
    from tests.domain.examples import VALID_EXAMPLES
except ImportError:  # tests/domain is not a package: pytest put this directory on sys.path
    from examples import VALID_EXAMPLES  # type: ignore[no-redef]

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "EVENTS.md"

# Who may read personal data (service/chronology.py READERS), written out independently.
_READERS = {"partner", "scrutineer", "reviewer", "business_unit", "ld_chair"}

# Implied by the spec (CLI.md `cspr init --rule-set`, PROCEDURE.md rule sets) but not listed.
# The types EVENTS.md lacks, and who may record each: admin's acts, and a witness's
# cosignature, which the system (or an admin) records back (issue 9).
EXTRA_TYPES = {"ledger-initialised": {"admin"}, "rule-set-adopted": {"admin"},
               "integrity-alarm-acknowledged": {"admin"},
               "checkpoint-cosigned": {"system", "admin"},
               # Issue 10: the record of who read, disclosed or erased personal data.
               "personal-data-accessed": _READERS, "personal-data-disclosed": _READERS,
               "personal-data-erased": {"admin"},
               # Issue 12: a person's own TOTP enrolment for the web service, any person.
               "actor-totp-enrolled": {"admin", "business_unit", "partner", "scrutineer",
                                       "ld_chair", "reviewer", "agency"}}

# Choices added to an EVENTS.md enum, each with its reason (keys may be added, never renamed).
EXTRA_CHOICES = {
    # Issue 11, §7.4: a looked-after child's death is notified "whether or not abuse or
    # neglect is known or suspected", so it must be recordable with neither.
    ("incident-referred", "abuse_or_neglect"): ("neither",),
}

# Issue 11 item 7: the optional field added to EVENTS.md's joint decisions (an optional
# field keeps every event already recorded valid), and the co-signature's own type,
# declared after the decisions, outside EVENTS.md's order: name -> (roles, stream).
EXTRA_FIELDS = {(name, "cosigners") for name in (
    "threshold-decided", "review-level-decided", "learning-route-approved",
    "publication-planned", "publication-declined", "final-report-signed-off")}
COSIGN_TYPES_EXPECTED = {"decision-cosigned": ({"partner", "scrutineer"}, "case")}

# Written out independently of the catalogue so that a wrong stream fails here.
EXPECTED_STREAMS = {
    "case": {
        "incident-referred", "reported-to-partners", "threshold-decided",
        "national-panel-notified", "referrer-informed", "notification-acknowledged",
        "looked-after-death-notified", "agency-information-received", "rapid-review-held",
        "rapid-review-sent-to-panel", "review-level-decided", "national-panel-decided",
        "learning-route-decided", "learning-route-approved", "case-closed",
        "deadline-breached", "personal-data-accessed", "personal-data-disclosed",
        "personal-data-erased", "decision-cosigned",
    },
    "review": {
        "review-commissioned", "terms-of-reference-agreed", "governance-group-met",
        "parallel-process-registered", "family-engagement-recorded", "chronology-entry-added",
        "draft-report-presented", "final-report-signed-off", "publication-planned",
        "report-sent-before-publication", "publication-delay-notified", "report-published",
        "publication-declined", "report-withdrawn",
    },
    "action": {
        "action-agreed", "action-updated", "action-completed", "action-extended",
        "action-escalated", "escalation-responded", "action-not-implemented",
    },
    "actor": {"actor-registered", "actor-key-rotated", "actor-revoked",
              "actor-totp-enrolled"},
    "ledger": {"ledger-initialised", "rule-set-adopted", "checkpoint-signed",
               "integrity-alarm-acknowledged", "checkpoint-cosigned"},
}

# Issue 11 item 8: the further paths docs/events-local.md adds (domain/catalogue_paths.py),
# written out independently: name -> (roles, stream). They sit after the referral and
# decision types in the catalogue, outside EVENTS.md's order.
PATH_TYPES_EXPECTED = {
    "national-panel-information-requested": ({"business_unit"}, "case"),
    "national-panel-information-sent": ({"business_unit"}, "case"),
    "national-review-scope-discussed": ({"partner"}, "case"),
    "family-informed": ({"business_unit", "partner", "reviewer"}, "case"),
    "learning-outcome-shared": ({"ld_chair"}, "case"),
    "reviewer-progress-requested": ({"partner"}, "review"),
    "reviewer-supervision-recorded": ({"partner"}, "review"),
    "media-strategy-approved": ({"partner"}, "review"),
    "coroner-request-received": ({"business_unit"}, "review"),
    "coroner-request-answered": ({"partner"}, "review"),
}
for _path_type, (_, _stream) in PATH_TYPES_EXPECTED.items():
    EXPECTED_STREAMS[_stream].add(_path_type)

# Issue 11 item 11: the agency directory docs/events-local.md adds
# (domain/catalogue_directory.py), declared last, partnership-wide: name -> (roles, stream).
DIRECTORY_TYPES_EXPECTED = {
    "agency-directory-entry-recorded": ({"admin", "business_unit", "ld_chair"}, "ledger"),
    "ld-chair-contact-recorded": ({"admin", "business_unit", "ld_chair"}, "ledger"),
}
for _directory_type, (_, _stream) in DIRECTORY_TYPES_EXPECTED.items():
    EXPECTED_STREAMS[_stream].add(_directory_type)


# --- EVENTS.md, parsed ----------------------------------------------------------------------


def _spec_rows() -> list[dict[str, Any]]:
    if not SPEC.is_file():
        pytest.skip(f"EVENTS.md not found at {SPEC}: conformance to the spec cannot be checked")
    rows, section = [], None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("|") and section is not None:
            # `\|` separates enum choices inside a cell; only a bare | separates cells.
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            names = re.findall(r"`([a-z]+(?:-[a-z]+)+)`", cells[0])
            if names:
                rows.append({
                    "names": names,
                    "section": section,
                    "by": {r.strip() for r in cells[1].split(",")},
                    "fields": cells[2],
                    "rules": cells[3] if len(cells) > 3 else None,
                })
    return rows


def _spec_names() -> list[str]:
    return [n for row in _spec_rows() for n in row["names"]]


_FIELD_RE = re.compile(r"([a-z_]+)(\?)?:\s*(.+)$")


def _parse_field(segment: str) -> dict[str, Any] | None:
    m = _FIELD_RE.match(segment)
    if m is None:
        return None
    name, question, rest = m.groups()
    parsed: dict[str, Any] = {
        "name": name,
        "optional": bool(question),
        "personal": "**P**" in rest,
        "default": None,
        "min_items": "(non-empty)" in rest,
        "must_be_all": "(both)" in rest or "(all three)" in rest,
        "conditional": "(required when" in rest,
        "range": None,
        "choices": (),
    }
    if default := re.search(r"=\s*(\w+)", rest):
        parsed["default"] = json.loads(default.group(1))
    if rest.startswith("{"):
        parsed["kind"] = "object"
    elif rest.startswith("["):
        inner = rest[1 : rest.index("]")]
        parsed["kind"] = "list"
        parsed["item_kind"] = "enum" if "`" in inner else inner.strip()
        parsed["choices"] = tuple(re.findall(r"`([^`]+)`", inner))
    elif rest.startswith("`"):
        parsed["kind"] = "enum"
        parsed["choices"] = tuple(re.findall(r"`([^`]+)`", rest))
    else:
        parsed["kind"] = rest.split()[0]
        if r := re.search(r"int (\d+)[–-](\d+)", rest):
            parsed["range"] = (int(r.group(1)), int(r.group(2)))
    return parsed


def _spec_field_rows() -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows whose fields column is a typed list (the ledger's own rows are prose)."""
    out = []
    for row in _spec_rows():
        parsed = [_parse_field(s.strip()) for s in row["fields"].split(";")]
        if all(p is not None for p in parsed):
            out.extend((name, parsed) for name in row["names"])
    return out


# --- conformance to EVENTS.md ---------------------------------------------------------------


def test_every_spec_type_is_declared_once_in_spec_order_plus_the_two_extras():
    spec_names = _spec_names()
    assert len(spec_names) == len(set(spec_names)) == 41
    spec_order = [n for n in EVENT_TYPES
                  if n not in PATH_TYPES_EXPECTED and n not in COSIGN_TYPES_EXPECTED
                  and n not in DIRECTORY_TYPES_EXPECTED]
    assert len(spec_order) == len(spec_names) + len(EXTRA_TYPES)
    assert spec_order == spec_names + list(EXTRA_TYPES)


def test_the_further_paths_have_their_roles_and_streams():
    for name, (roles, stream) in {**PATH_TYPES_EXPECTED, **COSIGN_TYPES_EXPECTED,
                                  **DIRECTORY_TYPES_EXPECTED}.items():
        assert (EVENT_TYPES[name].roles, EVENT_TYPES[name].stream) == (roles, stream), name


def test_roles_and_sections_match_the_spec():
    for row in _spec_rows():
        for name in row["names"]:
            t = EVENT_TYPES[name]
            assert t.roles == row["by"], name
            # Headings may carry a note in brackets, e.g. "Improvement actions (`action` ...)".
            assert row["section"] == t.section or row["section"].startswith(t.section + " ("), name


def test_the_extras_sit_with_the_ledgers_own_events_with_their_roles():
    for name, roles in EXTRA_TYPES.items():
        assert EVENT_TYPES[name].roles == roles
        assert EVENT_TYPES[name].section == EVENT_TYPES["checkpoint-signed"].section


@pytest.mark.parametrize("name", [n for n, _ in _spec_field_rows()] if SPEC.is_file() else [])
def test_fields_match_the_spec(name):
    spec_fields = dict(_spec_field_rows())[name]
    t = EVENT_TYPES[name]
    assert tuple(n for n in t.field_names if (name, n) not in EXTRA_FIELDS) == \
        tuple(f["name"] for f in spec_fields)
    conditional_targets = {target for target, _ in t.required_when}
    for spec in spec_fields:
        f = t.field(spec["name"])
        where = f"{name}.{f.name}"
        assert f.kind == spec["kind"], where
        assert f.personal == spec["personal"], where
        # "name?:" and "name: bool = false" are both optional to the person recording.
        assert f.required == (not spec["optional"] and spec["default"] is None), where
        assert f.default == spec["default"], where
        if spec["kind"] == "enum":
            extra = EXTRA_CHOICES.get((name, f.name), ())
            assert f.choices == spec["choices"] + extra, where
        if spec["kind"] == "list":
            assert f.item is not None and f.item.kind == spec["item_kind"], where
            assert f.item.choices == spec["choices"], where
            assert f.must_be_all == spec["must_be_all"], where
            if spec["min_items"]:
                assert f.min_items >= 1, where
        if spec["range"]:
            assert (f.minimum, f.maximum) == spec["range"], where
        assert (f.name in conditional_targets) == spec["conditional"], where


def test_rules_keep_the_spec_citations_and_clock_names():
    for row in _spec_rows():
        if not row["rules"]:
            continue
        cited = re.findall(r"§\d+(?:\.\d+)?(?:[–-]\d+(?:\.\d+)?)?|App\. \d+", row["rules"])
        backticked = re.findall(r"`([^`]+)`", row["rules"])
        for name in row["names"]:
            for token in cited + backticked:
                assert token in EVENT_TYPES[name].rules, (name, token)


def test_the_ledgers_own_types_have_the_briefed_fields():
    # EVENTS.md lists these fields in prose; the typed shape is a product decision.
    shapes = {
        "deadline-breached": {
            "clock": "text", "due_on": "date", "rule_set": "text", "calendar": "text",
        },
        "actor-registered": {
            "actor": "text", "roles": "list", "public_key": "text", "key_id": "text",
        },
        "actor-key-rotated": {"actor": "text", "public_key": "text", "key_id": "text"},
        "actor-revoked": {"actor": "text", "reason": "text"},
        "checkpoint-signed": {"size": "int", "root_hash": "text", "head_hash": "text",
                              "frontier": "list", "note_signature": "text"},
        "checkpoint-cosigned": {"size": "int", "root_hash": "text", "witness": "text",
                                "witness_key_hash": "text", "cosignature": "text",
                                "timestamp": "int"},
        "ledger-initialised": {"partnership": "text", "rule_set": "enum"},
        "rule-set-adopted": {"rule_set": "enum", "effective_from": "date"},
        "personal-data-accessed": {"purpose": "text", "fields": "list", "events": "int"},
        "personal-data-disclosed": {"to": "text", "purpose": "text", "fields": "list"},
        "personal-data-erased": {"reason": "text", "cosigned_by": "text",
                                 "cosignature": "text", "erased_on": "date"},
    }
    for name, shape in shapes.items():
        assert {f.name: f.kind for f in EVENT_TYPES[name].fields} == shape, name
    roles = EVENT_TYPES["actor-registered"].field("roles")
    assert roles.item is not None and roles.item.choices == ROLES and roles.min_items == 1


def test_streams():
    declared = {s: {n for n, t in EVENT_TYPES.items() if t.stream == s} for s in EXPECTED_STREAMS}
    assert declared == EXPECTED_STREAMS
    for name in EXPECTED_STREAMS["action"]:
        assert EVENT_TYPES[name].field("action").required


def test_roles_constant():
    assert ROLES == (
        "admin", "business_unit", "partner", "scrutineer", "ld_chair", "reviewer", "agency",
        "system",
    )


def test_class_names_are_pascal_case_and_index_the_types():
    assert EVENT_TYPES["incident-referred"].class_name == "IncidentReferred"
    assert EVENT_TYPES["looked-after-death-notified"].class_name == "LookedAfterDeathNotified"
    for name, t in EVENT_TYPES.items():
        assert re.fullmatch(r"(?:[A-Z][a-z]+)+", t.class_name), name
        assert EVENT_TYPES_BY_CLASS[t.class_name] is t


# --- help ---------------------------------------------------------------------------------


def _all_fields(fields: tuple[Field, ...], prefix: str = ""):
    for f in fields:
        yield prefix + f.name, f
        yield from _all_fields(f.fields, f"{prefix}{f.name}.")
        if f.item is not None:
            yield f"{prefix}{f.name}[]", f.item


def test_every_type_and_field_has_one_line_of_help():
    for name, t in EVENT_TYPES.items():
        assert t.help.strip() and "\n" not in t.help, name
        for path, f in _all_fields(t.fields):
            assert f.help.strip() and "\n" not in f.help, f"{name}.{path}"


def test_describe_shows_roles_rules_and_every_field():
    for name, t in EVENT_TYPES.items():
        text = describe(name)
        # Folded for a terminal; the words are compared with the folding undone.
        assert all(len(line) <= 96 for line in text.splitlines()), name
        flat = " ".join(text.split())
        assert flat.startswith(f"{name}: {' '.join(t.help.split())}")
        for role in t.roles:
            assert role in text
        for path, f in _all_fields(t.fields):
            if not path.endswith("[]"):
                assert path in flat and " ".join(f.help.split()) in flat, (name, path)
                assert f"expects {f.expected()}" in flat, (name, path)
    text = describe("threshold-decided")
    assert "learning_potential is required when meets_threshold is false" in text


# --- valid examples -----------------------------------------------------------------------


def test_there_is_a_valid_example_for_every_type():
    assert set(VALID_EXAMPLES) == set(EVENT_TYPES)


def _json_native(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_native(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_native(v) for v in value)
    return type(value) in (str, int, bool)


@pytest.mark.parametrize("name", list(VALID_EXAMPLES))
def test_valid_example_is_accepted_and_normalised(name):
    example = VALID_EXAMPLES[name]
    before = copy.deepcopy(example)
    out = validate(name, example)
    assert example == before, "validate must not change its input"
    assert out is not example
    assert _json_native(out)
    assert json.loads(json.dumps(out)) == out
    # Declared order, every given field kept, defaults filled in.
    defaulted = {f.name for f in EVENT_TYPES[name].fields if f.default is not None}
    assert list(out) == [n for n in EVENT_TYPES[name].field_names if n in example or n in defaulted]
    assert validate(name, out) == out, "normalised data must validate to itself"


def test_normalisation_of_an_example():
    data = dict(VALID_EXAMPLES["chronology-entry-added"])
    data["event_at"] = "2025-11-03T10:15:00.25+01:00"
    data["source"] = "  Agency B case file \n"
    out = validate("chronology-entry-added", data)
    assert out["event_at"] == "2025-11-03T09:15:00.250000Z"
    assert out["source"] == "Agency B case file"


def test_defaults_are_filled_in():
    optional = ("looked_after", "care_leaver_age", "child", "summary")
    minimal = {k: v for k, v in VALID_EXAMPLES["incident-referred"].items() if k not in optional}
    out = validate("incident-referred", minimal)
    assert out["looked_after"] is False
    assert "child" not in out and "summary" not in out and "care_leaver_age" not in out
    decided = validate("national-panel-decided", {"national_review": True})
    assert decided["further_information_requested"] is False
    initialised = validate("ledger-initialised", {"partnership": "Example Partnership"})
    assert initialised["rule_set"] == "wt2018-local"
    # A default never overrides what was given.
    assert validate("incident-referred", {**minimal, "looked_after": True})["looked_after"] is True


# --- refusals generated from the declarations ---------------------------------------------


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for key, after in zip(path[:-1], path[1:]):
        # An optional list the example leaves out (e.g. cosigners) is created as a list.
        target = target.setdefault(key, [] if isinstance(after, int) else {})
    if isinstance(path[-1], int) and isinstance(target, list) and not target:
        target.append(value)
    else:
        target[path[-1]] = value
    return out


def _delete(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return out


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def _paths(fields: tuple[Field, ...], prefix: tuple[Any, ...] = ()):
    """(path, field) for every field, sub-field and first list item."""
    for f in fields:
        yield prefix + (f.name,), f
        yield from _paths(f.fields, prefix + (f.name,))
        if f.item is not None:
            yield prefix + (f.name, 0), f.item


def _required_cases():
    for name, t in EVENT_TYPES.items():
        for path, f in _paths(t.fields):
            if f.required and not isinstance(path[-1], int):
                yield pytest.param(name, path, id=f"{name}:{_dotted(path)}")


@pytest.mark.parametrize(("name", "path"), list(_required_cases()))
def test_missing_required_field_is_refused_naming_it(name, path):
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, _delete(VALID_EXAMPLES[name], path))
    assert caught.value.field == _dotted(path)
    assert caught.value.problem == "missing"


WRONG_TYPE = {
    "text": 7,
    "date": 20251218,
    "datetime": 1764000000,
    "bool": "false",
    "int": "19",
    "enum": 1,
    "list": "Agency A",
    "object": ["Testchild Example"],
}


def _every_field_case():
    for name, t in EVENT_TYPES.items():
        for path, f in _paths(t.fields):
            yield pytest.param(name, path, f, id=f"{name}:{_dotted(path)}")


@pytest.mark.parametrize(("name", "path", "field"), list(_every_field_case()))
def test_wrong_type_is_refused_naming_the_field(name, path, field):
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, _set(VALID_EXAMPLES[name], path, WRONG_TYPE[field.kind]))
    assert caught.value.field == _dotted(path)
    assert caught.value.problem == "wrong type"
    assert caught.value.expected == field.expected()


@pytest.mark.parametrize(("name", "path", "field"), list(_every_field_case()))
def test_null_is_refused_naming_the_field(name, path, field):
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, _set(VALID_EXAMPLES[name], path, None))
    assert caught.value.field == _dotted(path)


def _enum_cases():
    for name, t in EVENT_TYPES.items():
        for path, f in _paths(t.fields):
            if f.kind == "enum":
                yield pytest.param(name, path, f, id=f"{name}:{_dotted(path)}")


@pytest.mark.parametrize(("name", "path", "field"), list(_enum_cases()))
def test_a_value_outside_the_choices_is_refused_listing_them(name, path, field):
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, _set(VALID_EXAMPLES[name], path, "not_a_choice"))
    assert caught.value.field == _dotted(path)
    for choice in field.choices:
        assert choice in caught.value.expected
    # Each choice is accepted (the example's other values stay as they are).
    for choice in field.choices:
        data = _set(VALID_EXAMPLES[name], path, choice)
        if field.choices and path[-1] == 0:
            data = _set(VALID_EXAMPLES[name], path[:-1], list(field.choices))
        validate(name, data)


def _non_empty_list_cases():
    for name, t in EVENT_TYPES.items():
        for path, f in _paths(t.fields):
            if f.kind == "list" and f.min_items:
                yield pytest.param(name, path, id=f"{name}:{_dotted(path)}")


@pytest.mark.parametrize(("name", "path"), list(_non_empty_list_cases()))
def test_an_empty_list_is_refused_where_one_is_required(name, path):
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, _set(VALID_EXAMPLES[name], path, []))
    assert caught.value.field == _dotted(path)
    assert caught.value.problem == "empty"


@pytest.mark.parametrize("name", list(EVENT_TYPES))
def test_an_unknown_field_is_refused_without_repeating_its_name(name):
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, {**VALID_EXAMPLES[name], "unexpected_field": "x"})
    # Issue 8: the name typed is never echoed (it could be a child's name); the error
    # names the object holding it and lists the declared fields.
    assert caught.value.field == "data"
    assert caught.value.problem == "unknown field"
    assert "unexpected_field" not in str(caught.value)
    for declared in EVENT_TYPES[name].field_names:
        assert declared in caught.value.expected


def test_an_unknown_nested_field_is_refused_with_its_path_and_a_hint():
    data = _set(VALID_EXAMPLES["incident-referred"], ("child", "Zephyrine Quillfeather"), "x")
    with pytest.raises(InvalidFieldError) as caught:
        validate("incident-referred", data)
    assert (caught.value.field, caught.value.problem) == ("child", "unknown field")
    assert "Zephyrine" not in str(caught.value)
    # A hint may name the declared field the typed one resembles, never the typed one.
    misspelt = _set(VALID_EXAMPLES["incident-referred"], ("recieved_on",), "2025-12-18")
    with pytest.raises(InvalidFieldError, match="did you mean 'received_on'") as caught:
        validate("incident-referred", misspelt)
    assert "recieved_on" not in str(caught.value)


@pytest.mark.parametrize("data", [None, [], "on=2025-12-19", 42, [("on", "2025-12-19")]])
def test_data_that_is_not_an_object_is_refused(data):
    with pytest.raises(InvalidFieldError) as caught:
        validate("reported-to-partners", data)
    assert caught.value.field == "data"


def test_an_unknown_type_is_refused_listing_the_known_ones():
    for bad in ("incident-reported", "IncidentReferred", "", ["incident-referred"]):
        with pytest.raises(UnknownEventTypeError) as caught:
            get_event_type(bad)
        assert "incident-referred" in str(caught.value) and "rule-set-adopted" in str(caught.value)
        with pytest.raises(UnknownEventTypeError):
            validate(bad, {})
    assert issubclass(UnknownEventTypeError, InvalidInputError)


# --- conditional requirements ---------------------------------------------------------------


def test_learning_potential_is_required_when_the_threshold_is_not_met():
    base = {"rationale": "Made-up rationale for a test.", "decided_by": ["Partner A"]}
    with pytest.raises(InvalidFieldError) as caught:
        validate("threshold-decided", {**base, "meets_threshold": False})
    assert (caught.value.field, caught.value.problem) == ("learning_potential", "missing")
    assert "meets_threshold is false" in caught.value.expected
    not_met = {**base, "meets_threshold": False, "learning_potential": False}
    assert validate("threshold-decided", not_met)["learning_potential"] is False
    met = validate("threshold-decided", {**base, "meets_threshold": True})
    assert "learning_potential" not in met


def test_rationale_is_required_when_consent_was_not_sought():
    with pytest.raises(InvalidFieldError) as caught:
        validate("family-engagement-recorded", {"consent": "not_sought"})
    assert (caught.value.field, caught.value.problem) == ("rationale", "missing")
    for consent in ("obtained", "refused"):
        assert validate("family-engagement-recorded", {"consent": consent}) == {"consent": consent}


def test_every_conditional_requirement_is_enforced():
    conditionals = [(n, c) for n, t in EVENT_TYPES.items() for c in t.required_when]
    # Issue 11 item 8 adds one: family-informed's rationale when consent is not sought.
    assert len([c for c in conditionals if c[0] not in PATH_TYPES_EXPECTED]) == 2
    assert [c for c in conditionals if c[0] in PATH_TYPES_EXPECTED] == [
        ("family-informed", ("rationale", ("consent", "not_sought")))]
    for name, (target, (condition, value)) in conditionals:
        data = {**VALID_EXAMPLES[name], condition: value}
        data.pop(target, None)
        with pytest.raises(InvalidFieldError) as caught:
            validate(name, data)
        assert caught.value.field == target


# --- kinds, one by one ----------------------------------------------------------------------


def _on(value: Any) -> dict[str, Any]:
    return validate("reported-to-partners", {"on": value})


@pytest.mark.parametrize(
    "value",
    [
        "2025-02-29", "2025-13-01", "2025-12-32", "20251218", "2025-W51-4", "18/12/2025",
        "2025-1-5", " 2025-12-18", "2025-12-18T00:00:00Z", "२०२५-१२-१८",
    ],
)
def test_a_bad_date_is_refused(value):
    with pytest.raises(InvalidFieldError) as caught:
        _on(value)
    assert caught.value.field == "on"
    assert "YYYY-MM-DD" in caught.value.expected


def test_dates_are_normalised_to_iso_text():
    assert _on("2024-02-29") == {"on": "2024-02-29"}
    assert _on(date(2025, 12, 18)) == {"on": "2025-12-18"}
    with pytest.raises(InvalidFieldError):
        _on(datetime(2025, 12, 18, tzinfo=timezone.utc))  # would silently drop the time


def _event_at(value: Any) -> str:
    data = {**VALID_EXAMPLES["chronology-entry-added"], "event_at": value}
    return validate("chronology-entry-added", data)["event_at"]


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("2025-11-03T09:15:00Z", "2025-11-03T09:15:00Z"),
        ("2025-11-03T09:15Z", "2025-11-03T09:15:00Z"),
        ("2025-11-03T09:15:00+00:00", "2025-11-03T09:15:00Z"),
        ("2025-07-03T10:15:00+01:00", "2025-07-03T09:15:00Z"),
        ("2025-11-03T00:30:00-05:30", "2025-11-03T06:00:00Z"),
        ("2025-11-03T23:30:00-01:00", "2025-11-04T00:30:00Z"),
        ("2025-11-03 09:15:00.123456+00:00", "2025-11-03T09:15:00.123456Z"),
        (datetime(2025, 11, 3, 10, 15, tzinfo=timezone(timedelta(hours=1))),
         "2025-11-03T09:15:00Z"),
    ],
)
def test_datetimes_are_normalised_to_utc(given, normalised):
    assert _event_at(given) == normalised


@pytest.mark.parametrize(
    "value", ["2025-11-03T09:15:00", "2025-11-03 09:15", datetime(2025, 11, 3, 9, 15)]
)
def test_a_time_without_offset_is_london_local_time(value):
    # Issue 11 (App. 6 asks for local times): 3 Nov 2025 is after the clocks went back on
    # Sun 26 Oct, so London is on GMT and 09:15 local is 09:15 UTC.
    assert _event_at(value) == "2025-11-03T09:15:00Z"


@pytest.mark.parametrize("value", ["2025-10-26T01:30", "2026-03-29T01:30"])
def test_a_local_time_at_a_clock_change_is_refused_naming_the_field(value):
    # 01:30 happens twice on Sun 26 Oct 2025 and never on Sun 29 Mar 2026.
    with pytest.raises(InvalidFieldError) as caught:
        _event_at(value)
    assert caught.value.field == "event_at"


@pytest.mark.parametrize(
    "value",
    [
        "2025-11-03", "2025-11-03T25:00:00Z", "2025-02-30T09:00:00Z", "yesterday",
        "2025-11-03T09:15:00.1234567Z", "0001-01-01T00:00:00+01:00",
    ],
)
def test_a_bad_datetime_is_refused(value):
    with pytest.raises(InvalidFieldError) as caught:
        _event_at(value)
    assert caught.value.field == "event_at"


@given(
    # Inside the date window (domain/limits.py) whatever the offset: a day in from each end.
    st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2100, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_datetime_normalisation_keeps_the_instant(moment, offset_minutes):
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    out = _event_at(aware.isoformat())
    assert out.endswith("Z") and "+" not in out
    assert datetime.fromisoformat(out) == aware
    assert _event_at(out) == out


def _control_or_surrogate(c: str) -> bool:
    """Independent oracle of the characters no text may hold (docs/limits.md)."""
    n = ord(c)
    return (n < 0x20 and c not in "\t\n\r") or 0x7F <= n <= 0x9F or 0xD800 <= n <= 0xDFFF


@given(st.text(max_size=40))
def test_text_is_stripped_and_never_blank(value):
    try:
        # A note, not a reason: reasons have their own minimum (test_issue11_validation).
        out = validate("action-updated", {"action": "R1.1", "note": value})["note"]
    except InvalidFieldError as e:
        assert e.field == "note"
        assert not value.strip() or any(_control_or_surrogate(c) for c in value)
    else:
        assert out == value.strip() and out


@pytest.mark.parametrize("value", [True, False, 0, 1, "true", None])
def test_bools_must_be_json_booleans(value):
    data = {**VALID_EXAMPLES["rapid-review-sent-to-panel"], "includes_minutes": value}
    if type(value) is bool:
        assert validate("rapid-review-sent-to-panel", data)["includes_minutes"] is value
    else:
        with pytest.raises(InvalidFieldError, match="includes_minutes"):
            validate("rapid-review-sent-to-panel", data)


@pytest.mark.parametrize(
    ("value", "ok"),
    [(18, True), (24, True), (17, False), (25, False), (-1, False), (True, False),
     (19.0, False), ("19", False)],
)
def test_care_leaver_age_is_a_whole_number_from_18_to_24(value, ok):
    data = {**VALID_EXAMPLES["incident-referred"], "care_leaver_age": value}
    if ok:
        assert validate("incident-referred", data)["care_leaver_age"] == value
    else:
        with pytest.raises(InvalidFieldError) as caught:
            validate("incident-referred", data)
        assert caught.value.field == "care_leaver_age"
        assert "18 to 24" in caught.value.expected


def test_checkpoint_size_may_be_zero_but_not_negative():
    data = VALID_EXAMPLES["checkpoint-signed"]
    assert validate("checkpoint-signed", {**data, "size": 0})["size"] == 0
    with pytest.raises(InvalidFieldError, match="size"):
        validate("checkpoint-signed", {**data, "size": -1})


def test_recipients_must_include_everyone_the_spec_requires():
    name = "looked-after-death-notified"
    for partial in (["dfe"], ["ofsted"]):
        with pytest.raises(InvalidFieldError) as caught:
            validate(name, {"on": "2025-12-22", "recipients": partial})
        assert caught.value.field == "recipients"
        assert caught.value.problem == f"missing {({'dfe', 'ofsted'} - set(partial)).pop()}"
    out = validate(name, {"on": "2025-12-22", "recipients": ["ofsted", "dfe"]})
    assert out["recipients"] == ["ofsted", "dfe"]
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, {"on": "2025-12-22", "recipients": ["dfe", "ofsted", "dfe"]})
    assert caught.value.field == "recipients[2]"
    name = "report-sent-before-publication"
    with pytest.raises(InvalidFieldError, match="missing ofsted"):
        validate(name, {"on": "2026-06-19", "recipients": ["national_panel", "secretary_of_state"]})
    # A delay notice need not go to both in one event (EVENTS.md does not say "(both)").
    assert validate("publication-delay-notified",
                    {"reason": "Made-up inquest delay.", "recipients": ["national_panel"]})


def test_list_items_are_named_by_index():
    data = {**VALID_EXAMPLES["rapid-review-held"], "present": ["Partner A", "Officer B", "  "]}
    with pytest.raises(InvalidFieldError) as caught:
        validate("rapid-review-held", data)
    assert (caught.value.field, caught.value.problem) == ("present[2]", "empty")
    # Order is kept: it may matter to a reader of the minutes.
    assert validate("rapid-review-held", {**data, "present": ["Z", "A"]})["present"] == ["Z", "A"]
    assert validate("rapid-review-held", {**data, "present": ("Z", "A")})["present"] == ["Z", "A"]
    # apologies may be empty: a meeting with no apologies is normal.
    out = validate("rapid-review-held", {**data, "present": ["A"], "apologies": []})
    assert out["apologies"] == []


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("actor", "officer.a", True),
        ("actor", "a", True),
        ("actor", "a" * 32, True),
        ("actor", "a" * 33, False),
        ("actor", "Officer", False),
        ("actor", "1officer", False),
        ("actor", "officer a", False),
        ("public_key", "ab" * 32, True),
        ("public_key", "ab" * 31, False),
        ("public_key", "AB" * 32, False),
        ("public_key", "zz" * 32, False),
    ],
)
def test_actor_names_and_keys_have_their_form(field, value, ok):
    data = {**VALID_EXAMPLES["actor-registered"], field: value}
    if ok:
        assert validate("actor-registered", data)[field] == value
    else:
        with pytest.raises(InvalidFieldError) as caught:
            validate("actor-registered", data)
        assert caught.value.field == field


def test_actor_roles_are_roles_and_not_repeated():
    base = VALID_EXAMPLES["actor-registered"]
    cases = ((["chief"], "roles[0]"), ([], "roles"), (["agency", "agency"], "roles[1]"))
    for roles, field in cases:
        with pytest.raises(InvalidFieldError) as caught:
            validate("actor-registered", {**base, "roles": roles})
        assert caught.value.field == field
    assert validate("actor-registered", {**base, "roles": list(ROLES)})["roles"] == list(ROLES)


def test_nested_object_fields_are_named_by_dotted_path():
    data = _set(VALID_EXAMPLES["incident-referred"], ("child", "dob"), "2015-02-30")
    with pytest.raises(InvalidFieldError) as caught:
        validate("incident-referred", data)
    assert caught.value.field == "child.dob"
    data = _set(VALID_EXAMPLES["incident-referred"], ("child",), {"name": " Testchild Example "})
    out = validate("incident-referred", data)
    assert out["child"] == {"name": "Testchild Example"}


def test_errors_never_repeat_the_value_given():
    # errors.py: messages carry field names, never values (a value may be personal data).
    secret = "Testchild-Secret-Value"
    attempts = [
        ("incident-referred", _set(VALID_EXAMPLES["incident-referred"], ("child", "dob"), secret)),
        ("incident-referred", {**VALID_EXAMPLES["incident-referred"], "harm": secret}),
        ("chronology-entry-added",
         _set(VALID_EXAMPLES["chronology-entry-added"], ("event_at",), secret)),
        ("actor-registered", {**VALID_EXAMPLES["actor-registered"], "actor": secret}),
        ("looked-after-death-notified", {"on": "2025-12-22", "recipients": [secret]}),
    ]
    for name, data in attempts:
        with pytest.raises(InvalidFieldError) as caught:
            validate(name, data)
        assert secret not in str(caught.value)
        assert secret not in caught.value.expected


# --- personal data ------------------------------------------------------------------------


def test_personal_field_names():
    assert personal_field_names("incident-referred") == ("child", "summary")
    assert personal_field_names("agency-information-received") == (
        "nature_of_involvement", "facts_known",
    )
    assert personal_field_names("chronology-entry-added") == (
        "significant_event", "who_involved", "decisions_outcome", "child_views", "author_comments",
    )
    assert personal_field_names("family-engagement-recorded") == ("notes",)
    assert personal_field_names("threshold-decided") == ()
    # The record of a read names fields, never values: none of it is itself personal.
    for name in ("personal-data-accessed", "personal-data-disclosed", "personal-data-erased"):
        assert personal_field_names(name) == (), name
    item = EVENT_TYPES["personal-data-accessed"].field("fields").item
    assert item is not None and item.pattern is not None
    with pytest.raises(InvalidFieldError):
        validate("personal-data-accessed", {"purpose": "p", "fields": ["Testchild Example"],
                                            "events": 1})
    with pytest.raises(UnknownEventTypeError):
        personal_field_names("no-such-type")


def test_every_field_inside_a_personal_object_is_personal():
    child = EVENT_TYPES["incident-referred"].field("child")
    assert child.personal and all(f.personal for f in child.fields)
    assert [(f.name, f.required) for f in child.fields] == [
        ("name", True), ("dob", False), ("address", False),
    ]


# --- declarations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "x", "kind": "float", "help": "h"},
        {"name": "x", "kind": "enum", "help": "h"},
        {"name": "x", "kind": "text", "help": "h", "choices": ("a",)},
        {"name": "x", "kind": "list", "help": "h"},
        {"name": "x", "kind": "object", "help": "h"},
        {"name": "x", "kind": "text", "help": "h", "minimum": 1},
        {"name": "x", "kind": "bool", "help": "h", "default": False},  # required with a default
        {"name": "x", "kind": "text", "help": ""},
        {"name": "x", "kind": "text", "help": "two\nlines"},
        {"name": "x", "kind": "list", "help": "h", "item": Field("i", "text", help="h"),
         "must_be_all": True},
    ],
)
def test_a_bad_field_declaration_fails_at_import_time(kwargs):
    with pytest.raises(ValueError):
        Field(**kwargs)


def test_a_bad_event_declaration_fails_at_import_time():
    good = EVENT_TYPES["threshold-decided"]
    fields = good.fields
    for change in (
        {"class_name": "Wrong"},
        {"roles": frozenset({"chief"})},
        {"roles": frozenset()},
        {"stream": "elsewhere"},
        {"fields": fields + (fields[0],)},
        {"required_when": (("nope", ("meets_threshold", False)),)},
        {"required_when": (("rationale", ("meets_threshold", False)),)},
    ):
        with pytest.raises(ValueError):
            EventType(**{**good.__dict__, **change})


# --- JSON Schema --------------------------------------------------------------------------

_KNOWN_KEYWORDS = {
    "$schema", "$id", "$defs", "$ref", "title", "description", "default",
    "type", "properties", "required", "additionalProperties", "enum", "const",
    "items", "minItems", "maxItems", "uniqueItems", "contains", "minimum", "maximum",
    "minLength", "maxLength",
    "pattern", "format", "allOf", "oneOf", "if", "then",
}
_JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def schema_errors(
    schema: dict[str, Any], value: Any, root: dict[str, Any], path: str = "$"
) -> list[str]:
    """A small structural checker for the keywords the catalogue emits, and no others."""
    unknown = {k for k in schema if k not in _KNOWN_KEYWORDS and not k.startswith("x-")}
    assert not unknown, f"the schema uses keywords this checker does not know: {unknown}"
    errors: list[str] = []
    if "$ref" in schema:
        assert schema["$ref"].startswith("#/$defs/")
        errors += schema_errors(root["$defs"][schema["$ref"][len("#/$defs/"):]], value, root, path)
    if "type" in schema and not _JSON_TYPES[schema["type"]](value):
        return errors + [f"{path}: not {schema['type']}"]
    if "enum" in schema and not any(_same(value, c) for c in schema["enum"]):
        errors.append(f"{path}: not in enum")
    if "const" in schema and not _same(value, schema["const"]):
        errors.append(f"{path}: not const")
    if isinstance(value, dict):
        errors += [f"{path}.{k}: required" for k in schema.get("required", ()) if k not in value]
        for k, v in value.items():
            if k in schema.get("properties", {}):
                errors += schema_errors(schema["properties"][k], v, root, f"{path}.{k}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}.{k}: additional property")
    if isinstance(value, list):
        if "items" in schema:
            for i, v in enumerate(value):
                errors += schema_errors(schema["items"], v, root, f"{path}[{i}]")
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: too few items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: too many items")
        if schema.get("uniqueItems") and len({json.dumps(v) for v in value}) != len(value):
            errors.append(f"{path}: repeated items")
        contains = schema.get("contains")
        if contains is not None and all(schema_errors(contains, v, root) for v in value):
            errors.append(f"{path}: contains nothing matching")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: too short")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: too long")
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            errors.append(f"{path}: pattern")
        if schema.get("format") == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                errors.append(f"{path}: not a date")
        if schema.get("format") == "date-time":
            try:
                assert datetime.fromisoformat(value).tzinfo is not None
            except (ValueError, AssertionError):
                errors.append(f"{path}: not a date-time")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: above maximum")
    for sub in schema.get("allOf", ()):
        errors += schema_errors(sub, value, root, path)
    if "oneOf" in schema:
        matches = sum(not schema_errors(sub, value, root, path) for sub in schema["oneOf"])
        if matches != 1:
            errors.append(f"{path}: matches {matches} of oneOf")
    if "if" in schema and not schema_errors(schema["if"], value, root, path):
        errors += schema_errors(schema.get("then", {}), value, root, path)
    return errors


@pytest.mark.parametrize("name", list(EVENT_TYPES))
def test_each_types_schema_accepts_its_valid_example_and_its_normal_form(name):
    schema = json_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == name
    json.dumps(schema)  # must be plain JSON
    assert schema_errors(schema, VALID_EXAMPLES[name], schema) == []
    assert schema_errors(schema, validate(name, VALID_EXAMPLES[name]), schema) == []


@pytest.mark.parametrize("name", list(EVENT_TYPES))
def test_each_types_schema_mirrors_the_declaration(name):
    t = EVENT_TYPES[name]
    schema = json_schema(name)
    assert list(schema["properties"]) == list(t.field_names)
    assert schema["required"] == [f.name for f in t.fields if f.required]
    assert schema["additionalProperties"] is False
    assert schema["x-personal"] == list(personal_field_names(name))
    assert set(schema["x-roles"]) == t.roles and schema["x-stream"] == t.stream
    for path, f in _paths(t.fields):
        node = schema
        for key in path:
            node = node["items"] if isinstance(key, int) else node["properties"][key]
        if f.kind == "enum":
            assert node["enum"] == list(f.choices)
        assert node["description"] == f.help


@pytest.mark.parametrize("name", list(EVENT_TYPES))
def test_each_types_schema_refuses_what_validate_refuses(name):
    schema = json_schema(name)
    example = VALID_EXAMPLES[name]
    assert schema_errors(schema, {**example, "unexpected_field": "x"}, schema)
    for path, f in _paths(EVENT_TYPES[name].fields):
        assert schema_errors(schema, _set(example, path, WRONG_TYPE[f.kind]), schema), _dotted(path)
        if f.required and not isinstance(path[-1], int):
            assert schema_errors(schema, _delete(example, path), schema), _dotted(path)
        if f.kind == "enum":
            assert schema_errors(schema, _set(example, path, "not_a_choice"), schema), _dotted(path)


def test_schema_expresses_the_special_cases():
    td = json_schema("threshold-decided")
    met = {"meets_threshold": True, "rationale": "Made-up rationale for a test.",
           "decided_by": ["a"]}
    assert schema_errors(td, {**met, "meets_threshold": False}, td)
    assert not schema_errors(td, met, td)
    # Issue 11: a placeholder reason is refused by the schema too (minLength 10).
    assert schema_errors(td, {**met, "rationale": "..."}, td)
    la = json_schema("looked-after-death-notified")
    assert schema_errors(la, {"on": "2025-12-22", "recipients": ["dfe"]}, la)
    ir = json_schema("incident-referred")
    assert schema_errors(ir, {**VALID_EXAMPLES["incident-referred"], "care_leaver_age": 25}, ir)
    assert schema_errors(ir, {**VALID_EXAMPLES["incident-referred"], "referring_agency": "   "}, ir)
    assert ir["properties"]["looked_after"]["default"] is False
    assert ir["properties"]["child"]["x-personal"] is True
    ar = json_schema("actor-registered")
    assert schema_errors(ar, {**VALID_EXAMPLES["actor-registered"], "actor": "Officer"}, ar)
    assert not schema_errors(ar, VALID_EXAMPLES["actor-registered"], ar)


def test_the_all_types_schema_picks_exactly_one_type_per_event():
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(schema["$defs"]) == list(EVENT_TYPES)
    assert len(schema["oneOf"]) == len(EVENT_TYPES)
    assert all("$schema" not in d for d in schema["$defs"].values())
    json.dumps(schema)
    for name, example in VALID_EXAMPLES.items():
        envelope = {"type": name, "case": "TEST/0001", "data": example}
        assert schema_errors(schema, envelope, schema) == [], name
    # Shared shapes ({"on": date}) must not make an event ambiguous or pass as another type.
    informed = {"type": "referrer-informed", "data": {"on": "2025-12-19"}}
    assert schema_errors(schema, informed, schema) == []
    assert schema_errors(schema, {"type": "no-such-type", "data": {"on": "2025-12-19"}}, schema)
    assert schema_errors(schema, {"type": "action-updated", "data": {"on": "2025-12-19"}}, schema)
    with pytest.raises(UnknownEventTypeError):
        json_schema("no-such-type")
