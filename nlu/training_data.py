"""Loads Rasa 3.x NLU training files (the format our data is written in) without needing Rasa.

The same `nlu/data/*.yml` files train Rasa and the builtin model, so this loader follows Rasa's
syntax: `- intent:` / `- synonym:` / `- lookup:` / `- regex:` items with an `examples: |` block
of `- text` lines; entity annotations `[text](entity)`, `[text](entity:value)` and
`[text]{"entity": ..., "value": ...}`. Errors name the file and line so data writers can fix them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nlu.types import CATEGORIES, DIALOGUE_INTENTS, DISPUTE_INTENT_PREFIX

log = logging.getLogger(__name__)

# Bump whenever the builtin model's featurisation, classifier or pickled layout changes: it is
# part of the cache fingerprint, so a stale cached model is never loaded by newer code.
MODEL_VERSION = "builtin-1"

DATA_SUFFIXES = (".yml", ".yaml")
ITEM_KINDS = ("intent", "synonym", "lookup", "regex")
_ITEM_KEYS = {*ITEM_KINDS, "examples", "metadata"}

# `[text]` followed by `(entity)`, `(entity:value)` or `{json}`; same shapes Rasa accepts.
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]*)\]"
    r"(?:\((?P<entity>[^():]*)(?::(?P<value>[^()]*))?\)|(?P<json>\{[^{}]*\}))"
)


class TrainingDataError(ValueError):
    """Malformed training data; the message starts with `file:line:`."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity; `start`/`end` index the plain (annotation-free) text."""

    entity: str
    start: int
    end: int
    value: str
    text: str
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    source: str = ""  # "file:line", for messages about this example

    @property
    def is_dispute(self) -> bool:
        return self.intent.startswith(DISPUTE_INTENT_PREFIX)


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant text -> canonical value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def intent_counts(self) -> Counter[str]:
        return Counter(e.intent for e in self.examples)

    def unknown_intents(self) -> list[str]:
        """Intents that are neither a dialogue intent nor `dispute_<category>` (likely typos)."""
        known = set(DIALOGUE_INTENTS) | {DISPUTE_INTENT_PREFIX + c for c in CATEGORIES}
        return [i for i in self.intents if i not in known]

    def conflicts(self) -> dict[str, list[str]]:
        """Texts written under more than one intent: they teach the classifier nothing useful."""
        seen: dict[str, set[str]] = {}
        for e in self.examples:
            seen.setdefault(e.text, set()).add(e.intent)
        return {t: sorted(i) for t, i in seen.items() if len(i) > 1}

    def merge(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        for variant, value in other.synonyms.items():
            _add_synonym(self.synonyms, variant, value, ", ".join(map(str, other.files)))
        for name, items in other.lookups.items():
            self.lookups.setdefault(name, []).extend(items)
        for name, items in other.regexes.items():
            self.regexes.setdefault(name, []).extend(items)
        self.files.extend(other.files)


def data_files(data_dir: Path | str) -> list[Path]:
    """All training files under `data_dir` (recursively, like Rasa), in a stable order."""
    root = Path(data_dir)
    if not root.is_dir():
        raise TrainingDataError(root, None, "training data directory not found")
    return sorted(
        p for p in root.rglob("*")
        if p.suffix in DATA_SUFFIXES and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def data_fingerprint(data_dir: Path | str, *, model_version: str = MODEL_VERSION) -> str:
    """Hash of every training file's name and bytes plus the model version: the cache key."""
    root = Path(data_dir)
    digest = hashlib.sha256(model_version.encode())
    for path in data_files(root):
        content = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def load_training_data(data_dir: Path | str) -> TrainingData:
    """Loads every `*.yml`/`*.yaml` file under `data_dir`; raises `TrainingDataError`."""
    data = TrainingData()
    for path in data_files(data_dir):
        data.merge(load_file(path))
    for text, intents in data.conflicts().items():
        log.warning("training text %r appears under several intents: %s", text, intents)
    return data


def load_file(path: Path | str) -> TrainingData:
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError as exc:
        raise TrainingDataError(path, None, f"not UTF-8: {exc}") from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise TrainingDataError(path, line, f"invalid YAML: {exc.problem}") from exc
    data = TrainingData(files=[path])
    if root is None:
        return data
    mapping = _mapping(path, root, "the file")
    version = mapping.get("version")
    if version is not None and (
        not isinstance(version, ScalarNode) or not re.fullmatch(r"[23](\.\d+)*", version.value)
    ):
        raise TrainingDataError(path, _line(version), 'expected version "3.1"')
    nlu = mapping.get("nlu")
    if nlu is None:
        return data  # e.g. a stories- or rules-only file
    if not isinstance(nlu, SequenceNode):
        raise TrainingDataError(path, _line(nlu), "`nlu:` must be a list of items")
    for item in nlu.value:
        _load_item(path, item, data)
    return data


def _load_item(path: Path, node: Node, data: TrainingData) -> None:
    item = _mapping(path, node, "an `nlu:` item")
    unknown = sorted(set(item) - _ITEM_KEYS)
    if unknown:
        raise TrainingDataError(path, _line(node), f"unknown key(s) {unknown}")
    kinds = [k for k in ITEM_KINDS if k in item]
    if len(kinds) != 1:
        raise TrainingDataError(
            path, _line(node), f"an item needs exactly one of {list(ITEM_KINDS)}, found {kinds}"
        )
    kind = kinds[0]
    name_node = item[kind]
    if not isinstance(name_node, ScalarNode) or not name_node.value.strip():
        raise TrainingDataError(path, _line(name_node), f"`{kind}:` needs a name")
    name = name_node.value.strip()
    if "examples" not in item:
        raise TrainingDataError(path, _line(node), f"{kind} {name!r} has no `examples:`")
    lines = list(_example_lines(path, item["examples"]))
    if not lines:
        raise TrainingDataError(path, _line(item["examples"]), f"{kind} {name!r} has no examples")
    if kind == "intent":
        for line_no, raw in lines:
            text, entities = parse_annotated(raw, path=path, line=line_no)
            if not text.strip():
                raise TrainingDataError(path, line_no, "empty example")
            data.examples.append(Example(text, name, entities, f"{path}:{line_no}"))
            for ent in entities:
                if ent.value != ent.text:
                    _add_synonym(data.synonyms, ent.text, ent.value, f"{path}:{line_no}")
    elif kind == "synonym":
        for line_no, raw in lines:
            _add_synonym(data.synonyms, raw, name, f"{path}:{line_no}")
    elif kind == "lookup":
        data.lookups.setdefault(name, []).extend(raw for _, raw in lines)
    else:
        for line_no, raw in lines:
            try:
                re.compile(raw)
            except re.error as exc:
                raise TrainingDataError(path, line_no, f"invalid regex {raw!r}: {exc}") from exc
        data.regexes.setdefault(name, []).extend(raw for _, raw in lines)


def _example_lines(path: Path, node: Node) -> Iterator[tuple[int, str]]:
    """(line number, text) per example, from an `examples: |` block or a YAML list."""
    if isinstance(node, ScalarNode):
        # A literal block's content starts on the line after the `|` indicator.
        first = _line(node) + (1 if node.style in ("|", ">") else 0)
        for offset, raw in enumerate(node.value.split("\n")):
            stripped = raw.strip()
            if not stripped:
                continue
            if not stripped.startswith("-"):
                raise TrainingDataError(
                    path, first + offset, f"expected a `- example` line, got {stripped!r}"
                )
            text = stripped[1:].strip()
            if not text:
                raise TrainingDataError(path, first + offset, "empty example")
            yield first + offset, text
    elif isinstance(node, SequenceNode):
        for entry in node.value:
            if isinstance(entry, MappingNode):
                entry_map = _mapping(path, entry, "an example")
                text_node = entry_map.get("text")
                if not isinstance(text_node, ScalarNode):
                    raise TrainingDataError(path, _line(entry), "an example needs `text:`")
                entry = text_node
            if not isinstance(entry, ScalarNode) or not entry.value.strip():
                raise TrainingDataError(path, _line(entry), "an example must be a non-empty text")
            yield _line(entry), entry.value.strip()
    else:
        raise TrainingDataError(path, _line(node), "`examples:` must be a `|` block or a list")


def parse_annotated(
    raw: str, *, path: Path | str = "<text>", line: int | None = None
) -> tuple[str, tuple[EntitySpan, ...]]:
    """Strips Rasa entity markup from `raw`; returns the plain text and the entity spans."""
    parts: list[str] = []
    spans: list[EntitySpan] = []
    pos = 0
    length = 0
    for match in _ANNOTATION.finditer(raw):
        before = raw[pos:match.start()]
        parts.append(before)
        length += len(before)
        text = match.group("text")
        if not text.strip():
            raise TrainingDataError(path, line, f"empty entity text in {match.group(0)!r}")
        entity, value, role, group = _annotation_fields(match, path, line)
        end = length + len(text)
        spans.append(EntitySpan(entity, length, end, value or text, text, role, group))
        parts.append(text)
        length += len(text)
        pos = match.end()
    parts.append(raw[pos:])
    plain = "".join(parts)
    leftover = re.search(r"\][({]", plain)
    if leftover and "[" in plain[: leftover.start()]:
        raise TrainingDataError(path, line, f"malformed entity annotation in {raw!r}")
    return plain, tuple(spans)


def _annotation_fields(
    match: re.Match[str], path: Path | str, line: int | None
) -> tuple[str, str | None, str | None, str | None]:
    if match.group("json") is None:
        entity = (match.group("entity") or "").strip()
        value = match.group("value")
        if not entity:
            raise TrainingDataError(path, line, f"entity name missing in {match.group(0)!r}")
        return entity, value.strip() if value else None, None, None
    try:
        spec: Any = json.loads(match.group("json"))
    except json.JSONDecodeError as exc:
        raise TrainingDataError(
            path, line, f"invalid JSON in entity annotation {match.group(0)!r}: {exc.msg}"
        ) from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str) or not spec["entity"]:
        raise TrainingDataError(path, line, f'annotation needs "entity": {match.group(0)!r}')
    unknown = sorted(set(spec) - {"entity", "value", "role", "group"})
    if unknown:
        raise TrainingDataError(path, line, f"unknown annotation key(s) {unknown}")

    def opt(key: str) -> str | None:
        return None if spec.get(key) is None else str(spec[key])

    return spec["entity"], opt("value"), opt("role"), opt("group")


def _add_synonym(synonyms: dict[str, str], variant: str, value: str, where: str) -> None:
    if variant == value:
        return
    old = synonyms.setdefault(variant, value)
    if old != value:
        log.warning("%s: synonym %r -> %r conflicts with %r; keeping %r",
                    where, variant, value, old, old)


def _mapping(path: Path, node: Node, what: str) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        raise TrainingDataError(path, _line(node), f"{what} must be a mapping")
    result: dict[str, Node] = {}
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise TrainingDataError(path, _line(key), "mapping keys must be plain names")
        if key.value in result:
            raise TrainingDataError(path, _line(key), f"duplicate key {key.value!r}")
        result[key.value] = value
    return result


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def iter_labelled(data: TrainingData) -> Iterable[tuple[str, str]]:
    """(text, intent) pairs, duplicates removed, in file order."""
    seen: set[tuple[str, str]] = set()
    for e in data.examples:
        if (e.text, e.intent) not in seen:
            seen.add((e.text, e.intent))
            yield e.text, e.intent
