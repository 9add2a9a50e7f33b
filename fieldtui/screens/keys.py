"""Bindings built from the one action table (fieldtui/actions.py).

An action id ``scope.verb`` becomes a Textual binding whose action is ``verb`` (so a screen
implements ``action_verb``) and whose ``id`` is the action id (so ``App.set_keymap`` with the
user's ``[keymap]`` rebinds it). Descriptions follow the interface language: a class decorated with
``@scoped("scope")`` gets its BINDINGS rebuilt by :func:`set_language` before any instance exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.binding import Binding
from textual.dom import DOMNode

from fieldtui.actions import ACTIONS

T = TypeVar("T", bound=type[DOMNode])

_REGISTRY: list[tuple[type[DOMNode], str, list[Binding]]] = []
_LANG = "zh"


def bindings(scope: str, lang: str = "zh") -> list[Binding]:
    out = []
    for a in ACTIONS:
        if a.scope != scope:
            continue
        out.append(
            Binding(
                a.keys,
                a.id.split(".", 1)[1],
                a.label(lang),
                show=a.show,
                id=a.id,
                tooltip=a.label("zh" if lang == "en" else "en"),
                priority=a.priority,
            )
        )
    return out


def scoped(scope: str, extra: list[Binding] | None = None) -> Callable[[T], T]:
    """Class decorator: BINDINGS from the action table for ``scope`` (plus ``extra``)."""

    def deco(cls: T) -> T:
        extras = list(extra or [])
        _REGISTRY.append((cls, scope, extras))
        _set_bindings(cls, [*bindings(scope, _LANG), *extras])
        return cls

    return deco


def set_language(lang: str) -> None:
    """Rebuild every registered class's BINDINGS in ``lang``. Call before screens are created."""
    global _LANG
    _LANG = lang
    for cls, scope, extras in _REGISTRY:
        _set_bindings(cls, [*bindings(scope, lang), *extras])


def _set_bindings(cls: type[DOMNode], new: list[Binding]) -> None:
    """Replace a class's BINDINGS. Textual merges them once, when the class is created
    (``_merged_bindings``), so they are merged again here or the keys would do nothing."""
    cls.BINDINGS = new  # type: ignore[assignment]
    cls._merged_bindings = cls._merge_bindings()
