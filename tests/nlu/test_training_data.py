from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nlu.training_data import (
    TrainingDataError,
    data_fingerprint,
    load_file,
    load_training_data,
    parse_annotated,
)

FIXTURE = Path(__file__).parent / "fixtures" / "data"


def write(tmp_path: Path, body: str, name: str = "nlu.yml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_fixture_loads_all_files() -> None:
    data = load_training_data(FIXTURE)
    counts = data.intent_counts()
    assert counts["dispute_labour"] == 12
    assert counts["greet"] == 10
    assert {"dispute_neighbour", "out_of_scope", "check_status"} <= set(data.intents)
    assert data.unknown_intents() == []
    assert [p.name for p in data.files] == ["disputes.yml", "intents.yml", "lookups.yml"]


def test_annotation_offsets_and_values() -> None:
    text, spans = parse_annotated(
        '在厂里[老板]{"entity": "party_role", "value": "employer"}欠我[两万](amount)块 '
        "[张三](person:zhang_san)"
    )
    assert text == "在厂里老板欠我两万块 张三"
    assert [(s.entity, s.start, s.end, s.value, s.text) for s in spans] == [
        ("party_role", 3, 5, "employer", "老板"),
        ("amount", 7, 9, "两万", "两万"),
        ("person", 11, 13, "zhang_san", "张三"),
    ]
    for span in spans:
        assert text[span.start : span.end] == span.text


def test_role_group_and_plain_brackets() -> None:
    text, spans = parse_annotated(
        '[王五]{"entity": "person", "role": "debtor", "group": "1"}说[图片]'
    )
    assert text == "王五说[图片]"
    assert (spans[0].role, spans[0].group, spans[0].value) == ("debtor", "1", "王五")
    assert len(spans) == 1


def test_examples_keep_source_lines_and_entities(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """version: "3.1"
nlu:
- intent: dispute_labour
  examples: |
    - 老板欠我工资

    - [包工头]{"entity": "party_role", "value": "contractor"}跑了
""",
    )
    data = load_file(path)
    assert [e.text for e in data.examples] == ["老板欠我工资", "包工头跑了"]
    assert data.examples[0].source == f"{path}:5"
    assert data.examples[1].source == f"{path}:7"
    assert data.examples[1].entities[0].value == "contractor"
    assert data.examples[1].is_dispute


def test_synonyms_lookups_and_regexes() -> None:
    data = load_training_data(FIXTURE)
    assert data.synonyms["厂长"] == "employer"
    assert data.synonyms["老板"] == "employer"  # from the synonym block and from annotations
    assert data.synonyms["老公"] == "spouse"  # from an annotation only
    assert data.lookups["party_role"] == ["老板", "邻居", "包工头"]
    assert data.regexes["phone"] == [r"1[3-9]\d{9}"]


def test_list_style_examples(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """version: "3.1"
nlu:
- intent: greet
  examples:
  - text: 你好
  - 在吗
""",
    )
    assert [e.text for e in load_file(path).examples] == ["你好", "在吗"]


def test_conflicting_texts_are_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        """nlu:
- intent: greet
  examples: |
    - 你好
- intent: thanks
  examples: |
    - 你好
""",
    )
    assert load_training_data(tmp_path).conflicts() == {"你好": ["greet", "thanks"]}


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("nlu:\n- intent: x\n  examples: |\n    - ok\n    - [商家]{merchant}不退\n", 5, "JSON"),
        (
            "nlu:\n- intent: x\n  examples: |\n    - ok\n    - [老板](party_role 欠钱\n",
            5,
            "malformed",
        ),
        ("nlu:\n- intent: x\n  examples: |\n    - ok\n    not a list item\n", 5, "- example"),
        ("nlu:\n- intent: x\n", 2, "no `examples:`"),
        ("nlu:\n- intent: x\n  exemples: |\n    - a\n", 2, "unknown key"),
        ("nlu:\n- intent: x\n  synonym: y\n  examples: |\n    - a\n", 2, "exactly one"),
        ('version: "1.0"\nnlu: []\n', 1, "version"),
        ("nlu:\n  - intent: [x\n", 3, "invalid YAML"),
        ('nlu:\n- intent: x\n  examples: |\n    - [老板]{"value": "y"}\n', 4, '"entity"'),
        ("nlu:\n- regex: r\n  examples: |\n    - a(b\n", 4, "invalid regex"),
        ("nlu: oops\n", 1, "list"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, body: str, line: int, fragment: str) -> None:
    path = write(tmp_path, body, "dispute_bad.yml")
    with pytest.raises(TrainingDataError) as err:
        load_training_data(tmp_path)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert fragment in str(err.value)
    assert err.value.path == path and err.value.line == line


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="not found"):
        load_training_data(tmp_path / "nope")


def test_fingerprint_follows_content_not_mtime(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(FIXTURE, data_dir)
    first = data_fingerprint(data_dir)
    assert first == data_fingerprint(FIXTURE)  # same bytes, different place
    (data_dir / "intents.yml").touch()
    assert data_fingerprint(data_dir) == first
    with (data_dir / "intents.yml").open("a", encoding="utf-8") as fh:
        fh.write("    - 你好呀\n")
    changed = data_fingerprint(data_dir)
    assert changed != first
    write(data_dir, "nlu: []\n", "extra.yml")
    assert data_fingerprint(data_dir) != changed
    assert data_fingerprint(data_dir, model_version="other") != data_fingerprint(data_dir)
