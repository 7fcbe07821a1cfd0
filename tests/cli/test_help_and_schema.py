"""One declaration drives the help and the schema a person or a system reads."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import cli
from domain.catalogue import EVENT_TYPES


def test_record_help_lists_every_field_of_the_type():
    out = CliRunner().invoke(cli, ["record", "threshold-decided", "--help"]).output
    for f in EVENT_TYPES["threshold-decided"].fields:
        assert f.name in out
    assert "learning_potential is required when meets_threshold is false" in out
    assert "partner" in out  # who may record it


def test_schema_of_one_type_and_of_all():
    one = json.loads(CliRunner().invoke(cli, ["schema", "action-extended"]).output)
    assert set(one["required"]) >= {"action", "new_deadline", "requested_by_chief_officer"}
    everything = json.loads(CliRunner().invoke(cli, ["schema"]).output)
    assert set(everything["$defs"]) == set(EVENT_TYPES)


def test_unknown_type_exits_2_listing_known_types():
    result = CliRunner().invoke(cli, ["record", "incident-refered", "--case", "X"])
    assert result.exit_code == 2
    assert "incident-referred" in result.stderr
