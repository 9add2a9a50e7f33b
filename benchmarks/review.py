"""County review benchmark: drawing samples, serving reviews, opening the county app.

    python -m benchmarks.review            # the default figures
    python -m benchmarks.review --quick    # smaller counts

Measures:

- the draw and its verification (``fieldtui.domain.sampling``) over 40 townships of 100 passed
  stations each (4,000 hashes), and ``county sample`` end to end on a county with received batches;
- ``GET /api/v1/batches/{id}/review`` against a real ``fieldtui county serve`` on loopback, with a
  draw, a re-score and a verdict stored: median and 95th-percentile latency, one keep-alive client;
- the county app's first frame (``CountyApp.run_test`` until the overview is drawn).

Results are printed and written to ``benchmarks/results/review.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from fieldtui.domain.batch import API_PATH
from fieldtui.domain.sampling import Candidate, Parameters, Population, Rule, draw, record, verify
from tests.support.batches import BatchFactory
from tests.support.county_server import fieldtui, start_county
from tests.support.review import failing_sheet


def pure_draw(townships: int, stations: int, rounds: int) -> dict[str, float]:
    pops = [
        Population(
            f"镇{i:03d}", f"b{i}", tuple(Candidate(j, f"站{j}") for j in range(1, stations + 1))
        )
        for i in range(townships)
    ]
    params = Parameters(Rule("share", 0.2))
    t_draw, t_verify = [], []
    for r in range(rounds):
        t = time.perf_counter()
        drawn = draw(str(r), pops, params)
        t_draw.append(time.perf_counter() - t)
        rec = record(str(r), params, drawn)
        t = time.perf_counter()
        assert verify(rec, pops) == []
        t_verify.append(time.perf_counter() - t)
    return {
        "townships": townships,
        "stations_each": stations,
        "draw_ms": statistics.median(t_draw) * 1000,
        "verify_ms": statistics.median(t_verify) * 1000,
    }


def review_latency(root: Path, requests: int) -> dict[str, Any]:
    factory = BatchFactory(root / "township")
    units = [f"镇{i:02d}" for i in range(10)]
    srv = start_county(root / "county", units=units)
    try:
        ids = {}
        with httpx.Client(trust_env=False, timeout=30) as c:
            for u in units:
                b = factory.seal(u)
                r = c.post(srv.url + API_PATH, content=b.body, headers=b.headers(srv.tokens[u]))
                assert r.status_code == 201
                ids[u] = b.batch_id
        t = time.perf_counter()
        fieldtui(srv.home, "county", "sample", "--quarter", "2023Q2", "--share", "0.2",
                 "--seed", "1", "--reviewer", "王")  # fmt: skip
        sample_cli = time.perf_counter() - t
        from fieldtui.county import reviews
        from fieldtui.county.store import open_county

        with open_county(srv.home) as store:
            e = reviews.entries(store, 1)[0]
            visit = reviews.township_visit(store, e.batch_id, e.station_id)
        sheet, _ = failing_sheet(factory.campaign, visit)
        path = root / "sheet.json"
        path.write_text(json.dumps(sheet), encoding="utf-8")
        fieldtui(srv.home, "county", "rescore", e.unit, str(e.station_id), "--from", str(path),
                 "--reviewer", "王")  # fmt: skip
        fieldtui(srv.home, "county", "verdict", e.batch_id, "returned", "--reason", "x",
                 "--reviewer", "王")  # fmt: skip
        lat = []
        with httpx.Client(trust_env=False, timeout=30) as c:
            for k in range(requests):
                u = units[k % len(units)] if k % 2 else e.unit
                t = time.perf_counter()
                r = c.get(f"{srv.url}{API_PATH}/{ids[u]}/review",
                          headers={"Authorization": f"Bearer {srv.tokens[u]}"})  # fmt: skip
                lat.append(time.perf_counter() - t)
                assert r.status_code == 200
        lat.sort()
        return {
            "requests": requests,
            "median_ms": statistics.median(lat) * 1000,
            "p95_ms": lat[int(len(lat) * 0.95) - 1] * 1000,
            "county_sample_cli_s": sample_cli,
            "home": str(srv.home),
        }
    finally:
        srv.stop()


def app_first_frame(home: Path, rounds: int) -> dict[str, float]:
    from fieldtui.screens.county.app import CountyApp

    async def once() -> float:
        t = time.perf_counter()
        app = CountyApp(home, "zh")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            return time.perf_counter() - t

    times = [asyncio.run(once()) for _ in range(rounds)]
    return {"first_frame_ms": statistics.median(times) * 1000, "rounds": rounds}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    out: dict[str, Any] = {}
    out["draw"] = pure_draw(40, 100, 3 if args.quick else 10)
    with tempfile.TemporaryDirectory() as tmp:
        lat = review_latency(Path(tmp), 100 if args.quick else 500)
        out["app"] = app_first_frame(Path(lat.pop("home")), 2 if args.quick else 5)
        out["review_get"] = lat
    print(json.dumps(out, indent=2, ensure_ascii=False))
    dest = Path(__file__).parent / "results" / "review.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
