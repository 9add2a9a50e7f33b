"""A background writer: assessment writes run in order on their own thread and connection.

The scoring screen must never show a change as saved before its commit, and must not hold a frame
behind one (WAL + ``synchronous=FULL`` fsyncs; here 0.5-4 ms with spikes past 40 ms, on a laptop
disk tens of milliseconds). So it hands each change to this writer and draws the row as *pending*
at once; the writer commits it and ``on_done`` reports back; only then is the row drawn as saved.
Each call is its own transaction with its audit row, exactly as on the main connection.

- One thread, one FIFO queue: writes commit in the order they were made.
- Its own connection (WAL lets the UI's connection read committed data meanwhile), so a
  transaction here never interleaves with a write on the app's connection.
- A failed write (``sqlite3.Error``, a :class:`~fieldtui.domain.errors.Refusal` such as
  ``StoreError``, ``OSError`` such as a full disk) is reported with its message; the thread keeps
  running and later writes are still attempted.

Never imports Textual: ``on_done`` is a plain callable, run on the writer thread (the screen
passes one that posts a message, which is thread-safe).
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import sqlite3
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldtui.domain.errors import Refusal
from fieldtui.store.assessments import Assessments
from fieldtui.store.db import StoreError, connect

WRITE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, Refusal, OSError)

_seq = itertools.count(1)


@dataclass(eq=False)
class Job:
    """One write. ``keys`` name what it writes (e.g. ``("score", 7)``) so the caller can tell which
    rows it saves; ``error`` is set if it failed, ``result`` to what ``fn`` returned."""

    fn: Callable[[Assessments], Any]
    keys: tuple[Hashable, ...] = ()
    seq: int = field(default_factory=lambda: next(_seq))
    done: bool = False
    error: str | None = None
    exc: BaseException | None = None
    result: Any = None
    _event: threading.Event = field(default_factory=threading.Event)

    @property
    def ok(self) -> bool:
        return self.done and self.error is None


class Writer:
    """Run assessment writes in order on a background thread with its own connection."""

    def __init__(
        self,
        path: Path,
        on_done: Callable[[Job], None] | None = None,
        *,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        self.conn = conn if conn is not None else connect(path, migrate=False)
        self.assessments = Assessments(self.conn)
        self.on_done = on_done
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="fieldtui-writer", daemon=True)
        self._thread.start()

    # -- the caller's side ---------------------------------------------------------------------

    def submit(self, fn: Callable[[Assessments], Any], keys: tuple[Hashable, ...] = ()) -> Job:
        """Queue a write; it commits after every write queued before it. When it has been
        attempted, ``on_done(job)`` runs (on the writer thread) if it has ``keys``."""
        if self._closed:
            raise StoreError("the writer is closed")
        job = Job(fn, keys)
        self._queue.put(job)
        return job

    def call(
        self, fn: Callable[[Assessments], Any], keys: tuple[Hashable, ...] = (), timeout: float = 30
    ) -> Any:
        """Queue a write and wait for it (and everything before it); return its result or raise
        what it raised. For the rare writes a person waits for anyway (complete, revise)."""
        if self._closed:
            raise StoreError("the writer is closed")
        job = Job(fn, keys)
        self._queue.put(job)
        if not job._event.wait(timeout):
            raise StoreError(f"the database did not answer within {timeout:g} s")
        if job.exc is not None:
            raise job.exc
        return job.result

    def drain(self, timeout: float = 30) -> bool:
        """Wait until every queued write has been attempted. False on timeout."""
        done = threading.Event()
        self._queue.put(Job(lambda _r: done.set()))
        return done.wait(timeout)

    def close(self, timeout: float = 30) -> None:
        """Finish every queued write, stop the thread and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.conn.close()

    # -- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job.result = job.fn(self.assessments)
            except WRITE_ERRORS as exc:
                job.exc = exc
                job.error = _describe(exc)
            except Exception as exc:  # a bug must not stop later writes; it is reported
                job.exc = exc
                job.error = f"{type(exc).__name__}: {exc}"
            job.done = True
            job._event.set()
            if self.on_done is not None and job.keys:
                # The screen may be gone; the write itself is done either way.
                with contextlib.suppress(Exception):
                    self.on_done(job)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
