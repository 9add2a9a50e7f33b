"""Writing a set of export files so that no partial file ever stands under a final name.

Each file is written in full to a temporary name in the same folder and synced; only when every
file is ready are they renamed over their final names (``os.replace``, atomic on Windows and
POSIX). A failure before that leaves every old file as it was; a failure during the renames (on
Windows: WPS or Excel holds a file open) names that file and keeps its old version. Temporary
files are removed on any error; any left by a killed process are removed on the next export.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from fieldtui.sync.errors import SyncError

TMP_SUFFIX = ".part"


def _tmp_name(name: str) -> str:
    return f".{name}.{os.getpid()}-{secrets.token_hex(3)}{TMP_SUFFIX}"


def _is_ours(tmp: str, names: set[str]) -> bool:
    if not (tmp.startswith(".") and tmp.endswith(TMP_SUFFIX)):
        return False
    base = tmp[1 : -len(TMP_SUFFIX)].rsplit(".", 1)[0]
    return base in names


def remove_stale_temps(folder: Path, names: Sequence[str]) -> None:
    """Remove temporary files a killed export left for these names."""
    wanted = set(names)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        if e.is_file() and _is_ours(e.name, wanted):
            with contextlib.suppress(OSError):
                os.unlink(e.path)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_all(
    folder: Path,
    files: Sequence[tuple[str, bytes]],
    *,
    on_file: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write ``files`` (plain names, no folders) into ``folder`` all-or-nothing per file."""
    for name, _ in files:
        if not name or Path(name).name != name or name in (".", ".."):
            raise ValueError(f"not a plain file name: {name!r}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SyncError(
            f"无法创建导出文件夹 {folder}（{reason}）", f"cannot create {folder} ({reason})"
        ) from None
    remove_stale_temps(folder, [n for n, _ in files])
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files:
            final = folder / name
            tmp = folder / _tmp_name(name)
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                             0o644)  # fmt: skip
                staged.append((tmp, final))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise SyncError(
                    f"无法写入 {final}（{reason}）；原有文件保留未改",
                    f"cannot write {final} ({reason}); the existing files were kept",
                ) from None
        done: list[Path] = []
        for tmp, final in staged:
            try:
                os.replace(tmp, final)
            except PermissionError:
                kept = "" if not done else f"（已更新 {len(done)} 个文件，其余保留旧版本）"
                kept_en = "" if not done else f" ({len(done)} files were updated, the rest kept)"
                raise SyncError(
                    f"{final} 正被其他程序（如 WPS 或 Excel）打开，无法替换，原文件保留未改"
                    f"{kept}；请关闭该文件后重新导出",
                    f"{final} is open in another program (WPS or Excel?) and cannot be replaced; "
                    f"the old file was kept{kept_en}. Close it and export again",
                ) from None
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise SyncError(
                    f"无法替换 {final}（{reason}），原文件保留未改",
                    f"cannot replace {final} ({reason}); the old file was kept",
                ) from None
            done.append(final)
            if on_file is not None:
                on_file(final.name)
        _fsync_dir(folder)
        return done
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
