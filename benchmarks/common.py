"""What every section of the harness shares: child processes, statistics, demo homes, figures.

Every figure is measured in a child process of its own (a fresh heap, its own imports), with the
bytecode cache written and warm: ``PYTHONDONTWRITEBYTECODE`` is removed from the children's
environment, or every start would compile fieldtui again and measure the compiler.
"""

from __future__ import annotations

import compileall
import datetime as dt
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# The officer's "today" in every run: the end of the 2023 campaign year, so a demo township
# holds a full year of visits and the dashboard shows every period.
TODAY = dt.date(2023, 12, 20)
FRAME_MS = 1000 / 60  # one frame at 60 fps: the budget of a key's work while typing
HEAVY = ("httpx", "openpyxl", "docx", "pypinyin", "starlette", "uvicorn", "sqlite_utils")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured child: bytecode written, no developer settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("FIELDTUI_")
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["FIELDTUI_TODAY"] = TODAY.isoformat()
    env["TEXTUAL_NO_BLINK"] = "1"
    env.update(extra)
    return env


def warm_bytecode() -> None:
    """Compile fieldtui and the benchmarks once, so no measured start compiles anything."""
    for d in (ROOT / "fieldtui", ROOT / "benchmarks"):
        compileall.compile_dir(str(d), quiet=1, workers=1)


def run_child(module: str, *args: str, timeout: float = 1200, **env: str) -> dict[str, Any]:
    """``python -m module args`` in a child; its last stdout line is a JSON object."""
    out = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=child_env(**env),
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else math.nan


def quantile(xs: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of ``xs``, inclusive method (as the percentiles quoted elsewhere)."""
    if not xs:
        return math.nan
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[round(q * 100) - 1]


def rss_bytes() -> int:
    """This process's resident set size now (Linux /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


# -- demo homes ------------------------------------------------------------------------------------


def make_home(base: Path, stations: int) -> Path:
    """A home with ``stations`` demo stations holding a year of visits (``fieldtui demo``).

    Filled with ``synchronous=OFF`` to save minutes of fsync on a busy disk; the app and every
    measured run open it again with the durable pragmas.
    """
    from fieldtui.campaigns import active
    from fieldtui.demo import fill_demo
    from fieldtui.settings import load_settings
    from fieldtui.store.store import open_store

    home = base / f"home-{stations}"
    settings = load_settings(home)
    settings.set("unit", "龙河镇")
    settings.set("officer", "冉小明")
    settings.save()
    with open_store(home) as store:
        store.conn.execute("PRAGMA synchronous=OFF")
        if stations:
            fill_demo(store, active(home), stations, today=TODAY)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return home


def copy_home(home: Path, to: Path) -> Path:
    if to.exists():
        shutil.rmtree(to)
    shutil.copytree(home, to)
    return to


class Homes:
    """Demo homes built once per harness run and copied for every run that writes."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="fieldtui-bench-")
        self.base = Path(self._tmp.name)
        self._homes: dict[int, Path] = {}

    def get(self, stations: int) -> Path:
        if stations not in self._homes:
            self._homes[stations] = make_home(self.base / "templates", stations)
        return self._homes[stations]

    def fresh(self, stations: int, name: str) -> Path:
        return copy_home(self.get(stations), self.base / "runs" / name)

    def close(self) -> None:
        self._tmp.cleanup()


# -- figures ---------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One line of the table: our value, what it is compared with, and the budget verdict.

    ``ratio`` is ours / reference (both measured in the same run unless the reference is a
    fixed budget such as one frame or one second). ``limit`` is the budget on the ratio (a ratio
    at or under it meets the budget); None when the line is reported without a budget.
    """

    section: str
    name: str
    value: float
    unit: str
    reference: str = ""
    reference_value: float | None = None
    limit: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.reference_value is None or not self.reference_value:
            return None
        return self.value / self.reference_value

    @property
    def verdict(self) -> str:
        r = self.ratio
        if self.limit is None or r is None or math.isnan(r):
            return ""
        return "met" if r <= self.limit else "NOT MET"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        d["verdict"] = self.verdict
        return d


def fmt(v: float | None, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if unit in ("x", "ratio"):
        return f"{v:.2f}x"
    if abs(v) >= 100:
        s = f"{v:,.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return f"{s} {unit}".rstrip()


def table(figures: Sequence[Figure]) -> str:
    """The printed table: one line per figure, grouped by section."""
    head = ("figure", "ours", "reference", "ratio", "budget", "verdict")
    rows: list[tuple[str, ...]] = []
    section = None
    for f in figures:
        if f.section != section:
            section = f.section
            rows.append((f"[{section}]", "", "", "", "", ""))
        ref = (
            f"{f.reference} {fmt(f.reference_value, f.unit)}"
            if f.reference_value is not None
            else f.reference
        )
        rows.append(
            (
                f"  {f.name}",
                fmt(f.value, f.unit),
                ref.strip(),
                fmt(f.ratio, "x") if f.ratio is not None else "",
                f"≤ {f.limit:g}x" if f.limit is not None else "",
                f.verdict,
            )
        )
    widths = [max(_w(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = [_row(head, widths), _row(tuple("-" * w for w in widths), widths)]
    lines += [_row(r, widths) for r in rows]
    return "\n".join(lines)


def _w(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    out = []
    for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
        pad = " " * (w - _w(c))
        out.append(c + pad if i == 0 else pad + c)
    return "  ".join(out).rstrip()
