"""Where the live database lies: it must not run from a USB stick or a network share.

On such storage a pulled stick or a dropped connection corrupts SQLite's WAL; the app warns and
suggests `fieldtui backup` to copy the database there instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs", "davfs",
              "fuse.davfs2", "ncpfs", "glusterfs", "ceph", "fuse.rclone"}  # fmt: skip
REMOVABLE_FS = {"vfat", "exfat", "msdos", "fuseblk"}  # typical of USB sticks on Linux


def _mount_for(path: Path, mounts_text: str) -> tuple[str, str, str] | None:
    """(device, mount point, fs type) of the longest mount point containing ``path``."""
    best: tuple[str, str, str] | None = None
    target = str(path)
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        dev, mnt, fstype = parts[0], parts[1].replace("\\040", " "), parts[2]
        inside = target == mnt or target.startswith(mnt.rstrip("/") + "/")
        if inside and (best is None or len(mnt) > len(best[1])):
            best = (dev, mnt, fstype)
    return best


def _removable_block_device(dev: str) -> bool:
    name = Path(dev).name.rstrip("0123456789")
    if name.startswith("nvme") or name.startswith("mmcblk"):
        name = Path(dev).name.split("p")[0]
    flag = Path("/sys/block") / name / "removable"
    try:
        return flag.read_text().strip() == "1"
    except OSError:
        return False


def storage_warning(db_path: Path, mounts_text: str | None = None) -> str | None:
    """A reason (English key words) if ``db_path`` lies on network or removable storage, else None."""
    path = db_path.resolve().parent
    if sys.platform == "win32":
        return _windows_warning(path)
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text()
        except OSError:
            return None
    found = _mount_for(path, mounts_text)
    if found is None:
        return None
    dev, mnt, fstype = found
    if fstype in NETWORK_FS or dev.startswith("//"):
        return f"network:{fstype}:{mnt}"
    if fstype in REMOVABLE_FS or mnt.startswith(("/media/", "/run/media/")):
        return f"removable:{fstype}:{mnt}"
    if dev.startswith("/dev/") and _removable_block_device(dev):
        return f"removable:{fstype}:{mnt}"
    return None


def _windows_warning(path: Path) -> str | None:
    import ctypes

    drive = os.path.splitdrive(str(path))[0]
    if drive.startswith("\\\\"):
        return f"network:unc:{drive}"
    kind = ctypes.windll.kernel32.GetDriveTypeW(drive + "\\")  # type: ignore[attr-defined]
    # 2 = DRIVE_REMOVABLE, 4 = DRIVE_REMOTE
    if kind == 2:
        return f"removable:drive:{drive}"
    if kind == 4:
        return f"network:drive:{drive}"
    return None
