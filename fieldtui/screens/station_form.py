"""The add/edit station form: typed, validated by the same rules as the importer.

Each problem is shown under its field (after the field was edited, or on an attempt to save);
the form refuses to save while any remains. It returns the normalised :class:`StationInput`.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static
from textual.widgets.select import NoSelection

from fieldtui.domain.ledger import (
    FIELD_LABELS,
    HEAD_ROLE_EN,
    HEAD_ROLE_ZH,
    FieldError,
    Station,
    StationInput,
    clean_text,
    validate_values,
)
from fieldtui.screens.context import services
from fieldtui.screens.keys import scoped
from fieldtui.widgets.fields import FieldInput, FormSelect
from fieldtui.widgets.footer import KeyFooter

FIELDS = (
    "name",
    "village",
    "head",
    "head_role",
    "contact",
    "phone",
    "people_served",
    "veterans",
    "notes",
)
ROLES = ("secretary", "director", "both", "either", "other")


def role_label(role: str, lang: str) -> str:
    return HEAD_ROLE_EN.get(role, role) if lang == "en" else HEAD_ROLE_ZH.get(role, role)


@scoped("form")
class StationForm(ModalScreen[StationInput | None]):
    SCOPE = "form"
    CSS_PATH = "station_form.tcss"
    AUTO_FOCUS = "#f-name"
    DESCRIPTION = (
        "服务站表单：填写后按Ctrl+S保存。规则与导入台账相同，错误显示在对应栏目下，"
        "有错误时不能保存。",
        "Station form: fill it in and save with Ctrl+S. The rules are the importer's; each "
        "problem is shown under its field and the form cannot be saved while any remains.",
    )

    def __init__(self, station: Station | None, taken_names: set[str]) -> None:
        super().__init__()
        self.station = station
        self.taken = {clean_text(n) for n in taken_names}
        if station is not None:
            self.taken.discard(station.name)
        self.touched: set[str] = set()
        self.shown: dict[str, str] = {}  # field -> the problems on screen
        self.tried = False

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        svc = services(self)
        lang = svc.lang
        st = self.station
        title = (
            svc.tr("新增服务站", "New station")
            if st is None
            else svc.tr(f"编辑服务站：{st.name}", f"Edit station: {st.name}")
        )
        with Vertical(id="form-box"):
            yield Static(title, id="form-title", markup=False)
            with VerticalScroll(id="form-fields"):
                for name in FIELDS:
                    zh, en = FIELD_LABELS[name]
                    label = en if lang == "en" else zh
                    if name == "name":
                        label += " *"
                    with Horizontal(classes="field-row"):
                        yield Label(label, classes="field-label")
                        yield self._widget(name)
                    yield Static("", id=f"e-{name}", classes="field-error", markup=False)
            yield Static(
                svc.tr(
                    "Enter 下一栏 · 空格展开选项 · Ctrl+S 保存 · Esc 取消",
                    "Enter next field · Space opens a list · Ctrl+S save · Esc cancel",
                ),
                id="form-hint",
                markup=False,
            )
        yield KeyFooter()

    def _widget(self, name: str) -> Input | Select[str]:
        svc = services(self)
        st = self.station
        if name == "head_role":
            options = [(role_label(r, svc.lang), r) for r in ROLES]
            value: str | NoSelection = (
                st.head_role if st is not None and st.head_role else Select.NULL
            )
            return FormSelect(
                options,
                value=value,
                prompt=svc.tr("（未填）", "(not given)"),
                allow_blank=True,
                compact=True,
                id=f"f-{name}",
            )
        value = "" if st is None else getattr(st, name)
        placeholders = {
            "phone": svc.tr("手机号或 023-xxxxxxx", "mobile or 023-xxxxxxx"),
            "people_served": svc.tr("100 以内", "at most 100"),
        }
        return FieldInput(
            "" if value is None else str(value),
            placeholder=placeholders.get(name, ""),
            compact=True,
            id=f"f-{name}",
        )

    def on_mount(self) -> None:
        self.add_class(f"lang-{services(self).lang}")
        self.set_focus(self.query_one("#f-name", Input))

    # -- values and validation -----------------------------------------------------------------

    def raw(self) -> dict[str, str]:
        """The fields as typed: validate_values parses counts and names what is not a number."""
        values: dict[str, str] = {}
        for name in FIELDS:
            if name == "head_role":
                sel = self.query_one(f"#f-{name}", Select)
                values[name] = "" if sel.is_blank() else str(sel.value)
            else:
                values[name] = self.query_one(f"#f-{name}", Input).value
        return values

    def check(self) -> tuple[StationInput, list[FieldError]]:
        c = services(self).campaign
        data, errors = validate_values(self.raw(), c.area_code, c.max_people_served)
        if data.name and data.name in self.taken:
            errors.append(
                FieldError("name", "台账中已有同名服务站", "another station already has this name")
            )
        return data, errors

    def show_errors(self, errors: list[FieldError]) -> None:
        """Update the error lines that changed (each keystroke validates; most change nothing)."""
        lang = services(self).lang
        by_field: dict[str, list[str]] = {}
        for e in errors:
            by_field.setdefault(e.field, []).append(e.problem_en if lang == "en" else e.problem)
        for name in FIELDS:
            shown = self.tried or name in self.touched
            problems = by_field.get(name, []) if shown else []
            text = "；".join(problems) if lang != "en" else "; ".join(problems)
            if self.shown.get(name, "") == text:
                continue
            self.shown[name] = text
            err = self.query_one(f"#e-{name}", Static)
            err.update(text)
            err.set_class(bool(problems), "-shown")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self.touched.add(event.input.id.removeprefix("f-"))
        self.show_errors(self.check()[1])

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id:
            self.touched.add(event.select.id.removeprefix("f-"))
        self.show_errors(self.check()[1])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == f"f-{FIELDS[-1]}":
            self.action_save()
        else:
            self.focus_next()

    # -- actions -------------------------------------------------------------------------------

    def action_save(self) -> None:
        self.tried = True
        data, errors = self.check()
        self.show_errors(errors)
        if errors:
            first = next(n for n in FIELDS if any(e.field == n for e in errors))
            self.set_focus(self.query_one(f"#f-{first}"))
            self.notify(
                services(self).tr(
                    f"有 {len(errors)} 处需要修改，未保存。",
                    f"{len(errors)} problem(s): not saved.",
                ),
                severity="error",
            )
            return
        self.dismiss(data)

    def action_cancel(self) -> None:
        self.dismiss(None)
