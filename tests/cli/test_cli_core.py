"""The ``fieldtui`` command end to end in a temporary --home."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from fieldtui.cli import main
from tests.support.env import run_cli


class Cli:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = home
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--home", str(self.home), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> Any:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(home, capsys)


def full_sheet(campaign, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    sheet: dict[str, Any] = {"scores": {str(it.number): it.max for it in campaign.items}}
    sheet.update(extra)
    return sheet


def write(tmp: Path, name: str, data: Any) -> str:
    p = tmp / name
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(p)


def db_dump(home: Path) -> list[tuple[Any, ...]]:
    c = sqlite3.connect(home / "fieldtui.sqlite3")
    rows = []
    for table in (
        "stations",
        "plan",
        "assessments",
        "item_scores",
        "bonus_entries",
        "veto_flags",
        "audit",
    ):
        rows += [(table, *r) for r in c.execute(f"SELECT * FROM {table} ORDER BY 1")]
    c.close()
    return rows


def test_locate(cli: Cli, home: Path) -> None:
    info = cli.json("locate")
    assert info["home"] == str(home)
    assert info["database"].endswith("fieldtui.sqlite3")
    assert any(p.endswith("campaigns") for p in info["campaigns"])


def test_global_options_before_or_after_the_command(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "en", "--home", str(home), "locate"]) == 0
    before = capsys.readouterr().out
    assert main(["locate", "--home", str(home), "--lang", "en"]) == 0
    assert capsys.readouterr().out == before
    assert "database" in before


def test_config_set_get_list_and_file_mode(
    cli: Cli, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("config", "set", "unit", "三合镇")[0] == 0
    assert cli("config", "get", "unit")[1].strip() == "三合镇"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cr3t-token\n"))
    assert cli("config", "set", "token", "-")[0] == 0
    _code, out, _ = cli("config", "get", "token")
    assert out.strip() == "******" and "s3cr3t" not in out
    listing = cli.json("config", "list")
    assert listing["settings"]["unit"] == "三合镇"
    assert "s3cr3t" not in json.dumps(listing)
    text = (home / "settings.toml").read_text(encoding="utf-8")
    assert 'unit = "三合镇"' in text
    if os.name == "posix":
        assert stat.S_IMODE((home / "settings.toml").stat().st_mode) == 0o600
    from fieldtui.settings import load_settings

    assert load_settings(home).token() == "s3cr3t-token"
    monkeypatch.setenv("FIELDTUI_TOKEN", "from-env")
    assert load_settings(home).token() == "from-env"


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("colour", "red", "colour"),
        ("lang", "fr", "lang"),
        ("smtp.port", "99999", "smtp.port"),
        ("endpoint", "ftp://x", "endpoint"),
        ("keymap.nope", "f9", "keymap.nope"),
        ("keymap.scoring.full", "not a key", "keymap.scoring.full"),
        ("campaign", "nope-2099", "campaign"),
    ],
)
def test_config_refusals_name_the_key(
    cli: Cli, home: Path, key: str, value: str, needle: str
) -> None:
    code, _out, err = cli("config", "set", key, value)
    assert code != 0 and needle in err and len(err.strip().splitlines()) == 1
    assert not (home / "settings.toml").exists()


def test_keymap_setting_round_trips(cli: Cli) -> None:
    assert cli("config", "set", "keymap.scoring.full", "enter, ?")[0] == 0
    keys = {a["id"]: a["keys"] for a in cli.json("keys")["actions"]}
    assert keys["scoring.full"] == "enter,question_mark"


def test_bad_settings_file_refused_naming_the_key(cli: Cli, home: Path) -> None:
    (home / "settings.toml").write_text('unit = "x"\n[smtp]\nport = "abc"\n', encoding="utf-8")
    code, _, err = cli("config", "list")
    assert code != 0 and "smtp.port" in err and "settings.toml" in err


def test_rubric_json(cli: Cli) -> None:
    r = cli.json("rubric")
    assert len(r["items"]) == 57 and r["items"][0]["allowed"] == [0, 1]
    assert [b["allowed"] for b in r["bonus"]] == [[2, 3, 4], [2, 3, 4], [0.5, 1, 1.5, 2]]
    assert r["pass_mark"] == 90 and r["partial_scores"] is False
    assert [p["target"] for p in r["periods"]] == [0.25, 0.5, 0.75, 1]
    assert r["periods"][0]["due"] == "2023-04-30T23:59:00+08:00"
    assert len(r["veto"]["conditions"]) == 4


def test_rubric_text_numbers_categories_in_the_language(cli: Cli) -> None:
    code, zh, _ = cli("rubric")
    assert code == 0 and "\n（一）组织领导" in zh
    code, en, _ = cli("--lang", "en", "rubric")
    assert code == 0 and "\n1. Organisation and leadership" in en and "（一）" not in en


def test_demo_plan_progress(cli: Cli) -> None:
    assert cli("demo", "--stations", "12")[0] == 0
    assert cli("demo")[0] != 0  # not twice
    stations = cli.json("ledger", "list")["stations"]
    assert len(stations) == 12
    name = stations[0]["name"]
    assert cli("plan", "set", name, "2023-08")[0] == 0
    plan = cli.json("plan", "show")
    assert next(s for s in plan["stations"] if s["name"] == name)["month"] == "2023-08"
    assert cli("plan", "set", name, "2024-02")[0] != 0
    prog = cli.json("progress")
    assert [p["period"] for p in prog["periods"]] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    q2 = cli.json("progress", "--quarter", "2023Q2")["periods"]
    assert len(q2) == 1 and q2[0]["stations"] == 12
    assert cli("progress", "--quarter", "2023Q9")[0] != 0


def test_assess_new_visit_and_revision(cli: Cli, home: Path, tmp_path: Path, campaign) -> None:  # type: ignore[no-untyped-def]
    cli("demo", "--stations", "3")
    name = cli.json("ledger", "list")["stations"][0]["name"]
    sheet = full_sheet(
        campaign,
        notes={"7": "经费未专款专用"},
        bonus=[{"item": 59, "points": 3, "matter": "省级媒体报道", "level": "provincial"}],
    )
    sheet["scores"]["7"] = 0
    f = write(tmp_path, "s.json", sheet)
    r = cli.json("assess", name, "--date", "2023-06-12", "--from", f, "--complete")
    assert (r["base"], r["bonus"], r["total"], r["veto"], r["passed"], r["complete"]) == (
        97,
        3,
        100,
        False,
        True,
        True,
    )
    # A correction is a revision with a reason; the original stays.
    sheet["veto"] = [1]
    f2 = write(tmp_path, "s2.json", sheet)
    code, _, err = cli("assess", name, "--from", f2, "--revises", str(r["id"]), "--complete")
    assert code != 0 and "--reason" in err
    rev = cli.json(
        "assess",
        name,
        "--from",
        f2,
        "--revises",
        str(r["id"]),
        "--reason",
        "漏报重大群体性事件",
        "--complete",
    )
    assert rev["revises"] == r["id"] and rev["date"] == "2023-06-12"
    assert rev["veto"] is True and rev["passed"] is False


def test_assess_refusals_write_nothing(cli: Cli, home: Path, tmp_path: Path, campaign) -> None:  # type: ignore[no-untyped-def]
    cli("demo", "--stations", "2")
    name = cli.json("ledger", "list")["stations"][0]["name"]
    before = db_dump(home)
    partial = full_sheet(campaign)
    partial["scores"]["6"] = 1.5
    cases = {
        "partial score": write(tmp_path, "a.json", partial),
        "unknown key": write(tmp_path, "b.json", {"scores": {}, "colour": 1}),
        "bad bonus": write(
            tmp_path, "c.json", {"bonus": [{"item": 58, "points": 1, "matter": "x"}]}
        ),
        "bad veto": write(tmp_path, "d.json", {"veto": [9]}),
        "nan": str(tmp_path / "e.json"),
    }
    (tmp_path / "e.json").write_text('{"scores": {"1": NaN}}', encoding="utf-8")
    for what, f in cases.items():
        code, _, err = cli("assess", name, "--date", "2023-06-01", "--from", f, "--complete")
        assert code != 0, what
        assert len(err.strip().splitlines()) == 1, (what, err)
    code, _, err = cli(
        "assess", "没有这个站", "--date", "2023-06-01", "--from", cases["partial score"]
    )
    assert code != 0 and "没有这个站" in err
    note = write(tmp_path, "g.json", {"scores": {"1": 1}, "notes": {"99": "x"}})
    code, _, err = cli("assess", name, "--date", "2023-06-01", "--from", note)
    assert code != 0 and "notes.99: no such standard item" in err
    code, _, err = cli("assess", name, "--date", "2023-6-1", "--from", cases["partial score"])
    assert code != 0 and "--date: '2023-6-1' is not YYYY-MM-DD" in err
    incomplete = write(tmp_path, "f.json", {"scores": {"1": 1}})
    code, _, err = cli("assess", name, "--date", "2023-06-01", "--from", incomplete, "--complete")
    assert code != 0 and "2" in err and "unscored" not in err  # Chinese by default
    assert db_dump(home) == before


def test_english_messages(cli: Cli) -> None:
    code, out, _ = cli("--lang", "en", "demo", "--stations", "2")
    assert code == 0 and "demo township created" in out


def test_real_process_python_m_fieldtui(home: Path) -> None:
    r = run_cli("demo", "--stations", "5", home=home)
    assert r.returncode == 0, r.stderr
    r = run_cli("progress", "--json", home=home)
    assert r.returncode == 0 and json.loads(r.stdout)["periods"][0]["stations"] == 5
    r = run_cli("config", "set", "nope", "1", home=home)
    assert r.returncode != 0 and "nope" in r.stderr and "Traceback" not in r.stderr


def test_start_path_imports_nothing_heavy(home: Path) -> None:
    import subprocess

    from tests.support.env import PYTHON, subprocess_env

    probe = (
        "import sys; from fieldtui.cli import build_parser; build_parser(); "
        "import fieldtui.app; "
        "print(sorted(m for m in ('httpx','openpyxl','docx','pypinyin','starlette','uvicorn','sqlite_utils') if m in sys.modules))"
    )
    out = subprocess.run(
        [PYTHON, "-c", probe], capture_output=True, text=True, env=subprocess_env(), check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["--home", "/h"], {"home": "/h"}),
        (["--home=/h", "--lang", "en"], {"home": "/h", "lang": "en"}),
        (["--lang=zh"], {"lang": "zh"}),
    ],
)
def test_a_command_line_that_only_starts_the_app_skips_the_parser(
    argv: list[str], expected: dict[str, str]
) -> None:
    from fieldtui.cli import app_only

    args = app_only(argv)
    assert args is not None and vars(args) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["demo"],
        ["--home", "/h", "locate"],
        ["--help"],
        ["--version"],
        ["--home"],
        ["--lang", "fr"],
        ["--ho", "/h"],
        ["-h"],
    ],
)
def test_anything_else_goes_to_the_parser(argv: list[str]) -> None:
    from fieldtui.cli import app_only

    assert app_only(argv) is None


def test_a_bad_language_is_still_refused_by_the_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fieldtui.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--lang", "fr"])
    assert exc.value.code == 2
    assert "fr" in capsys.readouterr().err
