"""Spot-check sampling (抽查复核): a reproducible, checkable random draw of passed stations.

For a quarter the county draws, per township, some of the stations the township reported as
passed in its newest batch. The draw must be reproducible from what is stored, so anyone can show
it was fair, in this program or by hand:

- every township's *population* is its passed stations, identified by the township's station id;
- each station gets a rank ``sha256("fieldtui.sample/1\\n{seed}\\n{unit}\\n{station_id}")``
  (UTF-8, hex digest), and the ``n`` stations with the smallest ranks are drawn;
- ``n`` is the reviewer's count (at most the population) or ``ceil(share x population)``, so any
  share above 0 draws at least one station of every township that has passed stations.

A hash ranking is a uniformly random permutation for a seed nobody could choose in advance, does
not depend on the Python version (``random.Random`` does not promise that), and one township's
draw does not change when another township's batch arrives. The seed, the parameters, the
population and the result are stored together; :func:`verify` derives the draw again.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldtui.domain.errors import Refusal

ALGORITHM = "fieldtui.sample/1"
SEED_MAX_LEN = 100


class SampleError(Refusal):
    """Sampling parameters that cannot be used; the message names the parameter."""


@dataclass(frozen=True, slots=True)
class Rule:
    """How many to draw from one township: a share (0..1] or a count (>= 0)."""

    mode: str  # "share" or "count"
    value: float

    def __post_init__(self) -> None:
        if self.mode not in ("share", "count"):
            raise SampleError(f"sample rule: unknown mode {self.mode!r} (share or count)")
        v = self.value
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
            raise SampleError(f"--{self.mode}: not a number")
        if self.mode == "share" and not 0 < v <= 1:
            raise SampleError(f"--share: {v:g} must lie in (0, 1], e.g. 0.2 for 20 %")
        if self.mode == "count" and (v < 0 or not float(v).is_integer()):
            raise SampleError(f"--count: {v:g} must be a whole number >= 0")

    def size(self, population: int) -> int:
        if population <= 0:
            return 0
        if self.mode == "count":
            return min(int(self.value), population)
        # Round first so 0.2 * 10 does not become 2.0000000000000004 and draw 3.
        return min(population, max(1, math.ceil(round(self.value * population, 9))))

    def as_dict(self) -> dict[str, Any]:
        value: float | int = int(self.value) if self.mode == "count" else float(self.value)
        return {"mode": self.mode, "value": value}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A passed station of a township's batch."""

    station_id: int
    name: str
    visit_id: int | None = None
    total: float | None = None


@dataclass(frozen=True, slots=True)
class Population:
    unit: str
    batch_id: str
    stations: tuple[Candidate, ...]

    def ids(self) -> list[int]:
        return sorted(c.station_id for c in self.stations)


@dataclass(frozen=True, slots=True)
class Drawn:
    unit: str
    batch_id: str
    population: int
    rule: Rule
    stations: tuple[Candidate, ...]  # in rank order (smallest rank first)
    ranks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Parameters:
    default: Rule
    per_unit: Mapping[str, Rule] = field(default_factory=dict)

    def rule(self, unit: str) -> Rule:
        return self.per_unit.get(unit, self.default)

    def as_dict(self) -> dict[str, Any]:
        return {
            "default": self.default.as_dict(),
            "per_unit": {u: r.as_dict() for u, r in sorted(self.per_unit.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Parameters:
        default = Rule(data["default"]["mode"], data["default"]["value"])
        per = {u: Rule(r["mode"], r["value"]) for u, r in data.get("per_unit", {}).items()}
        return cls(default, per)


def new_seed() -> str:
    """A fresh seed: 64 random bits from the operating system, as decimal text."""
    return str(secrets.randbits(64))


def clean_seed(seed: str) -> str:
    s = seed.strip()
    if not s:
        raise SampleError("--seed: must not be empty")
    if len(s) > SEED_MAX_LEN:
        raise SampleError(f"--seed: longer than {SEED_MAX_LEN} characters")
    if any(ord(ch) < 32 for ch in s):
        raise SampleError("--seed: contains control characters")
    return s


def rank(seed: str, unit: str, station_id: int) -> str:
    """The station's place in the draw: the smaller, the earlier it is drawn."""
    text = f"{ALGORITHM}\n{seed}\n{unit}\n{station_id}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_one(seed: str, population: Population, rule: Rule) -> Drawn:
    ranked = sorted(
        ((rank(seed, population.unit, c.station_id), c) for c in population.stations),
        key=lambda rc: (rc[0], rc[1].station_id),
    )
    n = rule.size(len(ranked))
    chosen = ranked[:n]
    return Drawn(
        unit=population.unit,
        batch_id=population.batch_id,
        population=len(ranked),
        rule=rule,
        stations=tuple(c for _, c in chosen),
        ranks=tuple(r for r, _ in chosen),
    )


def draw(seed: str, populations: Iterable[Population], params: Parameters) -> list[Drawn]:
    """The whole draw, townships in code-point order of their names."""
    seed = clean_seed(seed)
    pops = sorted(populations, key=lambda p: p.unit)
    units = [p.unit for p in pops]
    if len(set(units)) != len(units):
        raise SampleError("a township appears twice among the populations")
    for p in pops:
        ids = [c.station_id for c in p.stations]
        if len(set(ids)) != len(ids):
            raise SampleError(f"{p.unit}: a station appears twice in its population")
    return [draw_one(seed, p, params.rule(p.unit)) for p in pops]


# -- the record that is stored, and checking it ----------------------------------------------


def record(seed: str, params: Parameters, drawn: Sequence[Drawn]) -> dict[str, Any]:
    """What is stored with the draw: enough to derive it again and compare."""
    return {
        "algorithm": ALGORITHM,
        "seed": clean_seed(seed),
        "parameters": params.as_dict(),
        "population": {d.unit: {"batch_id": d.batch_id} for d in drawn},
        "result": {
            d.unit: {
                "rule": d.rule.as_dict(),
                "population": d.population,
                "stations": [c.station_id for c in d.stations],
            }
            for d in drawn
        },
    }


def verify(stored: Mapping[str, Any], populations: Iterable[Population]) -> list[str]:
    """Derive the draw again from the stored seed and parameters over ``populations`` (the
    same batches' passed stations) and list every difference; [] means it is reproduced."""
    problems: list[str] = []
    if stored.get("algorithm") != ALGORITHM:
        return [f"unknown algorithm {stored.get('algorithm')!r}"]
    params = Parameters.from_dict(stored["parameters"])
    pops = list(populations)
    again = record(stored["seed"], params, draw(stored["seed"], pops, params))
    for key in ("population", "result"):
        want, got = stored.get(key, {}), again[key]
        for unit in sorted(set(want) | set(got)):
            if want.get(unit) != got.get(unit):
                problems.append(
                    f"{unit}: stored {key} {want.get(unit)} but derived {got.get(unit)}"
                )
    return problems
