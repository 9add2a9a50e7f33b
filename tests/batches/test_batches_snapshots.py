"""Pictures of the batches screen: a township with a batch in every state, frozen on 2023-06-20."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batches.harness import BatchesHarness


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_batches_80x24(snap_compare, history: Path, lang: str) -> None:
    """At 80x24: the title with the unit; four quarters with due time, days left (Q1 overdue by
    51 days, Q2 10 days left), target and rate, Q2's latest batch; the batch list newest first
    (Q2 in the outbox, the superseded Q2 refused with 422, Q1 acknowledged with its receipt time
    10:02), the last column cut with an ellipsis to fit; under it the highlighted batch in full
    (id, SHA-256, what it supersedes, the whole error); the outbox line (2 waiting, 1 refused);
    the footer with the seal/export/e-mail/send/attach keys. The cursor is on 2023Q2."""
    assert snap_compare(BatchesHarness(history, lang=lang), terminal_size=(80, 24))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_batches_160x48(snap_compare, history: Path, lang: str) -> None:
    """At 160x48 the same screen with room to spare: every column whole, including the full
    error text of the refused batch and the receipt column."""
    assert snap_compare(BatchesHarness(history, lang=lang), terminal_size=(160, 48))
