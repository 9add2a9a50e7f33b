"""fieldtui.domain imports nothing outside the standard library (checked in a fresh process)."""

from __future__ import annotations

import json
import subprocess

from tests.support.env import PYTHON, subprocess_env

PROBE = """
import importlib, json, pkgutil, sys
before = set(sys.modules)
import fieldtui.domain as d
for m in pkgutil.walk_packages(d.__path__, "fieldtui.domain."):
    importlib.import_module(m.name)
new = {m.split(".")[0] for m in set(sys.modules) - before}
print(json.dumps(sorted(n for n in new if n != "fieldtui" and n not in sys.stdlib_module_names
                        and not n.startswith("_"))))
"""


def test_domain_is_standard_library_only() -> None:
    out = subprocess.run(
        [PYTHON, "-c", PROBE], capture_output=True, text=True, env=subprocess_env(), check=True
    )
    assert json.loads(out.stdout) == []


STORE_PROBE = """
import importlib, json, pkgutil, sys
import fieldtui.store as s
for m in pkgutil.walk_packages(s.__path__, "fieldtui.store."):
    importlib.import_module(m.name)
print(json.dumps(sorted(m for m in ("textual", "httpx", "openpyxl", "docx") if m in sys.modules)))
"""


def test_store_never_imports_textual() -> None:
    out = subprocess.run(
        [PYTHON, "-c", STORE_PROBE],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=True,
    )
    assert json.loads(out.stdout) == []
