"""Where the fields screen says what is wrong, and where the focus goes to fix it.

A field shows its messages once the user has left it (or tried to go on); after that they
follow every key press, so a fixed field clears at once. A problem of a field that no widget
shows right now is said below the form rather than block without a word. The focus goes to
the first field that needs fixing, in the form's order, unfolding "Advanced" on the way.
"""

from __future__ import annotations

from collections import defaultdict

from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, Static

from tui.core.keys import Key, label
from tui.core.settings import Problem
from tui.core.texts import Texts
from tui.screens import fields_model as model
from tui.screens.fields_checks import FormState, form_problems, parse_timeout
from tui.screens.fields_layout import FormLayout
from tui.screens.fields_model import FIELD_WIDGETS, FORM_ORDER, PORTS
from tui.widgets import FieldRow, GlyphCheckbox
from tui.widgets.field_row import show_messages

say = Texts(__package__ or "tui.screens", "fields_texts.toml")


class FormMessages(FormLayout):
    """The problems of the form, shown beside their fields, and the focus that goes there."""

    touched: set[Key]  # the fields whose messages show (left once, or all on submit)
    password_note: str  # where the stored password came from (or why there is none)
    password_pending: bool  # the stored password is still being read

    def problems(self) -> dict[Key, list[Problem]]:
        """The core's problems with the form, by field, plus the form's own checks."""
        state = FormState(
            password=self.password,
            password_pending=self.password_pending,
            signs_in=self.signs_in,
            app_password=self.provider.app_password,
            port_error=self._port()[1] if self.protocol == "smtp" else "",
            timeout_error=parse_timeout(self._value("timeout"))[1],
            password_warning=self._password_warning(),
            app=self.app_sign_in,
        )
        return form_problems(self.draft(), state)

    def _password_warning(self) -> str:
        if self.protocol != "smtp" or self.signs_in or not self.password:
            return ""
        from tui.core.diagnose import app_password_warning

        return app_password_warning(self.provider, self.password)

    def _widget_for(self, key: Key) -> str | None:
        """The id of the visible widget that shows this field's messages, if any."""
        widget_id = FIELD_WIDGETS.get(key)
        if widget_id is None:
            return None
        if not self._row_visible(widget_id):
            widget_id = model.FALLBACK_WIDGETS.get(widget_id, "")
            if not widget_id or not self._row_visible(widget_id):
                return None
        return widget_id

    def _row_visible(self, widget_id: str) -> bool:
        """Shown, or only folded away under "Advanced" (unfolded when it needs fixing)."""
        node: Widget | None = self.query_one(f"#{widget_id}")
        while node is not None and node is not self:
            if not node.display and not isinstance(node, Collapsible.Contents):
                return False
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return True

    def _refresh_messages(self) -> None:
        by_row: dict[str, list[Problem]] = defaultdict(list)
        general: list[Problem] = []
        touched_ids = {FIELD_WIDGETS[key] for key in self.touched if key in FIELD_WIDGETS}
        for key, problems in self.problems().items():
            widget_id = self._widget_for(key)
            if widget_id is None:
                general.extend(
                    Problem(p.field, say("general_problem", label=label(key), message=p.message))
                    for p in problems
                    if p.severity == "error"
                )
                continue
            if key in self.touched or (
                widget_id != FIELD_WIDGETS[key] and widget_id in touched_ids
            ):
                by_row[model.ROW_OF.get(widget_id, widget_id)].extend(problems)
        for row in self.query(FieldRow):
            # Once a message says what is wrong, the help gives way, except the note on
            # where the stored password came from (or why there is none).
            keep = row.row_id == "password" and bool(self.password_note)
            row.show(by_row.get(row.row_id, []), self._help_for(row), keep_help=keep)
        show_messages(self.query_one("#general-message", Static), general if self.touched else [])
        timeout_touched = any(key in (Key.SMTP_TIMEOUT, Key.HTTP_TIMEOUT) for key in self.touched)
        if timeout_touched and by_row.get("timeout"):
            self.query_one("#advanced", Collapsible).collapsed = False

    def _help_for(self, row: FieldRow) -> str:
        http = self.protocol == "http"
        if row.row_id == "security":
            return say(f"rows.security.help.{self.security}")
        if row.row_id == "reply-to" and not self._reply_optional:
            return say("rows.reply_to.relay_help")
        if row.row_id == "password":
            if http and self.api == "relay":
                return say("rows.password.relay_help")
            if http:
                return say("rows.password.api_help")
            return self._password_help()
        if row.row_id == "address" and http:
            return say("rows.address.http_help")
        if row.row_id == "url" and http and self.api != "relay":
            default = model.API_DEFAULT_URLS.get(self.api, say("rows.url.no_default"))
            return say("rows.url.api_help", url=default)
        return row.help_text

    def _password_help(self) -> str:
        if self.password_note:
            return self.password_note
        if self.initial.protocol == "http":
            return ""
        if self.provider.app_password:
            return say("rows.password.app_password_help")
        return ""

    # ------------------------------------------------------------------ the focus

    def _focus_start(self) -> None:
        """The first field the user must fill, in the form's order; else the Test button."""
        first_error = self._first_error_widget()
        if first_error is not None:
            first_error.focus()
            return
        needed = {
            self._widget_for(key)
            for key, problems in self.problems().items()
            if any(p.severity == "error" for p in problems)
        }
        if self.password_pending:
            needed.discard("password")  # set_stored_password decides once it is read
        for widget in self.query(Input):  # in the order the form shows them
            widget_id = widget.id or ""
            if widget_id in needed and not widget.value and self._row_visible(widget_id):
                widget.focus()
                return
        self.query_one("#test", Button).focus()

    def _first_error_widget(self) -> Widget | None:
        found = self.problems()
        for key in (*FORM_ORDER, *found):
            if key not in self.touched:
                continue
            if any(p.severity == "error" for p in found.get(key, [])):
                widget_id = self._widget_for(key)
                if widget_id is not None:
                    return self._focus_target(widget_id)
        return None

    def _focus_target(self, widget_id: str) -> Widget:
        if widget_id == "port" and self._choice("port") == len(PORTS):
            widget_id = "port-other"
        if widget_id == "timeout":
            self.query_one("#advanced", Collapsible).collapsed = False
        return self.query_one(f"#{widget_id}")

    def _field_of(self, widget_id: str) -> Key | None:
        """The settings key a widget edits (None for one that edits none)."""
        special = {
            "port-other": Key.PORT,
            "copy-on": Key.COPY_TO,
            "reply-on": Key.REPLY_TO,
            "timeout": Key.SMTP_TIMEOUT if self.protocol == "smtp" else Key.HTTP_TIMEOUT,
        }
        if widget_id in special:
            return special[widget_id]
        return next(
            (k for k, w in FIELD_WIDGETS.items() if w == widget_id and k != Key.PROVIDER), None
        )

    def focus_field(self, field_name: str) -> bool:
        """Focus the widget that edits a settings field ("smtp.port", "password", ...).

        Reveals it first when it sits behind a checkbox or a fold. Returns False when the
        field is not on this form (the focus then stays where it was).
        """
        key = model.as_key(field_name)
        if key is None:
            return False
        if key == Key.COPY_TO and self._copy_offered():
            self.query_one("#copy-on", GlyphCheckbox).value = True
        elif key == Key.REPLY_TO and self._reply_optional:
            self.query_one("#reply-on", GlyphCheckbox).value = True
        self._update_visibility()
        widget_id = self._widget_for(key)
        if widget_id is None:
            return False
        self.touched.add(key)
        self._refresh_messages()
        target = self._focus_target(widget_id)
        self.call_after_refresh(target.focus)
        return True

    def _focus_missing_password(self) -> None:
        """Nothing stored: the password is what is missing (unless the user moved on)."""
        password_input = self.query_one("#password", Input)
        idle = self.focused is None or self.focused is self.query_one("#test", Button)
        if idle and not password_input.value and self._row_visible("password"):
            password_input.focus()
