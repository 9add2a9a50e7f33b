"""``fieldtui county``: the county centre's side — the receiving server, tokens, import, report.

Everything heavy (starlette, uvicorn, the county store) is imported inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fieldtui.cli.context import CliError, Context
from fieldtui.i18n import percent

DEFAULT_PORT = 8765
DEFAULT_MAX_BODY = 8 * 1024 * 1024


def _positive(kind: type) -> Any:
    def check(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError("must not be negative")
        return value

    return check


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    county = sub.add_parser(
        "county",
        parents=[common],
        help="the county centre: the review app, or receive, import, report and review batches",
    )
    county.set_defaults(handler=cmd_county, county_parser=county)
    csub = county.add_subparsers(dest="county_cmd", metavar="ACTION")

    p = csub.add_parser("serve", parents=[common], help="run the county endpoint")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    p.add_argument("--max-body", type=_positive(int), default=DEFAULT_MAX_BODY, help="bytes")
    p.add_argument(
        "--body-timeout", type=_positive(float), default=120.0, help="seconds for a whole body"
    )
    p.add_argument(
        "--idle-timeout",
        type=_positive(float),
        default=15.0,
        help="seconds a body may stall between bytes",
    )
    p.add_argument(
        "--head-timeout", type=_positive(float), default=10.0, help="seconds for the headers"
    )
    p.add_argument(
        "--rate",
        type=_positive(float),
        default=20.0,
        help="requests per second per client address (0: no limit)",
    )
    p.add_argument("--burst", type=_positive(float), default=120.0)
    p.add_argument(
        "--token-rate",
        type=_positive(float),
        default=1.0,
        help="requests per second per township token (0: no limit)",
    )
    p.add_argument("--token-burst", type=_positive(float), default=30.0)
    p.add_argument(
        "--max-connections",
        type=_positive(int),
        default=256,
        help="open connections in all (503 beyond)",
    )
    p.add_argument(
        "--max-connections-per-client",
        type=_positive(int),
        default=64,
        help="open connections per client address (429 beyond; 0: no cap)",
    )
    p.add_argument("--log-file", help="also write the request log to this file")
    p.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM, chain)")
    p.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")
    # For the reliability test that proves it detects duplicates; never for real use.
    p.add_argument("--unsafe-no-dedup", action="store_true", help=argparse.SUPPRESS)
    # For crash tests: exit (status 137) right after the Nth new batch is committed, before
    # answering — the "server killed between its commit and its response" case, on demand.
    p.add_argument("--unsafe-crash-after-commit", type=int, default=0, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_serve)

    tok = csub.add_parser("token", parents=[common], help="township tokens")
    tsub = tok.add_subparsers(dest="token_cmd", metavar="ACTION", required=True)
    p = tsub.add_parser("add", parents=[common], help="make a token for a township (shown once)")
    p.add_argument("unit")
    p.set_defaults(handler=cmd_token_add)
    p = tsub.add_parser(
        "list", parents=[common], help="tokens: unit, created, revoked (no secrets)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_token_list)
    p = tsub.add_parser("revoke", parents=[common], help="revoke a township's tokens")
    p.add_argument("unit")
    p.add_argument("--id", type=int, help="only this token")
    p.set_defaults(handler=cmd_token_revoke)

    unit = csub.add_parser("unit", parents=[common], help="registered townships")
    usub = unit.add_subparsers(dest="unit_cmd", metavar="ACTION", required=True)
    p = usub.add_parser("add", parents=[common], help="register a township (e.g. e-mail only)")
    p.add_argument("unit")
    p.set_defaults(handler=cmd_unit_add)
    p = usub.add_parser("list", parents=[common], help="registered townships")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_unit_list)

    p = csub.add_parser(
        "import", parents=[common], help="import e-mailed batches (.json, .zip, .eml, folders)"
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--max-size", type=_positive(int), default=DEFAULT_MAX_BODY, help="bytes")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)

    p = csub.add_parser("report", parents=[common], help="county-wide report per period")
    p.add_argument("--quarter", help="one period, e.g. 2023Q2")
    p.add_argument("--campaign", help="campaign id (default: the active one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_report)

    p = csub.add_parser(
        "files", parents=[common], help="the files received with a batch (the stamped scans)"
    )
    p.add_argument("batch", metavar="BATCH_ID", help="the batch id (or a unique prefix)")
    p.add_argument("--out", help="write the files into this folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_files)

    p = csub.add_parser("openapi", parents=[common], help="print or write the OpenAPI document")
    p.add_argument("--out", help="write it to this file")
    p.set_defaults(handler=cmd_openapi)

    from fieldtui.cli import county_review

    county_review.register(csub, common)


def cmd_county(ctx: Context, args: argparse.Namespace) -> int:
    """``fieldtui county`` alone opens the county app on the county home."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        args.county_parser.print_help(sys.stderr)
        return 2
    ctx.settings  # noqa: B018  (refused with the key named before the screen takes over)
    ctx.campaign  # noqa: B018
    from fieldtui.screens.county.app import run

    return run(ctx.home, ctx.lang)


def _store(ctx: Context) -> Any:
    from fieldtui.county.store import open_county

    return open_county(ctx.home)


def _now_iso() -> str:
    from fieldtui.county.intake import now_iso

    return now_iso()


# -- serve -------------------------------------------------------------------------------------


def cmd_serve(ctx: Context, args: argparse.Namespace) -> int:
    from fieldtui.county.serve import serve
    from fieldtui.county.server import ServerOptions

    if not 0 <= args.port <= 65535:
        raise CliError("--port: must be 0..65535")
    options = ServerOptions(
        max_body=args.max_body,
        body_idle=args.idle_timeout,
        body_total=args.body_timeout,
        head_timeout=args.head_timeout,
        ip_rate=args.rate,
        ip_burst=args.burst,
        token_rate=args.token_rate,
        token_burst=args.token_burst,
        max_connections=args.max_connections,
        max_connections_per_client=args.max_connections_per_client,
        dedup=not args.unsafe_no_dedup,
        crash_after_commit=args.unsafe_crash_after_commit,
    )

    tls = _tls_files(ctx, args.ssl_certfile, args.ssl_keyfile)

    def announce(url: str) -> None:
        print(
            ctx.t(f"县级接收服务已启动：{url}", f"county endpoint listening on {url}"), flush=True
        )

    try:
        stopped = serve(
            ctx.home,
            args.host,
            args.port,
            options,
            announce=announce,
            log_file=Path(args.log_file) if args.log_file else None,
            tls=tls,
        )
    except OSError as exc:
        raise CliError(
            ctx.t(
                f"无法监听 {args.host}:{args.port}：{exc.strerror or exc}",
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            )
        ) from None
    print(ctx.t(f"已停止（{stopped}）", f"stopped ({stopped})"), flush=True)
    return 0


def _tls_files(ctx: Context, certfile: str | None, keyfile: str | None) -> tuple[str, str] | None:
    """(certificate, key) for HTTPS, checked before the port is taken; None for plain HTTP."""
    if not certfile and not keyfile:
        return None
    if not (certfile and keyfile):
        raise CliError(ctx.t("--ssl-certfile 与 --ssl-keyfile 须同时给出",
                             "--ssl-certfile and --ssl-keyfile go together"))  # fmt: skip
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CliError(
            ctx.t(f"无法读取证书或私钥（{certfile}，{keyfile}）：{reason}",
                  f"cannot load the certificate or key ({certfile}, {keyfile}): {reason}")
        ) from None  # fmt: skip
    return certfile, keyfile


# -- tokens and units --------------------------------------------------------------------------


def cmd_token_add(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.county.auth import new_token, token_hash

    token = new_token()
    with _store(ctx) as store:
        tid = store.add_token(args.unit, token_hash(token), _now_iso())
    # The token alone on stdout (for scripts); the explanation on stderr.
    print(token, flush=True)
    print(
        ctx.t(
            f"令牌 #{tid} 已为 {args.unit.strip()} 生成。只显示这一次，请交给该镇乡经办人保存；"
            "县里只保存其哈希值。",
            f"token #{tid} made for {args.unit.strip()}. It is shown only this once: give it "
            "to the township's officer; the county keeps only its hash.",
        ),
        file=sys.stderr,
    )


def cmd_token_list(ctx: Context, args: argparse.Namespace) -> None:
    with _store(ctx) as store:
        rows = store.tokens()
    if args.json:
        ctx.emit_json(
            {
                "tokens": [
                    {"id": r.id, "unit": r.unit, "created": r.created, "revoked": r.revoked}
                    for r in rows
                ]
            }
        )
        return
    if not rows:
        ctx.out(ctx.t("还没有令牌", "no tokens yet"))
    for r in rows:
        state = (
            ctx.t(f"已吊销 {r.revoked}", f"revoked {r.revoked}")
            if r.revoked
            else ctx.t("有效", "active")
        )
        ctx.out(f"#{r.id:<4} {r.unit}  {ctx.t('生成于', 'created')} {r.created}  {state}")


def cmd_token_revoke(ctx: Context, args: argparse.Namespace) -> None:
    with _store(ctx) as store:
        n = store.revoke(args.unit.strip(), _now_iso(), args.id)
    if n == 0:
        raise CliError(
            ctx.t(f"{args.unit} 没有可吊销的有效令牌", f"{args.unit} has no active token to revoke")
        )
    ctx.out(ctx.t(f"已吊销 {args.unit} 的 {n} 个令牌", f"revoked {n} token(s) of {args.unit}"))


def cmd_unit_add(ctx: Context, args: argparse.Namespace) -> None:
    with _store(ctx) as store:
        added = store.add_unit(args.unit, _now_iso())
    unit = args.unit.strip()
    if added:
        ctx.out(ctx.t(f"已登记 {unit}", f"registered {unit}"))
    else:
        ctx.out(ctx.t(f"{unit} 已经登记过", f"{unit} was already registered"))


def cmd_unit_list(ctx: Context, args: argparse.Namespace) -> None:
    with _store(ctx) as store:
        units = store.units()
    if args.json:
        ctx.emit_json(
            {"units": [{"unit": u.name, "created": u.created, "tokens": u.tokens} for u in units]}
        )
        return
    for u in units:
        ctx.out(f"{u.name}  {ctx.t('登记于', 'registered')} {u.created}  "
                f"{ctx.t('有效令牌', 'active tokens')} {u.tokens}")  # fmt: skip


# -- import ------------------------------------------------------------------------------------


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from fieldtui.campaigns import load_all
    from fieldtui.county.importer import UnreadableFile, iter_files, read_candidates
    from fieldtui.county.intake import Rejection, submit

    campaigns = load_all(ctx.home)
    results: list[dict[str, Any]] = []
    with _store(ctx) as store:
        for path in iter_files([Path(f) for f in args.files]):
            try:
                candidates = read_candidates(path, args.max_size)
            except UnreadableFile as exc:
                results.append({"file": str(path), "status": "refused", "message": str(exc)})
                continue
            for cand in candidates:
                try:
                    outcome = submit(store, campaigns, cand.body, source="import")
                except Rejection as rej:
                    results.append(
                        {
                            "file": cand.where,
                            "status": "refused",
                            "error": rej.code,
                            "path": rej.path,
                            "message": rej.message,
                        }
                    )
                    continue
                r = outcome.receipt
                results.append(
                    {
                        "file": cand.where,
                        "status": "stored" if outcome.created else "duplicate",
                        "batch_id": r["batch_id"],
                        "unit": r["unit"],
                        "period": r["period"],
                        "received_at": r["received_at"],
                        "files": [_import_scan(store, r["batch_id"], f) for f in cand.files]
                        + [_unlisted(name) for name in cand.unlisted],
                    }
                )
    refused = sum(1 for r in results if r["status"] == "refused")
    refused_files = sum(1 for r in results for f in r.get("files", ()) if f["status"] == "refused")
    if args.json:
        ctx.emit_json(
            {
                "results": results,
                "stored": sum(1 for r in results if r["status"] == "stored"),
                "duplicates": sum(1 for r in results if r["status"] == "duplicate"),
                "refused": refused,
                "files_refused": refused_files,
            }
        )
    else:
        for r in results:
            if r["status"] == "stored":
                ctx.out(ctx.t(f"已接收 {r['unit']} {r['period']} 批次 {r['batch_id']}（{r['file']}）",
                              f"stored {r['unit']} {r['period']} batch {r['batch_id']} ({r['file']})"))  # fmt: skip
            elif r["status"] == "duplicate":
                ctx.out(ctx.t(f"已有，不重复接收：{r['unit']} {r['period']} 批次 {r['batch_id']}"
                              f"（{r['received_at']} 收到）",
                              f"already received, not stored twice: {r['unit']} {r['period']} "
                              f"batch {r['batch_id']} (received {r['received_at']})"))  # fmt: skip
            else:
                where = f" [{r['path']}]" if r.get("path") else ""
                print(
                    ctx.t(f"拒收 {r['file']}{where}：{r['message']}",
                          f"refused {r['file']}{where}: {r['message']}"),
                    file=sys.stderr,
                )  # fmt: skip
            for f in r.get("files", ()):
                if f["status"] == "stored":
                    ctx.out(ctx.t(f"    已接收盖章扫描件 {f['name']}",
                                  f"    stored the stamped scan {f['name']}"))  # fmt: skip
                elif f["status"] == "duplicate":
                    ctx.out(ctx.t(f"    盖章扫描件已有，不重复接收：{f['name']}",
                                  f"    scan already received, not stored twice: {f['name']}"))  # fmt: skip
                elif f["status"] == "unlisted":
                    print(ctx.t(f"    未接收附件 {f['name']}：SHA256SUMS 中没有它，无法核对；"
                                "请乡镇用 fieldtui batch attach 附上盖章扫描件后重新导出",
                                f"    not taken: {f['name']} is not in SHA256SUMS, so it cannot "
                                "be checked; ask the township to attach the scan with "
                                "`fieldtui batch attach` and export again"),
                          file=sys.stderr)  # fmt: skip
                else:
                    print(ctx.t(f"    拒收扫描件 {f['name']}：{f['message']}",
                                f"    refused the scan {f['name']}: {f['message']}"),
                          file=sys.stderr)  # fmt: skip
    return 2 if refused or refused_files else 0


def _unlisted(name: str) -> dict[str, Any]:
    return {"name": name, "sha256": None, "status": "unlisted",
            "message": "not in the message's SHA256SUMS: not taken"}  # fmt: skip


def _import_scan(store: Any, batch_id: str, scan: Any) -> dict[str, Any]:
    """A scan carried by an imported file, through the push's checks and storage. Its name is
    kept unless the batch already has another file under it, ignoring case (then
    ``name_2``...)."""
    from fieldtui.county.intake import Rejection, check_file, store_file
    from fieldtui.domain.batch import FILE_NAME_MAX_BYTES
    from fieldtui.domain.filenames import NameAllocator, name_key, split_name

    name = scan.name
    taken = {name_key(f.name): f.sha256 for f in store.files_of(batch_id)}
    if name_key(name) in taken and taken[name_key(name)] != scan.sha256:
        stem, ext = split_name(name)
        name = NameAllocator(FILE_NAME_MAX_BYTES, tuple(taken)).take(stem, ext, fallback="scan")
    try:
        checked = check_file(name, scan.data, declared_digest=scan.sha256)
        outcome = store_file(store, batch_id, checked, source="import")
    except Rejection as rej:
        return {"name": name, "sha256": scan.sha256, "status": "refused", "error": rej.code,
                "message": rej.message}  # fmt: skip
    return {
        "name": outcome.receipt["name"],
        "sha256": scan.sha256,
        "status": "stored" if outcome.created else "duplicate",
    }


# -- report ------------------------------------------------------------------------------------


def cmd_report(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.campaigns import active
    from fieldtui.county.report import county_report
    from fieldtui.domain.progress import china_now

    campaign = active(ctx.home, args.campaign) if args.campaign else ctx.campaign
    if args.quarter and campaign.period(args.quarter) is None:
        labels = ", ".join(p.label for p in campaign.periods)
        raise CliError(f"--quarter: no period {args.quarter!r} (periods: {labels})")
    with _store(ctx) as store:
        units = [u.name for u in store.units()]
        batches = store.batches(campaign.id, receipts=False)
        files = store.file_counts()
    report = county_report(campaign, units, batches, china_now(), args.quarter, files)
    if args.json:
        ctx.emit_json(report)
        return
    _print_report(ctx, report)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cells(*cols: tuple[str, int, str]) -> str:
    """Columns (text, width, align '<' or '>') padded by display width (Chinese is double)."""
    out = []
    for text, width, align in cols:
        pad = " " * max(0, width - _width(text))
        out.append(text + pad if align == "<" else pad + text)
    return "  ".join(out).rstrip()


def _print_report(ctx: Context, report: dict[str, Any]) -> None:
    t = ctx.t
    if not report["periods"]:
        ctx.out(t("还没有到期或已收到的期间", "no period is due or has batches yet"))
    for p in report["periods"]:
        c = p["county"]
        due = p["due"][:16].replace("T", " ")
        ctx.out(t(f"{p['period']}  截止 {due}  目标 {p['target']:.0%}",
                  f"{p['period']}  due {due}  target {p['target']:.0%}"))  # fmt: skip
        ctx.out("  " + _cells(
            (t("镇乡", "township"), 16, "<"), (t("服务站", "stations"), 8, ">"),
            (t("达标", "passed"), 6, ">"), (t("达标率", "rate"), 6, ">"),
            (t("需达标", "needed"), 6, ">"), (t("状态", "state"), 6, "<"),
            (t("盖章扫描件", "scan"), 10, "<"), (t("报送时间", "submitted"), 16, "<"),
        ))  # fmt: skip
        for r in p["townships"]:
            state = t("达到", "met") if r["met"] else t("未达", "behind")
            late = (
                t(f"逾期 {r['late_days']} 天", f"late by {r['late_days']} d")
                if r["late"]
                else t("按时", "on time")
            )
            ctx.out("  " + _cells(
                (r["unit"], 16, "<"), (str(r["stations"]), 8, ">"), (str(r["passed"]), 6, ">"),
                (percent(r["rate"]), 6, ">"), (str(r["needed"]), 6, ">"), (state, 6, "<"),
                (t("已收到", "received") if r["scan"] else t("未收到", "none"), 10, "<"),
                (r["submitted_at"][:16].replace("T", " "), 16, "<"), (late, 0, "<"),
            ))  # fmt: skip
        for unit in p["missing"]:
            ctx.out("  " + _cells((unit, 16, "<"), (t("未报送", "missing"), 8, ">")))
        state = t("达到", "met") if c["met"] else t("未达", "behind")
        ctx.out(t(f"  全县：{c['townships']} 个镇乡报送，服务站 {c['stations']}，达标 {c['passed']}，"
                  f"达标率 {percent(c['rate'])}（需 {c['needed']}），{state}；"
                  f"未报送 {len(p['missing'])}，逾期 {c['late']}，已收到盖章扫描件 {c['scans']}",
                  f"  county: {c['townships']} townships reported, {c['stations']} stations, "
                  f"{c['passed']} passed, rate {percent(c['rate'])} (needs {c['needed']}), {state}; "
                  f"missing {len(p['missing'])}, late {c['late']}, stamped scans {c['scans']}"))  # fmt: skip


def _find_batch(ctx: Context, store: Any, ref: str) -> Any:
    found = store.find(ref)
    if found is None and len(ref) >= 4:
        ids = [b.batch_id for b in store.batches(receipts=False) if b.batch_id.startswith(ref)]
        found = store.find(ids[0]) if len(ids) == 1 else None
    if found is None:
        raise CliError(ctx.t(f"县级没有收到批次 {ref}", f"no batch {ref} was received"))
    return found


def cmd_files(ctx: Context, args: argparse.Namespace) -> None:
    """List the files received with a batch; with --out write them (atomically, safe names,
    never one over another written in the same run)."""
    from fieldtui.domain.filenames import NameAllocator, is_safe_filename, split_name

    written: list[str] = []
    with _store(ctx) as store:
        batch = _find_batch(ctx, store, args.batch)
        files = store.files_of(batch.batch_id)
        if args.out:
            from fieldtui.settings import atomic_write

            out = Path(args.out)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CliError(ctx.t(f"{out}：无法创建文件夹（{exc.strerror or exc}）",
                                     f"{out}: cannot create the folder ({exc.strerror or exc})")) from None  # fmt: skip
            # Two stored names may still differ only in case (received before the county
            # compared names so): on Windows or macOS one would silently replace the other.
            names = NameAllocator(max_bytes=255)
            for f in files:
                if not is_safe_filename(f.name, max_bytes=255):  # stored names are; be sure
                    raise CliError(f"{f.name!r}: not a safe file name")
                target = out / names.take(*split_name(_written_name(f.name, f.mime)))
                try:
                    atomic_write(target, store.file_data(f.id))
                except OSError as exc:
                    raise CliError(ctx.t(f"{target}：无法写入（{exc.strerror or exc}），原文件保留",
                                         f"{target}: cannot write ({exc.strerror or exc}); "
                                         "any old file is kept")) from None  # fmt: skip
                written.append(str(target))
    rows = [
        {"name": f.name, "mime": f.mime, "size": f.size, "sha256": f.sha256, "source": f.source,
         "received_at": f.received_at}
        for f in files
    ]  # fmt: skip
    if args.json:
        ctx.emit_json({"batch_id": batch.batch_id, "unit": batch.unit, "period": batch.period,
                       "files": rows, "written": written})  # fmt: skip
        return
    ctx.out(f"{batch.unit} {batch.period} {batch.batch_id}")
    if not files:
        ctx.out(ctx.t("  没有收到盖章扫描件", "  no stamped scan received"))
    for f in files:
        how = ctx.t("上报", "pushed") if f.source == "push" else ctx.t("导入", "imported")
        ctx.out(f"  {f.name}  {f.size} B  {f.mime}  {how} {f.received_at[:16].replace('T', ' ')}"
                f"  sha256 {f.sha256[:12]}…")  # fmt: skip
    for w in written:
        ctx.out(ctx.t(f"已写入 {w}", f"written {w}"))


def _written_name(name: str, mime: str) -> str:
    """The name a received file is written under: its own, unless its extension disagrees with
    its content (a file received before the county checked that): then the content's extension
    is added (``scan.bat`` holding a PDF is written as ``scan.bat.pdf``)."""
    from fieldtui.domain.filenames import safe_filename
    from fieldtui.domain.submission import SCAN_EXTENSIONS, extension_agrees

    if extension_agrees(name, mime):
        return name
    ext = next((e for e, m in SCAN_EXTENSIONS.items() if m == mime), "bin")
    return safe_filename(name, ext, max_bytes=255)


def cmd_openapi(ctx: Context, args: argparse.Namespace) -> None:
    from fieldtui.county.openapi import document_text

    text = document_text()
    if args.out:
        from fieldtui.settings import atomic_write

        atomic_write(Path(args.out), text.encode("utf-8"))
        ctx.out(ctx.t(f"已写入 {args.out}", f"written {args.out}"))
    else:
        sys.stdout.write(text)
