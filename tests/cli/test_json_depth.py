"""The depth limit on raw JSON (limits.JSON_MAX_DEPTH) at its boundary: a line with few
brackets skips the scan, so the boundary is checked both ways, and brackets inside
strings never count."""

from __future__ import annotations

import pytest

from domain import limits
from domain.errors import InvalidFieldError
from service.recording import parse_data

N = limits.JSON_MAX_DEPTH


def nested(depth: int) -> str:
    """An object ``depth`` deep: the object itself, then lists."""
    return '{"x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_exactly_the_limit_is_parsed_and_one_more_is_refused():
    assert parse_data(nested(N))["x"] is not None
    with pytest.raises(InvalidFieldError, match="nested too deep"):
        parse_data(nested(N + 1))


def test_brackets_in_strings_do_not_count_even_when_there_are_many():
    text = '{"x": "' + "[{" * (3 * N) + '\\"]", "y": ' + "[" * (N - 1) + "]" * (N - 1) + "}"
    assert parse_data(text)["x"].startswith("[{")
    deeper = '{"x": "' + "[" * N + '", "y": ' + "[" * N + "]" * N + "}"
    with pytest.raises(InvalidFieldError, match="nested too deep"):
        parse_data(deeper)


def test_many_brackets_side_by_side_are_not_depth():
    assert len(parse_data('{"x": [' + ", ".join(["[]"] * (5 * N)) + "]}")["x"]) == 5 * N
