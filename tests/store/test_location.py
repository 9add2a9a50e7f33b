"""The database-location warning (removable or network storage)."""

from __future__ import annotations

from pathlib import Path

from fieldtui.store.location import storage_warning

MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
//nas/share /mnt/share cifs rw 0 0
server:/export /srv/nfs nfs4 rw 0 0
/dev/sdb1 /media/officer/U\\040DISK vfat rw 0 0
/dev/sdc1 /data ext4 rw 0 0
"""


def test_local_disk_is_fine() -> None:
    assert storage_warning(Path("/home/officer/fieldtui.sqlite3"), MOUNTS) is None


def test_network_shares_warned() -> None:
    assert storage_warning(Path("/mnt/share/x/fieldtui.sqlite3"), MOUNTS).startswith("network:cifs")
    assert storage_warning(Path("/srv/nfs/fieldtui.sqlite3"), MOUNTS).startswith("network:nfs4")


def test_usb_stick_warned() -> None:
    w = storage_warning(Path("/media/officer/U DISK/fieldtui.sqlite3"), MOUNTS)
    assert w is not None and w.startswith("removable:vfat")


def test_real_machine_does_not_crash(tmp_path: Path) -> None:
    storage_warning(tmp_path / "fieldtui.sqlite3")
