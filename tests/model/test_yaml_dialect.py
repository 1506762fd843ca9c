"""The stack YAML dialect: the YAML 1.1 traps that bite region files are closed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sovcloud_infra.model.sources import LineDict, YamlSyntaxError, read_source


def _read(tmp_path: Path, text: str) -> object:
    path = tmp_path / "f.yaml"
    path.write_text(text)
    return read_source(path).data


def test_norway_stays_a_country_code(tmp_path):
    assert _read(tmp_path, "c: [FR, NO, yes, off]\n") == {"c": ["FR", "NO", "yes", "off"]}


def test_mac_is_not_a_base60_integer(tmp_path):
    assert _read(tmp_path, "mac: 00:11:22:33:44:55\n") == {"mac": "00:11:22:33:44:55"}


def test_core_schema_types(tmp_path):
    data = _read(tmp_path, "a: true\nb: 0x10\nc: 0o17\nd: 12\ne: 2027-01-31\nf: null\ng: 1.5\n")
    assert data == {"a": True, "b": 16, "c": 15, "d": 12, "e": dt.date(2027, 1, 31), "f": None, "g": 1.5}


def test_lines_of_keys_and_items(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("top:\n  - a: 1\n    b: 2\n  - a: 3\n")
    source = read_source(path)
    assert isinstance(source.data, LineDict)
    assert source.line_of(("top", 0, "b")) == 3
    assert source.line_of(("top", 1)) == 4
    assert source.line_of(("top", 1, "missing")) == 4


def test_duplicate_keys_are_recorded(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n")
    dups = read_source(path).duplicates
    assert [(d.key, d.line, d.first_line) for d in dups] == [("a", 3, 1)]


def test_syntax_error_has_a_line(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("a:\n  - b: [1, 2\n  - c: 3\n")
    with pytest.raises(YamlSyntaxError) as info:
        read_source(path)
    assert info.value.line >= 2
