"""``fieldtui ledger import/export`` end to end in a temporary home: in-process, and once as a
real ``python -m fieldtui`` process."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docs import documented, fits

ROOT = Path(__file__).resolve().parents[2]
TITLE = "XX镇服务对象100人以下村（社区）退役军人服务站台账"
HEADER = [
    "序号",
    "退役军人服务站名称",
    "负责人",
    "联系人",
    "联系电话",
    "服务对象数量（人）",
    "备注",
]
ROWS = [
    ["1", "永丰村退役军人服务站", "王国明", "李华", "138 0000 0001", "35", ""],
    ["2", "长乐村退役军人服务站", "张建军", "张建军", "72345678", "60", "新建"],
]


def write_csv(path: Path, rows, encoding="utf-8") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def dump(home: Path):
    db = home / "fieldtui.sqlite3"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM stations ORDER BY id").fetchall()


def test_import_then_list(fieldtui, tmp_path):
    path = write_csv(tmp_path / "台账.csv", [[TITLE], HEADER, *ROWS], "gbk")
    r = fieldtui("ledger", "import", str(path))
    assert r.code == 0, r.err
    assert "将新增2个服务站" in r.out and "已写入：新增2个，更新0个。" in r.out
    assert "CSV（GBK 编码），表头在第2行" in r.out
    listed = fieldtui("ledger", "list", "--json").json()
    assert [(s["name"], s["phone"]) for s in listed["stations"]] == [
        ("永丰村退役军人服务站", "13800000001"),
        ("长乐村退役军人服务站", "023-72345678"),
    ]


def test_dry_run_writes_nothing(fieldtui, home, tmp_path):
    path = write_csv(tmp_path / "台账.csv", [HEADER, *ROWS])
    r = fieldtui("ledger", "import", str(path), "--dry-run")
    assert r.code == 0
    assert "预览（--dry-run），未写入。" in r.out
    assert dump(home) == []
    r = fieldtui("ledger", "import", str(path), "--dry-run", "--json")
    data = r.json()
    assert (data["ok"], data["dry_run"], data["written"]) == (True, True, False)
    assert [a["name"] for a in data["added"]] == ["永丰村退役军人服务站", "长乐村退役军人服务站"]
    assert dump(home) == []


def test_reimport_shows_updates_and_writes_them(fieldtui, home, tmp_path):
    fieldtui("ledger", "import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS])))
    changed = [ROWS[0], ["2", "长乐村退役军人服务站", "张建军", "王小红", "72345678", "60", "新建"]]
    path = write_csv(tmp_path / "b.csv", [HEADER, *changed, ["3", "新华村退役军人服务站"]])
    r = fieldtui("ledger", "import", str(path), "--dry-run", "--lang", "en")
    assert "To add (1):" in r.out and "To update (1):" in r.out and "Unchanged: 1" in r.out
    assert "Contact person: 张建军 → 王小红" in r.out
    r = fieldtui("--lang", "en", "ledger", "import", str(path), "--json")
    data = r.json()
    assert data["written"] is True
    assert data["updated"] == [
        {
            "row": 3,
            "name": "长乐村退役军人服务站",
            "id": 2,
            "changes": [{"field": "contact", "old": "张建军", "new": "王小红"}],
        }
    ]
    assert data["unchanged"] == [{"row": 2, "name": "永丰村退役军人服务站", "id": 1}]
    assert len(dump(home)) == 3
    assert fits(data, documented("ledger", data))


def test_problems_refuse_the_file_in_chinese_and_english(fieldtui, home, tmp_path):
    fieldtui("ledger", "import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS])))
    before = dump(home)
    bad = [
        HEADER,
        ["1", "永丰村退役军人服务站", "王国明", "李华", "13800000009", "35", ""],
        ["2", "", "", "", "12345", "101", ""],
        ["3", "新华村退役军人服务站", "", "", "", "3.5", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", bad)
    r = fieldtui("ledger", "import", str(path))
    assert r.code == 1
    assert "第3行「退役军人服务站名称」：名称不能为空" in r.out
    assert "第3行「联系电话」：“12345”不是11位手机号或带区号的固定电话" in r.out
    assert "第3行「服务对象数量（人）」：101 超出范围 0..100" in r.out
    assert "第4行「服务对象数量（人）」：“3.5”不是整数" in r.out
    assert r.err.strip() == "fieldtui: 导入被拒绝：bad.csv 有4个问题，未写入任何数据"
    r = fieldtui("ledger", "import", str(path), "--lang", "en")
    assert r.code == 1
    assert "row 3, column 联系电话: '12345' is not an 11-digit mobile" in r.out
    assert "import refused: 4 problem(s) in bad.csv" in r.err
    r = fieldtui("ledger", "import", str(path), "--json")
    assert r.code == 1
    data = r.json()
    assert data["ok"] is False and data["written"] is False
    assert [(p["row"], p["column"], p["field"]) for p in data["problems"]] == [
        (3, "退役军人服务站名称", "name"),
        (3, "联系电话", "phone"),
        (3, "服务对象数量（人）", "people_served"),
        (4, "服务对象数量（人）", "people_served"),
    ]
    assert data["problems"][0]["message"] == data["problems"][0]["message_zh"]
    assert dump(home) == before


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "另存为"),
        ("台账.xlsx", b"PK\x03\x04\x14\x00", "损坏或不完整"),
        ("台账.csv", b"\x00\x01\x02binary", "二进制"),
    ],
)
def test_unreadable_files_exit_1(fieldtui, home, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    r = fieldtui("ledger", "import", str(path))
    assert r.code == 1
    assert words in r.out
    assert dump(home) == []


def test_missing_file(fieldtui, tmp_path):
    r = fieldtui("ledger", "import", str(tmp_path / "nope.csv"))
    assert r.code == 1
    assert "找不到文件" in r.out


def test_export_both_formats_and_read_back(fieldtui, home, tmp_path):
    fieldtui("demo", "--stations", "12")
    r = fieldtui("ledger", "export", str(tmp_path / "out.csv"))
    assert r.code == 0 and "已导出12个服务站" in r.out
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    r = fieldtui("ledger", "export", str(tmp_path / "out.xlsx"), "--json")
    assert r.json() == {"file": str(tmp_path / "out.xlsx"), "format": "xlsx", "stations": 12}
    original = fieldtui("ledger", "list", "--json").json()["stations"]
    keys = ("name", "village", "head", "head_role", "contact", "phone", "people_served")
    keys += ("veterans", "notes")
    from fieldtui.cli import main

    for suffix in ("csv", "xlsx"):
        other = tmp_path / f"other-{suffix}"
        assert (
            main(["--home", str(other), "ledger", "import", str(tmp_path / f"out.{suffix}")]) == 0
        )
        with sqlite3.connect(other / "fieldtui.sqlite3") as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM stations ORDER BY id").fetchall()
        assert [{k: r[k] for k in keys} for r in rows] == [
            {k: s[k] for k in keys} for s in original
        ]


def test_export_refusals_exit_2(fieldtui, tmp_path):
    r = fieldtui("ledger", "export", str(tmp_path / "out.xls"))
    assert r.code == 2
    assert "只能导出为 .csv 或 .xlsx" in r.err


def test_python_m_fieldtui_imports_and_exports(tmp_path):
    """The real command in its own process, with the worktree on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDTUI_")}
    env["PYTHONPATH"] = str(ROOT)
    home = tmp_path / "home"
    path = write_csv(tmp_path / "台账.csv", [[TITLE], HEADER, *ROWS], "gb18030")

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "fieldtui", "--home", str(home), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=60,
        )

    r = run("ledger", "import", str(path), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["written"] is True
    r = run("ledger", "export", str(tmp_path / "out.xlsx"))
    assert r.returncode == 0 and "已导出2个服务站" in r.stdout
    bad = write_csv(
        tmp_path / "bad.csv",
        [HEADER, ["1", "", "", "", "", "", ""], ["2", "甲村服务站", "", "", "abc", "", ""]],
    )
    r = run("--lang", "en", "ledger", "import", str(bad))
    assert r.returncode == 1
    assert "row 3, column 联系电话" in r.stdout
    assert r.stderr.strip() == "fieldtui: import refused: 1 problem(s) in bad.csv, nothing written"


@pytest.mark.parametrize(("answer", "written"), [("n", False), ("y", True), ("是", True)])
def test_updates_are_confirmed_on_a_terminal(
    fieldtui, home, tmp_path, monkeypatch, answer, written
):
    """On a terminal, updating existing stations asks first. (Standing in for a terminal: the
    answer is fed to input() and stdin claims to be a tty.)"""
    fieldtui("ledger", "import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS])))
    before = dump(home)
    changed = [ROWS[0], ["2", "长乐村退役军人服务站", "张建军", "王小红", "72345678", "60", ""]]
    path = write_csv(tmp_path / "b.csv", [HEADER, *changed])
    asked = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or answer)
    r = fieldtui("ledger", "import", str(path))
    assert r.code == 0
    assert asked == ["确认写入台账？[y/N] "]
    assert "将更新1个服务站" in r.out
    assert (dump(home) != before) is written
    if not written:
        assert "已取消，未写入。" in r.out
    asked.clear()
    fieldtui("ledger", "import", str(path), "--yes")
    assert asked == []


def test_docs_show_every_key_of_the_import_json(fieldtui, tmp_path):
    """docs/cli.md documents the import's JSON object: the example has exactly its keys."""
    import re

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("### `fieldtui ledger import")[1].split("### ")[0]
    example = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    bad = write_csv(tmp_path / "bad.csv", [HEADER, *ROWS, ["3", "", "", "", "12", "", ""]])
    data = fieldtui("ledger", "import", str(bad), "--json").json()
    assert set(data) == set(example)
    assert set(data["problems"][0]) == set(example["problems"][0])
    assert set(data["added"][0]) == set(example["added"][0])
    section = text.split("### `fieldtui ledger export")[1]
    example = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    data = fieldtui("ledger", "export", str(tmp_path / "x.csv"), "--json").json()
    assert set(data) == set(example)
