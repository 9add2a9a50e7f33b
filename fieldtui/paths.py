"""Where things live: the home directory (settings and database) and the campaign files."""

from __future__ import annotations

import os
from importlib import resources
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
    """The shipped ``config/`` folder: inside the wheel as ``fieldtui/_config``, or the checkout's."""
    packaged = resources.files("fieldtui") / "_config"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "config"


def campaign_dirs(home: Path | None) -> list[Path]:
    """Shipped campaigns first, then the home's own ``campaigns/`` (a new year's notice)."""
    dirs = [config_dir() / "campaigns"]
    if home is not None:
        dirs.append(home / "campaigns")
    return dirs
