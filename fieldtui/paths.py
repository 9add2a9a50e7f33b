"""Where things live: the home directory (settings and database) and the campaign files."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "FIELDTUI_HOME"


def default_home() -> Path:
    """``FIELDTUI_HOME`` if set, else the user's data directory (on Windows, in the profile)."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("fieldtui", appauthor=False))


def config_dir() -> Path:
    """The shipped ``config/`` folder: inside the wheel as ``fieldtui/_config``, or the checkout's.

    An installed package is a folder on disk, so the folder beside this file is looked at first;
    ``importlib.resources`` (and the zipfile machinery it imports, ~3 ms of every start) only
    for a package that is not a plain folder.
    """
    here = Path(__file__).resolve().parent
    if (here / "_config").is_dir():
        return here / "_config"
    checkout = here.parent / "config"
    if checkout.is_dir():
        return checkout
    from importlib import resources

    packaged = resources.files("fieldtui") / "_config"
    return Path(str(packaged))


def campaign_dirs(home: Path | None) -> list[Path]:
    """Shipped campaigns first, then the home's own ``campaigns/`` (a new year's notice)."""
    dirs = [config_dir() / "campaigns"]
    if home is not None:
        dirs.append(home / "campaigns")
    return dirs
