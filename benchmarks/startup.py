"""Start-up: process start to the first screen ready for input, peak RSS, imports, modules loaded.

Every run is a real process: ``python -m fieldtui --home HOME`` with ``FIELDTUI_EXIT_WHEN_READY=1``
(headless; the app exits right after its first screen has been drawn and takes keys) against
``python -m benchmarks.floors bare`` and ``... naive``, which exit at the same moment. Both write
``time.monotonic()`` and ``time.process_time()`` at that moment into ``FIELDTUI_READY_FILE``; the
launcher (benchmarks/spawn.py, a small process of its own so that the children's peak RSS is not
inherited from the harness) notes ``time.monotonic()`` just before it starts the process (one
system-wide clock), so "to ready" includes the interpreter's own start. Peak RSS is the child's
``ru_maxrss`` from ``os.wait4``. POSIX only (``posix_spawn``, ``wait4``).

The commands run interleaved (bare, naive, app-0, app-100, app-1000, then again, each round
starting one further along), and each figure is the median over the rounds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import HEAVY, Figure, Homes, child_env, median

# Area modules built when first opened: none of them may be loaded at the first screen.
LAZY_AREAS = (
    "fieldtui.screens.ledger",
    "fieldtui.screens.plan",
    "fieldtui.screens.settings",
    "fieldtui.screens.scoring",
    "fieldtui.screens.batches",
    "fieldtui.sync.client",
)


@dataclass
class Started:
    ready_ms: float  # process start to the first screen ready (wall)
    cpu_ms: float  # CPU of the child up to that moment
    exit_ms: float  # process start to exit
    rss_mib: float  # peak resident set size
    screen: str
    modules: list[str]


class Launcher:
    """The small process that starts every measured command (benchmarks/spawn.py)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(__file__).with_name("spawn.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, cmd: list[str], env: dict[str, str], stderr: Path) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, "env": env, "stderr": str(stderr)}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the launcher (benchmarks/spawn.py) stopped")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def start_once(launcher: Launcher, cmd: list[str], work: Path, env: dict[str, str]) -> Started:
    ready_file, err_file = work / "ready.json", work / "stderr.txt"
    if ready_file.exists():
        ready_file.unlink()
    env = {**env, "FIELDTUI_READY_FILE": str(ready_file), "FIELDTUI_EXIT_WHEN_READY": "1"}
    done = launcher.run(cmd, env, err_file)
    if done["code"] != 0 or not ready_file.exists():
        err = err_file.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} exited {done['code']} before ready:\n{err}")
    report = json.loads(ready_file.read_text(encoding="utf-8"))
    return Started(
        ready_ms=(report["ready"] - done["t0"]) * 1000,
        cpu_ms=report["cpu"] * 1000,
        exit_ms=(done["t1"] - done["t0"]) * 1000,
        rss_mib=done["maxrss_kib"] / 1024,
        screen=str(report.get("screen", "")),
        modules=list(report["modules"]),
    )


def commands(homes: Homes, stations: tuple[int, ...]) -> dict[str, list[str]]:
    py = sys.executable
    cmds = {
        "bare": [py, "-m", "benchmarks.floors", "bare"],
        "naive": [py, "-m", "benchmarks.floors", "naive"],
    }
    for n in stations:
        cmds[f"app-{n}"] = [py, "-m", "fieldtui", "--home", str(homes.get(n))]
    return cmds


def interleaved(
    cmds: dict[str, list[str]], rounds: int, work: Path, env: dict[str, str]
) -> dict[str, list[Started]]:
    """Each command once to warm caches (not counted), then ``rounds`` rounds, rotating."""
    names = list(cmds)
    launcher = Launcher()
    try:
        for name in names:
            start_once(launcher, cmds[name], work, env)
        out: dict[str, list[Started]] = {n: [] for n in names}
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                out[name].append(start_once(launcher, cmds[name], work, env))
    finally:
        launcher.close()
    return out


def module_problems(modules: list[str]) -> list[str]:
    loaded = set(modules)
    heavy = [m for m in HEAVY if m in loaded]
    lazy = [m for m in LAZY_AREAS if m in loaded]
    return heavy + lazy


# -- -X importtime ---------------------------------------------------------------------------------

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def parse_importtime(text: str) -> list[tuple[int, str, int, int]]:
    """(depth, module, self µs, cumulative µs) for every line of ``-X importtime`` output."""
    rows = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            rows.append((len(m.group(3)) // 2, m.group(4), int(m.group(1)), int(m.group(2))))
    return rows


def attribute(rows: list[tuple[int, str, int, int]]) -> dict[str, Any]:
    """Import time split by who asked for it: a module's own time counts for the nearest of
    itself and its importers that is ``fieldtui.*``, ``textual.*``/``rich.*`` or ``benchmarks.*``
    (else "python": the interpreter's own start-up imports)."""
    totals = {"fieldtui": 0, "textual": 0, "benchmarks": 0, "python": 0}
    own: dict[str, int] = {}
    stack: list[tuple[int, str]] = []
    for depth, name, self_us, _cum in reversed(rows):  # pre-order: importers first
        while stack and stack[-1][0] >= depth:
            stack.pop()
        owner = "python"
        for n in [name, *(s[1] for s in reversed(stack))]:
            root = n.split(".", 1)[0]
            if root in ("fieldtui", "benchmarks"):
                owner = root
                break
            if root in ("textual", "rich"):
                owner = "textual"
                break
        totals[owner] += self_us
        if owner == "fieldtui":
            own[name if name.startswith("fieldtui") else f"(stdlib/3rd) {name}"] = self_us
        stack.append((depth, name))
    return {
        "total_ms": sum(totals.values()) / 1000,
        "by_owner_ms": {k: v / 1000 for k, v in totals.items()},
        "fieldtui_self_ms": {k: v / 1000 for k, v in own.items()},
        "count": len(rows),
    }


def importtime_once(cmd: list[str], work: Path, env: dict[str, str]) -> dict[str, Any]:
    ready = work / "ready-imports.json"
    env = {**env, "FIELDTUI_READY_FILE": str(ready), "FIELDTUI_EXIT_WHEN_READY": "1"}
    out = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"importtime run failed:\n{out.stderr[-3000:]}")
    return attribute(parse_importtime(out.stderr))


def importtimes(
    cmds: dict[str, list[str]], rounds: int, work: Path, env: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Median import figures for each command, runs interleaved."""
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in cmds}
    for _ in range(rounds):
        for name, cmd in cmds.items():
            runs[name].append(importtime_once(cmd, work, env))
    out = {}
    for name, rs in runs.items():
        mods: dict[str, list[float]] = {}
        for r in rs:
            for m, v in r["fieldtui_self_ms"].items():
                mods.setdefault(m, []).append(v)
        out[name] = {
            "total_ms": median([r["total_ms"] for r in rs]),
            "by_owner_ms": {
                k: median([r["by_owner_ms"][k] for r in rs]) for k in rs[0]["by_owner_ms"]
            },
            "modules_imported": median([r["count"] for r in rs]),
            "fieldtui_top_ms": dict(
                sorted(((m, round(median(v), 2)) for m, v in mods.items()), key=lambda kv: -kv[1])[
                    :15
                ]
            ),
        }
    return out


# -- the section -----------------------------------------------------------------------------------


def run(
    homes: Homes, rounds: int, import_rounds: int, stations: tuple[int, ...] = (0, 100, 1000)
) -> tuple[list[Figure], dict[str, Any], list[str]]:
    """Start-up and import figures; returns (figures, raw details, problems)."""
    env = child_env()
    work = homes.base / "startup"
    work.mkdir(parents=True, exist_ok=True)
    cmds = commands(homes, stations)
    runs = interleaved(cmds, rounds, work, env)
    med = {
        name: {
            f: median([getattr(s, f) for s in rs])
            for f in ("ready_ms", "cpu_ms", "exit_ms", "rss_mib")
        }
        for name, rs in runs.items()
    }
    problems: list[str] = []
    loaded: dict[str, list[str]] = {}
    for name, rs in runs.items():
        if not name.startswith("app-"):
            continue
        bad = sorted({m for s in rs for m in module_problems(s.modules)})
        loaded[name] = bad
        if bad:
            problems.append(f"{name}: loaded at the first screen: {', '.join(bad)}")
        screens = {s.screen for s in rs}
        want = "WelcomeScreen" if name == "app-0" else "DashboardScreen"
        if screens != {want}:
            problems.append(f"{name}: first screen {screens}, expected {want}")

    bare = med["bare"]
    figs: list[Figure] = []
    budgets = {0: None, 100: 1.25, 1000: 1.5}
    label = {0: "empty database", 100: "100 stations", 1000: "1,000 stations"}
    for n in stations:
        m = med[f"app-{n}"]
        lim = budgets.get(n)
        what = label.get(n, f"{n} stations")
        figs.append(
            Figure(
                "start-up", f"to ready, {what}", m["ready_ms"], "ms", "bare", bare["ready_ms"], lim
            )
        )
        figs.append(
            Figure(
                "start-up", f"CPU to ready, {what}", m["cpu_ms"], "ms", "bare", bare["cpu_ms"], None
            )
        )
        figs.append(
            Figure(
                "start-up", f"peak RSS, {what}", m["rss_mib"], "MiB", "bare", bare["rss_mib"], lim
            )
        )
    n_naive = med["naive"]
    figs.append(
        Figure(
            "start-up",
            "naive checklist floor: to ready",
            n_naive["ready_ms"],
            "ms",
            "bare",
            bare["ready_ms"],
            None,
            "the second floor, for scale",
        )
    )

    imp_cmds = {"bare": cmds["bare"]}
    focus = 100 if 100 in stations else stations[-1]
    imp_cmds["app"] = cmds[f"app-{focus}"]
    imports = importtimes(imp_cmds, import_rounds, work, env)
    ours, floor = imports["app"], imports["bare"]
    figs.append(
        Figure(
            "imports",
            "all imports to the first screen",
            ours["total_ms"],
            "ms",
            "bare",
            floor["total_ms"],
            None,
            f"-X importtime, {focus} stations",
        )
    )
    figs.append(
        Figure(
            "imports",
            "of them fieldtui's own (and what it pulls in)",
            ours["by_owner_ms"]["fieldtui"],
            "ms",
            "bare all",
            floor["total_ms"],
            None,
        )
    )
    figs.append(
        Figure(
            "imports",
            "modules imported",
            ours["modules_imported"],
            "",
            "bare",
            floor["modules_imported"],
            None,
        )
    )
    heavy_loaded = sum(len(v) for v in loaded.values())
    figs.append(
        Figure(
            "imports",
            "heavy or lazy modules at the first screen",
            heavy_loaded,
            "",
            "must be 0",
            None,
            None,
            ", ".join(HEAVY) + "; the areas but the dashboard",
        )
    )

    details = {
        "medians": med,
        "runs": {
            n: [{k: v for k, v in s.__dict__.items() if k != "modules"} for s in rs]
            for n, rs in runs.items()
        },
        "imports": imports,
        "loaded_at_first_screen": loaded,
    }
    return figs, details, problems


if __name__ == "__main__":  # python -m benchmarks.startup [rounds]: this section alone
    from benchmarks.common import table, warm_bytecode

    warm_bytecode()
    h = Homes()
    try:
        f, d, p = run(h, int(sys.argv[1]) if len(sys.argv) > 1 else 7, 3)
        print(table(f))
        print(json.dumps(d["imports"], indent=1))
        for line in p:
            print("PROBLEM:", line)
    finally:
        h.close()
    sys.exit(1 if p else 0)
