"""How many times the reliability tests repeat: reduced in ``make test``, full in ``make stress``.

``count(reduced, full)`` is the one switch. ``make stress`` sets ``FIELDTUI_STRESS=1`` and every
test runs the figure the issue names; ``FIELDTUI_COUNT=N`` forces N everywhere (to reproduce a
failure quickly or to push further). Tests name their figures in tests/reliability/README.md.
"""

from __future__ import annotations

import os

STRESS = os.environ.get("FIELDTUI_STRESS", "") not in ("", "0")


def count(reduced: int, full: int) -> int:
    """``full`` under ``make stress`` (FIELDTUI_STRESS=1), else ``reduced``; FIELDTUI_COUNT wins."""
    forced = os.environ.get("FIELDTUI_COUNT", "").strip()
    if forced.isdigit() and int(forced) > 0:
        return int(forced)
    return full if STRESS else reduced


def seed(default: int) -> int:
    """A fixed seed, or FIELDTUI_SEED to replay another run. Tests print the seed they used."""
    env = os.environ.get("FIELDTUI_SEED", "").strip()
    return int(env) if env.lstrip("-").isdigit() else default
