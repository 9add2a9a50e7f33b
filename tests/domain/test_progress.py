"""Compliance rate, counting visits, revisions, the plan against the targets."""

from __future__ import annotations

import datetime as dt

from fieldtui.campaigns import active
from fieldtui.domain.progress import (
    StationRef,
    VisitRef,
    counting_visits,
    days_left,
    next_deadline,
    period_progress,
    progress,
    stations_behind_plan,
)
from fieldtui.domain.rubric import CHINA_TZ

C = active(None)
Q1, Q2, Q3, Q4 = C.periods
D = dt.date


def v(id: int, sid: int, day: dt.date, passed: bool, complete: bool = True, revises: int | None = None) -> VisitRef:  # fmt: skip
    return VisitRef(id, sid, day, complete, passed and complete, revises)


def test_latest_complete_visit_on_or_before_the_day_counts() -> None:
    visits = [
        v(1, 1, D(2023, 3, 10), False),
        v(2, 1, D(2023, 4, 20), True),
        v(3, 1, D(2023, 5, 5), False),  # after Q1: does not count for Q1
        v(4, 1, D(2023, 4, 25), False, complete=False),  # a draft never counts
    ]
    assert counting_visits(visits, Q1.last)[1].id == 2
    assert counting_visits(visits, Q2.last)[1].id == 3  # a later failing visit replaces a pass


def test_a_completed_revision_replaces_the_original_everywhere() -> None:
    visits = [v(1, 1, D(2023, 4, 1), False), v(2, 1, D(2023, 4, 1), True, revises=1)]
    assert counting_visits(visits, Q1.last)[1].id == 2
    # A draft revision does not replace the original yet.
    draft = [v(1, 1, D(2023, 4, 1), False), v(2, 1, D(2023, 4, 1), True, False, revises=1)]
    assert counting_visits(draft, Q1.last)[1].id == 1


def test_rate_and_target_with_the_ceiling_rule() -> None:
    stations = [StationRef(i) for i in range(1, 11)]  # 10 stations
    visits = [v(i, i, D(2023, 4, 1), True) for i in (1, 2)]
    p = period_progress(C, Q1, stations, visits, {})
    assert (p.stations, p.passed, p.rate, p.needed, p.met) == (10, 2, 0.2, 3, False)
    visits.append(v(3, 3, D(2023, 4, 30), True))  # on the last day: counts
    p = period_progress(C, Q1, stations, visits, {})
    assert (p.passed, p.needed, p.met, p.behind) == (3, 3, True, False)
    assert abs(p.gap - 0.05) < 1e-9


def test_no_stations_gives_no_rate_not_an_error() -> None:
    p = period_progress(C, Q2, [], [], {})
    assert p.rate is None and p.planned_share is None and p.gap is None
    assert p.met and not p.behind


def test_archived_stations_leave_the_scope_from_their_archive_day() -> None:
    stations = [
        StationRef(1),
        StationRef(2, archived=D(2023, 6, 1)),
        StationRef(3, archived=D(2023, 7, 15)),
    ]
    assert period_progress(C, Q1, stations, [], {}).stations == 3
    assert period_progress(C, Q2, stations, [], {}).stations == 2
    assert period_progress(C, Q3, stations, [], {}).stations == 1


def test_planned_share_is_cumulative_and_flags_a_short_plan() -> None:
    stations = [StationRef(i) for i in range(1, 5)]
    plan = {1: "2023-03", 2: "2023-05", 3: "2023-09", 4: "2023-12"}
    rows = progress(C, stations, [], plan)
    assert [r.planned for r in rows] == [1, 2, 3, 4]
    assert [r.planned_share for r in rows] == [0.25, 0.5, 0.75, 1.0]
    assert not any(r.plan_short for r in rows)
    plan[2] = "2023-07"  # Q2 now plans 1 of 4 < ceil(0.5*4)
    assert progress(C, stations, [], plan)[1].plan_short


def test_stations_behind_their_planned_month() -> None:
    stations = [StationRef(1), StationRef(2), StationRef(3)]
    plan = {1: "2023-03", 2: "2023-03", 3: "2023-09"}
    visits = [v(1, 1, D(2023, 3, 20), True)]
    assert stations_behind_plan(stations, visits, plan, D(2023, 4, 10)) == [2]
    assert stations_behind_plan(stations, visits, plan, D(2023, 10, 1)) == [2, 3]


def test_next_deadline_and_days_left() -> None:
    now = dt.datetime(2023, 6, 30, 23, 0, tzinfo=CHINA_TZ)
    p = next_deadline(C, now)
    assert p is not None and p.label == "2023Q2"
    assert days_left(p, D(2023, 6, 20)) == 10
    assert next_deadline(C, dt.datetime(2024, 1, 1, tzinfo=CHINA_TZ)) is None
