"""click's own usage errors (a value of the wrong type or outside a choice) name the option
and what was expected, never the value typed (house rule: an error never echoes input)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import cli

TYPED = "Made-Up Childname 01/02/2019"


@pytest.mark.parametrize(("args", "option"), [
    (["report", "compliance", "--from", "2026-01-01", "--to", "2026-01-31", "--format",
      TYPED], "--format"),
    (["report", "retention", "--older-than", TYPED], "--older-than"),
    (["checkpoint", "--proof-from", TYPED], "--proof-from"),
    (["actor", "add", "x1", "--role", TYPED], "--role"),
])
def test_a_bad_value_is_named_not_echoed(tmp_path, args, option):
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "h"), *args])
    assert result.exit_code == 2, result.output
    assert option in result.output and "expected" in result.output
    assert TYPED not in result.output and "Childname" not in result.output
