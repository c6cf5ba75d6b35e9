"""The shared line-numbered YAML reading (organisations and routing rules use it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.yaml_check import Checker, ConfigFileError, FieldSpec, dig, read_yaml

TEXT = """\
name: 演示
size: 12
items:
  - {code: a, tags: [x, y]}
  - code: b
    flag: maybe
"""


class _DemoError(ConfigFileError):
    what = "the demo file"


def _checker(tmp_path: Path, text: str = TEXT) -> Checker:
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    root, data = read_yaml(path, _DemoError)
    return Checker(path.name, root, data)


def test_lines_are_indexed_by_path(tmp_path: Path) -> None:
    c = _checker(tmp_path)
    assert c.lines[("size",)] == 2 and c.lines[("items", 1)] == 5
    assert c.lines[("items", 0, "tags", 1)] == 4 and c.line(("items", 1, "missing")) == 5
    assert dig(c.data, ("items", 0, "tags", 1)) == "y" and dig(c.data, ("items", 9)) is None


def test_values_are_read_per_spec_and_problems_kept_in_line_order(tmp_path: Path) -> None:
    c = _checker(tmp_path)
    spec = {
        "code": FieldSpec(check=re.compile(r"[a-z]+"), hint="letters"),
        "tags": FieldSpec("list", required=False, check=("x", "z"), default=()),
        "flag": FieldSpec("bool", required=False, default=False),
        "size": FieldSpec("int", required=True, check=lambda n: n > 20, hint="over 20"),
    }
    first = c.read_mapping(c.data["items"][0], ("items", 0), "item 'a'", spec)
    assert first["tags"] == ("x", None) and first["flag"] is False
    second = c.read_mapping(c.data["items"][1], ("items", 1), "item 'b'", spec)
    assert second["flag"] is None
    assert c.value(12, spec["size"], ("size",), "file", "size") is None
    assert c.value("12", spec["size"], ("size",), "file", "size") is None
    assert c.value(25, spec["size"], ("size",), "file", "size") == 25
    with pytest.raises(_DemoError) as info:
        c.fail_if_problems(_DemoError)
    assert info.value.errors == [
        "demo.yaml:2: file: bad size 12 (over 20)",
        "demo.yaml:2: file: 'size' must be a whole number, like 100000",
        "demo.yaml:4: item 'a': missing 'size'",
        "demo.yaml:4: item 'a': unknown tag 'y' (expected one of x, z)",
        "demo.yaml:5: item 'b': missing 'size'",
        "demo.yaml:6: item 'b': 'flag' must be true or false",
    ]
    assert str(info.value).startswith("6 error(s) in the demo file:\n  demo.yaml:2:")


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    c = _checker(tmp_path, "a: 1\nb: 2\na: 3\n")
    assert c.problems == [(3, "duplicate key 'a'")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "demo.yaml:1: the file is empty"), ("a: [1\nb: 2\n", "demo.yaml:2: invalid YAML")],
)
def test_unreadable_files(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(_DemoError) as info:
        _checker(tmp_path, text)
    assert info.value.errors[0].startswith(expected)
