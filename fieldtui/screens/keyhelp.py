"""The keys in effect for an action (the user's ``[keymap]`` over the table's defaults), as shown."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from fieldtui.actions import ACTIONS, BY_ID, SCOPES, Action


def effective_keys(keymap: dict[str, str], action_id: str) -> list[str]:
    """The Textual key names bound to ``action_id``: the user's keymap if it names it."""
    keys = keymap.get(action_id) or BY_ID[action_id].keys
    return [k.strip() for k in keys.split(",") if k.strip()]


def key_display(app: App[object], key: str) -> str:
    """A key as the footer shows it (``f2`` as ``F2``, ``ctrl+s`` as ``^s``)."""
    return app.get_key_display(Binding(key, ""))


def keys_text(app: App[object], keymap: dict[str, str], action_id: str) -> str:
    return " ".join(key_display(app, k) for k in effective_keys(keymap, action_id))


def scope_actions(scope: str) -> list[Action]:
    return [a for a in ACTIONS if a.scope == scope]


def scope_label(scope: str, lang: str) -> str:
    zh, en = SCOPES.get(scope, (scope, scope))
    return en if lang == "en" else zh
