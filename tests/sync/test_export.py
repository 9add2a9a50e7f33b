"""Files for e-mail: forms read back and matched to the database, manifest, zip, .eml, atomicity."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest

from fieldtui.domain.batch import parse_batch
from fieldtui.domain.rubric import Campaign
from fieldtui.settings import Settings
from fieldtui.store.store import Store
from fieldtui.sync import files as files_mod
from fieldtui.sync.attach import attach_scan
from fieldtui.sync.errors import SyncError
from fieldtui.sync.export import export_period
from fieldtui.sync.manifest import verify_manifest, verify_sums
from fieldtui.sync.seal import seal_period
from tests.sync.helpers import SEAL_TIME, add_station, visit

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def expected_rows(store: Store, campaign: Campaign, first: str, last: str) -> list[tuple]:
    """附件2 straight from the database: the effective complete visits made in the period."""
    rows = store.conn.execute(
        """
        SELECT a.id, a.date, a.total, a.passed, s.name, s.contact, s.phone,
               EXISTS (SELECT 1 FROM veto_flags v WHERE v.assessment_id = a.id) AS vetoed
        FROM assessments a JOIN stations s ON s.id = a.station_id
        WHERE a.status = 'complete' AND a.campaign_id = ? AND a.date BETWEEN ? AND ?
          AND NOT EXISTS (SELECT 1 FROM assessments r
                          WHERE r.revises = a.id AND r.status = 'complete')
        ORDER BY a.date, a.id
        """,
        (campaign.id, first, last),
    ).fetchall()
    out = []
    for i, r in enumerate(rows, start=1):
        remark = "达标" if r["passed"] else ("未达标（一票否决）" if r["vetoed"] else "未达标")
        total = r["total"]
        out.append(
            (
                i,
                r["name"],
                int(total) if total == int(total) else total,
                r["contact"] or None,
                r["phone"] or None,
                remark,
            )
        )
    return out


@pytest.fixture
def exported(
    store: Store, campaign: Campaign, settings: Settings, township: dict[str, int], tmp_path: Path
):
    out = tmp_path / "out"
    return export_period(store, campaign, settings, "2023Q2", out, now=lambda: SEAL_TIME)


def test_statistics_table_matches_the_database_cell_by_cell(exported, store, campaign) -> None:
    wb = openpyxl.load_workbook(exported.directory / "龙河镇_2023Q2_附件2_验收情况统计表.xlsx")
    ws = wb["附件2"]
    assert ws["A1"].value == "附件2"
    assert ws["A2"].value == "服务对象100人以下村（社区）退役军人服务站规范建设运行验收情况统计表"
    assert ws["A3"].value == "填报单位（加盖公章）：龙河镇"
    assert ws["D3"].value == "2023年7月3日"
    assert [c.value for c in ws[4]] == [
        "序号",
        "退役军人服务站名称",
        "得分",
        "联系人",
        "联系电话",
        "备注",
    ]
    got = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=5)]
    want = expected_rows(store, campaign, "2023-05-01", "2023-06-30")
    assert got == want
    assert [r[5] for r in got] == ["达标", "未达标", "未达标（一票否决）", "达标"]
    # Ready to print: A4, fit to one page wide, header row repeated, borders, a Chinese font.
    assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$4:$4"
    assert ws["B5"].border.left.style == "thin" and ws["B5"].font.name == "宋体"
    assert ws.column_dimensions["B"].width == 40
    assert "A2:F2" in {str(r) for r in ws.merged_cells.ranges}


def test_score_sheets_match_each_assessed_station(exported, store, campaign, township) -> None:
    wb = openpyxl.load_workbook(exported.directory / "龙河镇_2023Q2_附件1_验收评分表.xlsx")
    assessed = [
        "青龙村退役军人服务站",
        "白云社区退役军人服务站",
        "石桥村退役军人服务站",
        "高峰村退役军人服务站",
    ]
    assert wb.sheetnames == assessed
    for name in assessed:
        ws = wb[name]
        st = store.stations.by_name(name)
        (aid,) = [
            a.id
            for a in store.assessments.for_campaign(campaign.id, st.id)
            if a.date >= dt.date(2023, 5, 1)
        ]
        a = store.assessments.require(aid)
        assert ws["A3"].value.startswith(f"服务站：{name}")
        items = {}
        for row in ws.iter_rows(min_row=5, values_only=True):
            if isinstance(row[1], int) and row[1] <= 57:
                items[row[1]] = row
        assert sorted(items) == list(range(1, 58))
        for n, row in items.items():
            it = campaign.item(n)
            assert row[2] == it.text and row[3] == it.max and row[4] == a.scores[n]
        rows = list(ws.iter_rows(min_row=5, values_only=True))
        total_row = next(r for r in rows if r[0] == "总得分")
        assert total_row[4] == a.result(campaign).total
        veto_row = next(r for r in rows if r[0] == "一票否决")
        assert veto_row[4] == ("否决：2" if a.veto else "无")
        assert any(
            r[0]
            and str(r[0]).startswith("服务站负责人：")
            and "经办人：" in r[0]
            and "联系电话：" in r[0]
            for r in rows
        )
        assert rows[-1][0].startswith("注：1.本创建标准总分值100分")
    bonus = [
        r for r in wb["高峰村退役军人服务站"].iter_rows(min_row=5, values_only=True) if r[1] == 59
    ]
    assert bonus[0][4] == 2 and "在市级会议上交流经验" in bonus[0][2]


def test_exporting_again_later_gives_the_same_bytes(
    exported, store, campaign, settings, tmp_path, monkeypatch
) -> None:
    """The e-mail re-renders the files the export wrote: a minute later (python-docx stamps zip
    entries with the clock) every file must still be byte for byte the same, or the manifest's
    sums and the county's digest check disagree with what the officer looked at."""
    import time

    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    again = export_period(store, campaign, settings, "2023Q2", tmp_path / "again")
    for path in sorted(exported.directory.iterdir()):
        if path.suffix == ".eml":  # the message's own Date and MIME boundary are its own
            continue
        assert (again.directory / path.name).read_bytes() == path.read_bytes(), path.name


def test_report_docx_has_the_key_figures(exported) -> None:
    import docx

    doc = docx.Document(str(exported.directory / "龙河镇_2023Q2_验收报告（草稿）.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "龙河镇关于2023年二季度" in text
    assert "台账内服务站5个，已验收4个，达标2个，达标率40%" in text
    assert "本季度目标达标率50%（需达标3个），未完成季度目标" in text
    # The failures and why: the fail with its largest losses and notes, the veto named.
    assert "白云社区退役军人服务站" in cells and "未配备专职人员" in cells
    assert "石桥村退役军人服务站" in cells and "一票否决：发生个人极端案事件的" in cells
    # Items most deducted: item 6 lost at two stations (b and d).
    deductions = doc.tables[1]
    assert deductions.rows[1].cells[1].text == "6" and deductions.rows[1].cells[3].text == "2"
    # Behind plan: b (planned May, failed), c (vetoed), e (never visited).
    behind = [r.cells[1].text for r in doc.tables[2].rows[1:]]
    assert behind == ["白云社区退役军人服务站", "石桥村退役军人服务站", "红星村退役军人服务站"]
    assert doc.tables[2].rows[3].cells[3].text == "未验收"


def test_manifest_and_sums_verify_and_catch_a_one_byte_change(exported) -> None:
    d = exported.directory
    assert verify_manifest(d, exported.manifest) == []
    assert verify_sums(d, exported.sums) == []
    manifest = json.loads(exported.manifest.read_text(encoding="utf-8"))
    assert manifest["batch_id"] == exported.batch.id
    assert manifest["batch_sha256"] == exported.batch.digest
    listed = {f["name"] for f in manifest["files"]}
    assert len(listed) == 4 and all((d / n).is_file() for n in listed)
    target = d / "龙河镇_2023Q2_附件1_验收评分表.xlsx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert [(p.name, p.problem) for p in verify_manifest(d, exported.manifest)] == [
        (target.name, "sha256")
    ]
    assert [p.name for p in verify_sums(d, exported.sums)] == [target.name]
    (d / "龙河镇_2023Q2_封存批次.json").unlink()
    assert "missing" in {p.problem for p in verify_manifest(d, exported.manifest)}


def test_batch_json_is_the_sealed_bytes_and_the_zip_holds_everything(exported, store) -> None:
    d = exported.directory
    body = store.batches.body(exported.batch.id)
    assert (d / "龙河镇_2023Q2_封存批次.json").read_bytes() == body
    with zipfile.ZipFile(exported.zip) as zf:
        names = zf.namelist()
        # Inside the zip the checksum lists have the plain names `county import` looks for.
        assert set(names) == {e.name for e in exported.entries} | {
            "SHA256SUMS.txt",
            "manifest.json",
        }
        on_disk = {"SHA256SUMS.txt": exported.sums, "manifest.json": exported.manifest}
        for n in names:
            assert zf.read(n) == on_disk.get(n, d / n).read_bytes()
            if not n.isascii():
                assert zf.getinfo(n).flag_bits & 0x800  # UTF-8 names: Chinese shows right
    assert exported.batch.state == "exported"
    assert exported.batch.export_dir == str(d)


def test_eml_parses_back_with_chinese_subject_and_every_attachment(exported, campaign) -> None:
    raw = exported.eml.read_bytes()
    assert b"\r\n" in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii()  # 7-bit clean: names and subject are RFC 2047/2231-encoded
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "龙河镇2023年二季度村（社区）退役军人服务站规范建设验收材料"
    assert msg["To"] == campaign.mailbox
    assert msg["X-Unsent"] == "1"
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "达标率40%" in body and exported.batch.id in body
    attached = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    d = exported.directory
    want = {e.name for e in exported.entries} | {exported.sums.name}
    assert set(attached) == want
    for name, content in attached.items():
        data = content if isinstance(content, bytes) else content.encode()
        assert data == (d / name).read_bytes(), name


def test_an_attached_scan_travels_in_manifest_zip_and_email(
    store, campaign, settings, township, tmp_path
) -> None:
    seal_period(store, campaign, settings, "2023Q2")
    scan = tmp_path / "盖章页 扫描.PDF"
    scan.write_bytes(PDF)
    attach_scan(store, campaign, "2023Q2", scan)
    r = export_period(store, campaign, settings, "2023Q2", tmp_path / "out")
    (scan_entry,) = [e for e in r.entries if e.role == "scan"]
    assert scan_entry.name == "龙河镇_2023Q2_盖章扫描件_盖章页 扫描.pdf"
    assert (r.directory / scan_entry.name).read_bytes() == PDF
    assert scan_entry.sha256 == hashlib.sha256(PDF).hexdigest()
    with zipfile.ZipFile(r.zip) as zf:
        assert zf.read(scan_entry.name) == PDF
    msg = email.message_from_bytes(r.eml.read_bytes(), policy=email.policy.default)
    parts = {p.get_filename(): p for p in msg.iter_attachments()}
    assert parts[scan_entry.name].get_content_type() == "application/pdf"
    assert parts[scan_entry.name].get_content() == PDF


def test_export_seals_first_and_reseals_after_a_change(
    store, campaign, settings, township, tmp_path
) -> None:
    r1 = export_period(store, campaign, settings, "2023Q2", tmp_path / "o")
    assert r1.sealed_now
    r2 = export_period(store, campaign, settings, "2023Q2", tmp_path / "o")
    assert not r2.sealed_now and r2.batch.id == r1.batch.id
    visit(store, campaign, township["e"], dt.date(2023, 6, 29))
    r3 = export_period(store, campaign, settings, "2023Q2", tmp_path / "o")
    assert r3.sealed_now and r3.batch.supersedes == r1.batch.id
    assert (
        json.loads((tmp_path / "o" / "龙河镇_2023Q2_封存批次.json").read_bytes())["batch_id"]
        == r3.batch.id
    )
    assert verify_manifest(r3.directory, r3.manifest) == []


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(files_mod.TMP_SUFFIX))


def test_no_temp_files_are_left_and_files_are_replaced_whole(exported, store, campaign, settings):
    d = exported.directory
    assert leftovers(d) == []
    before = {p.name for p in d.iterdir()}
    again = export_period(store, campaign, settings, "2023Q2", d)
    assert {p.name for p in d.iterdir()} == before
    assert leftovers(d) == [] and again.batch.id == exported.batch.id


def test_a_failed_write_keeps_every_existing_file(exported, store, campaign, settings, township):
    d = exported.directory
    old = {p.name: p.read_bytes() for p in d.iterdir()}
    visit(store, campaign, township["e"], dt.date(2023, 6, 29))  # new content to write
    report = d / "龙河镇_2023Q2_验收报告（草稿）.docx"
    report.unlink()
    report.mkdir()  # a folder where the report goes: replacing it fails for real
    with pytest.raises(SyncError) as info:
        export_period(store, campaign, settings, "2023Q2", d)
    assert report.name in info.value.en
    assert leftovers(d) == []
    assert all((d / name).is_file() for name in old if name != report.name)
    # Files written before the failing one were replaced whole; those after it are untouched.
    assert (d / "龙河镇_2023Q2_封存批次.json").read_bytes() == old["龙河镇_2023Q2_封存批次.json"]
    assert (d / exported.zip.name).read_bytes() == old[exported.zip.name]


def test_a_file_held_open_on_windows_is_named_and_kept(
    exported, store, campaign, settings, township, monkeypatch
) -> None:
    """WPS/Excel locks an open file on Windows: os.replace raises PermissionError there. That
    lock cannot happen on Linux, so this one failure is simulated; everything else is real."""
    d = exported.directory
    locked = d / "龙河镇_2023Q2_附件2_验收情况统计表.xlsx"
    old = locked.read_bytes()
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst) == locked:
            raise PermissionError(13, "The process cannot access the file")
        return real_replace(src, dst)

    monkeypatch.setattr(files_mod.os, "replace", replace)
    visit(store, campaign, township["e"], dt.date(2023, 6, 29))
    with pytest.raises(SyncError) as info:
        export_period(store, campaign, settings, "2023Q2", d)
    assert str(locked) in info.value.zh and "WPS" in info.value.zh
    assert str(locked) in info.value.en and "kept" in info.value.en
    assert locked.read_bytes() == old
    assert leftovers(d) == []


def test_a_writer_failing_midway_leaves_no_file_under_a_final_name(
    store, campaign, settings, township, tmp_path, monkeypatch
) -> None:
    from fieldtui.sync import report_docx

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_docx, "acceptance_report", boom)
    out = tmp_path / "fresh"
    with pytest.raises(OSError):
        export_period(store, campaign, settings, "2023Q2", out)
    assert not out.exists() or list(out.iterdir()) == []


def test_stale_temp_files_from_a_killed_export_are_cleaned(exported, store, campaign, settings):
    d = exported.directory
    stale = d / f".{exported.zip.name}.99999-abcdef{files_mod.TMP_SUFFIX}"
    stale.write_bytes(b"half a zip")
    unrelated = d / ".notes.txt.part"
    unrelated.write_bytes(b"mine")
    export_period(store, campaign, settings, "2023Q2", d)
    assert not stale.exists() and unrelated.exists()


def test_hostile_unit_and_station_names_stay_inside_the_folder(
    store, campaign, home, tmp_path
) -> None:
    from tests.sync.helpers import make_settings

    settings = make_settings(home)
    settings.set("unit", "../../CON. ")
    names = ["../上游村", "a\\b村", "CON", "名字.", "[测试]:村*?", "x" * 58 + "村"]
    for i, name in enumerate(names):
        sid = add_station(store, name, "联系人", "1391234567" + str(i))
        visit(store, campaign, sid, dt.date(2023, 5, 3 + i))
    out = tmp_path / "out"
    r = export_period(store, campaign, settings, "2023Q2", out)
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 8
    for p in r.files:
        assert p.parent == out.resolve()
        assert len(p.name.encode()) <= 150 and ".." not in p.name
    assert all(n.startswith("_._CON_2023Q2_") for n in written), written
    wb = openpyxl.load_workbook(r.directory / next(n for n in written if "附件1" in n))
    assert len(set(wb.sheetnames)) == len(names)
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in wb.sheetnames)
    with zipfile.ZipFile(io.BytesIO(r.zip.read_bytes())) as zf:
        assert all("/" not in n and ".." not in n for n in zf.namelist())
    parse_batch((out / next(n for n in written if n.endswith("封存批次.json"))).read_bytes())


def test_a_matter_entered_twice_is_marked_not_counted_on_the_score_sheet(
    store, campaign, settings, township, tmp_path
) -> None:
    from fieldtui.domain.scoring import BonusEntry

    # The same matter under items 58 (3 points) and 59 (2): only the higher entry counts.
    bonus = [
        BonusEntry(58, 3.0, "全省示范站", "provincial"),
        BonusEntry(59, 2.0, "全省示范站", "prefectural"),
    ]
    visit(store, campaign, township["e"], dt.date(2023, 6, 20), zero=[7], bonus=bonus)
    ex = export_period(store, campaign, settings, "2023Q2", tmp_path / "o", now=lambda: SEAL_TIME)
    wb = openpyxl.load_workbook(ex.directory / "龙河镇_2023Q2_附件1_验收评分表.xlsx")
    rows = {r[1]: r for r in wb["红星村退役军人服务站"].iter_rows(min_row=5, values_only=True)}
    assert rows[58][4] == 3 and "全省示范站（3分）" in rows[58][2]
    assert rows[59][4] is None and "全省示范站（2分，同一事项不重复计分）" in rows[59][2]
