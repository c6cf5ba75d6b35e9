"""Reading hand-edited YAML configuration with a line number on every complaint.

Shared by the organisation network (backend/org_network_loader.py) and the routing rules
(backend/routing_rules.py). The file is composed into a node tree, which knows every line, and
constructed into plain data, which is read item by item against a small declarative spec
(FieldSpec). A loc (a path such as ("mediators", 3, "role")) ties each value back to its line,
so every message names one; problems are collected and reported all at once, in line order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

Loc = tuple[str | int, ...]  # a path into the data, like ("mediators", 3, "role")


class ConfigFileError(ValueError):
    """Every problem found in a file, each "<file>:<line>: <message>", in line order."""

    what = "the file"

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(
            f"{len(self.errors)} error(s) in {self.what}:\n"
            + "\n".join(f"  {e}" for e in self.errors)
        )


@dataclass(frozen=True)
class FieldSpec:
    """One key of an item. kind: str, int, list (of str), bool, items (a list of mappings, each
    read on its own) or any; check: the allowed values, a regex to match, or a predicate;
    attr: the dataclass field it fills when not named like the key."""

    kind: str = "str"
    required: bool = True
    check: tuple[str, ...] | re.Pattern[str] | Callable[[Any], bool] | None = None
    hint: str = ""
    default: Any = None
    attr: str = ""


def read_yaml(path: Path, error: type[ConfigFileError]) -> tuple[Node, Any]:
    """The file's node tree and its plain data; `error` listing the problem when it is not
    YAML or is empty."""
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        root = loader.get_single_node()  # the node tree has the lines; data is built from it
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            [
                f"{path.name}:{mark.line + 1 if mark else 1}: invalid YAML: "
                f"{getattr(exc, 'problem', None) or exc}"
            ]
        ) from None
    finally:
        loader.dispose()
    if root is None:
        raise error([f"{path.name}:1: the file is empty"])
    return root, data


def dig(data: Any, loc: Loc) -> Any:
    """The value at `loc`, or None when any step is missing."""
    for step in loc:
        ok = isinstance(data, list) and isinstance(step, int) and step < len(data)
        data = data.get(step) if isinstance(data, dict) else data[step] if ok else None
    return data


class Checker:
    """Line index and problem list of one file, and the reading of values against specs.

    A wrong value is reported and read as None, so the caller can go on and report the
    file's other problems in the same run."""

    def __init__(self, filename: str, root: Node, data: Any) -> None:
        self.filename, self.data = filename, data
        self.problems: list[tuple[int, str]] = []
        self.lines: dict[Loc, int] = {(): root.start_mark.line + 1}
        self.walk(root, ())

    def walk(self, node: Node, loc: Loc) -> None:
        """Index lines by loc (a mapping value by its key's line); report duplicate keys,
        which YAML would silently collapse into the last one."""
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if (*loc, key.value) in self.lines:
                    self.error(key.start_mark.line + 1, f"duplicate key '{key.value}'")
                self.lines.setdefault((*loc, key.value), key.start_mark.line + 1)
                self.walk(value, (*loc, key.value))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*loc, i)] = item.start_mark.line + 1
                self.walk(item, (*loc, i))

    def error(self, loc: Loc | int, message: str) -> None:
        while not isinstance(loc, int) and loc not in self.lines:
            loc = loc[:-1]  # a missing key: report its parent's line
        self.problems.append((loc if isinstance(loc, int) else self.lines[loc], message))

    def line(self, loc: Loc) -> int:
        while loc not in self.lines:
            loc = loc[:-1]
        return self.lines[loc]

    def read_mapping(
        self, raw: dict[str, Any], loc: Loc, label: str, spec: dict[str, FieldSpec]
    ) -> dict[str, Any]:
        """The mapping `raw` (found at `loc`) read per `spec`: unknown and missing keys are
        reported; the result is keyed by the field each value fills, wrong values None."""
        for key in raw.keys() - spec.keys():
            self.error((*loc, key), f"{label}: unknown key '{key}'")
        for key in (k for k, f in spec.items() if f.required and k not in raw):
            self.error(loc, f"{label}: missing '{key}'")
        return {
            f.attr or k: self.value(raw[k], f, (*loc, k), label, k) if k in raw else f.default
            for k, f in spec.items()
        }

    def value(self, value: Any, f: FieldSpec, loc: Loc, label: str, key: str) -> Any:
        """The value read per `f`, or None after reporting what is wrong with it."""
        if f.kind in ("list", "items") and not isinstance(value, list):
            return self.error(loc, f"{label}: '{key}' must be a list")
        if f.kind in ("items", "any"):
            return value
        if f.kind == "list":
            item = FieldSpec(check=f.check, hint=f.hint)
            return tuple(self.value(v, item, (*loc, i), label, key) for i, v in enumerate(value))
        if f.kind == "bool":
            if isinstance(value, bool):
                return value
            return self.error(loc, f"{label}: '{key}' must be true or false")
        if f.kind == "int":
            if type(value) is not int:
                return self.error(loc, f"{label}: '{key}' must be a whole number, like 100000")
            if callable(f.check) and not f.check(value):
                return self.error(loc, f"{label}: bad {key} {value} ({f.hint})")
            return value
        if not (isinstance(value, str) and value.strip()):
            quote = " (quote it)" if isinstance(value, int | float) else ""
            return self.error(loc, f"{label}: '{key}' must be a non-empty string{quote}")
        value, check, noun = value.strip(), f.check, key.removesuffix("s")
        if isinstance(check, tuple) and value not in check:
            return self.error(
                loc,
                f"{label}: unknown {noun} '{value}' "
                f"({f.hint or 'expected one of ' + ', '.join(check)})",
            )
        matches = check.fullmatch if isinstance(check, re.Pattern) else check
        if callable(matches) and not matches(value):
            return self.error(loc, f"{label}: bad {noun} '{value}' ({f.hint})")
        return value

    def fail_if_problems(self, error: type[ConfigFileError]) -> None:
        """Raise `error` with every problem found, in line order, if there was any."""
        if self.problems:
            raise error(
                [
                    f"{self.filename}:{line}: {message}"
                    for line, message in sorted(self.problems, key=lambda p: p[0])
                ]
            )
