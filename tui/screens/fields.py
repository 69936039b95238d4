"""The settings form: server, port, security, login, addresses — checked as the user types.

Every rule comes from the core (`tui.core.settings.validate`): the screen builds a Settings
value from the form, asks the core what is wrong and shows each message beside its field.

The screen is split by job, each a module of its own: `fields_rows` builds the rows,
`fields_form` reads them (`FormReader`: the draft settings), `fields_layout` decides what
shows (`FormLayout`), `fields_messages` says what is wrong and where the focus goes
(`FormMessages`), `fields_encryption` keeps the encryption in step with the port and the
login (`FormEncryption`), `fields_checks` makes the checks the core does not, `fields_secrets` keeps
the secret typed for each provider or API. This module reacts to the user: a choice, a key
press, a submit. Its sentences are in `fields_texts.toml`.

The screen stays on the stack while the test runs, so coming back finds everything as it
was. It posts `FieldsScreen.Submitted` (test, or save without testing) and dismisses only
when the user goes back to the provider list (Escape), with the draft so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Static

from tui.core.carry import provider_or_custom
from tui.core.keys import Key
from tui.core.providers import CUSTOM_ID, HTTP_ID, Provider, get_provider
from tui.core.settings import Settings
from tui.core.texts import Texts
from tui.screens import fields_model as model
from tui.screens import fields_rows as rows
from tui.screens.fields_encryption import FormEncryption
from tui.screens.fields_model import FORM_ORDER, FormResult
from tui.screens.fields_secrets import SecretKeeper
from tui.widgets import ChoiceRow, GlyphCheckbox
from tui.widgets.footer import FittingFooter

__all__ = ["FieldsScreen", "FormResult"]

say = Texts(__package__ or "tui.screens", "fields_texts.toml")


class FieldsScreen(FormEncryption):
    """Edit one configuration. Posts Submitted; dismisses FormResult(action="back") on Escape."""

    CSS_PATH = "fields.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "submit('test')", say("keys.test")),
        Binding("ctrl+s", "submit('save')", say("keys.save")),
        Binding("ctrl+r", "toggle_password", say("keys.toggle_password")),
        Binding("ctrl+g", "guide", say("keys.guide")),
        Binding("escape", "back", say("keys.back")),
        Binding("f1", "app.show_keys", say("keys.show_keys")),  # "?" is typed into the fields
        # Priority: handled in order with the keys that follow (see MailwizApp's Tab).
        Binding("enter", "next_field", say("keys.next_field"), show=False, priority=True),
        Binding("down", "app.focus_next", say("keys.next_field"), show=False, priority=True),
        Binding("up", "app.focus_previous", say("keys.previous_field"), show=False, priority=True),
    ]

    @dataclass
    class Submitted(Message):
        """The form is valid and the user wants to test (or save without testing)."""

        result: FormResult

    @dataclass
    class GuideRequested(Message):
        """The user wants to read the provider's guidance again."""

        provider: Provider

    def __init__(
        self,
        settings: Settings,
        password: str = "",
        *,
        check_all: bool = False,
        password_note: str = "",
        password_pending: bool = False,
        provider: Provider | None = None,
        carried: str = "",
    ) -> None:
        """`check_all`: show every problem at once (editing an existing file).
        `password_pending`: the stored password is being read; `set_stored_password` follows.
        `provider`: for an entry that is not in the catalogue (the practice server).
        `carried`: what was kept from the provider before (a username), said on the form.
        """
        super().__init__()
        self.initial = settings.copy()
        self.initial_password = password
        self.provider = provider or provider_or_custom(settings.provider)
        # The SMTP provider to return to when the user flips the protocol back from HTTP.
        self.smtp_provider = (
            self.provider if self.provider.protocol == "smtp" else get_provider(CUSTOM_ID)
        )
        self.touched = set(FORM_ORDER) if check_all else set()
        self.password_note = password_note
        self.password_pending = password_pending
        self._password_typed = False
        self._chosen_security = settings.smtp.security
        self._baseline = None  # the draft as opened, for is_dirty()
        self.carried = carried
        self.secrets = SecretKeeper(settings)

    # ------------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        yield Static("", id="heading")
        yield Static("", id="notes", markup=False)
        yield Static("", id="changes", markup=False)
        s = self.initial
        with VerticalScroll(id="form"):
            yield rows.protocol_row(s)
            yield Vertical(*rows.http_rows(s), id="http-group")
            yield Vertical(
                *rows.server_rows(s), *rows.login_rows(s, self.provider.id), id="smtp-group"
            )
            yield from rows.secret_rows(s, self.initial_password, self._password_help())
            yield from rows.sender_rows(s)
            yield Vertical(*rows.certificate_rows(s), id="custom-group")
            yield Collapsible(
                rows.timeout_row(s), title=say("advanced"), collapsed=True, id="advanced"
            )
            yield Static("", id="general-message", classes="message", markup=False)
        with Horizontal(id="buttons"):
            yield Button(say("buttons.test"), id="test", variant="primary", compact=True)
            yield Button(say("buttons.save"), id="save", compact=True)
        yield FittingFooter()

    def on_mount(self) -> None:
        self._fix_on_load()
        self._say_carried()
        self._apply_provider()
        self._update_visibility()
        self._refresh_messages()
        self._focus_start()
        self._baseline = self.draft()

    # ------------------------------------------------------------------ reacting

    def _changed(self) -> None:
        self._switch_secret()
        self._update_visibility()
        self._refresh_messages()
        self.refresh_bindings()  # Guide and Show password follow the sign-in choice

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        widget_id = event.input.id or ""
        if widget_id == "password" and event.value != self.initial_password:
            self._password_typed = True
        self._follow_typing(widget_id, event.value)
        self._changed()

    @on(Input.Blurred)
    def _input_left(self, event: Input.Blurred) -> None:
        key = self._field_of(event.input.id or "")
        if key is not None:
            self.touched.add(key)
        self._refresh_messages()

    def action_next_field(self) -> None:
        """Enter in a field moves on to the next one, like Tab."""
        self.focus_next()

    @on(ChoiceRow.Changed, "#protocol")
    def _protocol_changed(self) -> None:
        if self.protocol == "http":
            if self.provider.protocol == "smtp":
                self.smtp_provider = self.provider
            self.provider = get_provider(HTTP_ID)
            api = self.smtp_provider.api  # Postmark's "HTTP API" is Postmark's, not a relay
            if api in model.APIS:
                self.query_one("#api", ChoiceRow).choose(model.APIS.index(api))
        elif self.provider.protocol == "http":
            self.provider = self.smtp_provider
        self._apply_provider()
        self.touched.add(Key.PROTOCOL)
        self._changed()

    @on(ChoiceRow.Changed, "#port")
    def _port_changed(self, event: ChoiceRow.Changed) -> None:
        self._follow_port(event.index)
        self._changed()

    @on(ChoiceRow.Changed, "#security")
    def _security_changed(self) -> None:
        self._chosen_security = self.security
        self.touched.add(Key.SECURITY)
        self._changed()

    @on(ChoiceRow.Changed, "#auth, #api")
    def _choice_changed(self, event: ChoiceRow.Changed) -> None:
        self.touched.add(Key.AUTH if event.choice_row.id == "auth" else Key.API)
        if event.choice_row.id == "api":
            self._apply_provider()  # the heading names the API
        self._changed()

    @on(GlyphCheckbox.Changed)
    def _checkbox_changed(self, event: GlyphCheckbox.Changed) -> None:
        box_id = event.checkbox.id
        if box_id == "show-password":
            self.query_one("#password", Input).password = not event.value
            return
        if box_id == "no-verify":
            self.touched.add(Key.VERIFY_CERTIFICATE)
        self._changed()
        if event.value and box_id in ("copy-on", "reply-on"):
            target = self.query_one("#copy-to" if box_id == "copy-on" else "#reply-to", Input)
            self.call_after_refresh(target.focus)

    @on(Button.Pressed, "#test")
    def _test_pressed(self) -> None:
        self.action_submit("test")

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_submit("save")

    # ------------------------------------------------------------------ actions

    def action_submit(self, action: model.FormAction = "test") -> None:
        """Check everything; go on only when no field has an error."""
        self.touched.update(FORM_ORDER)
        self._update_visibility()
        self._refresh_messages()
        found = self.problems()
        errors = [p for problems in found.values() for p in problems if p.severity == "error"]
        if errors:
            target = self._first_error_widget()
            if target is not None:
                target.focus()
            count = len(self.query(".row.-invalid")) or len(errors)
            message = say("not_yet.one") if count == 1 else say("not_yet.many", count=count)
            self.notify(message, title=say("not_yet.title"), severity="warning")
            return
        self.post_message(self.Submitted(self.result(action)))

    def action_toggle_password(self) -> None:
        box = self.query_one("#show-password", GlyphCheckbox)
        box.value = not box.value

    def action_guide(self) -> None:
        guide = self._guide_provider()
        if guide is not None:
            self.post_message(self.GuideRequested(guide))

    def action_back(self) -> None:
        self.dismiss(self.result("back"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "guide":
            return self._guide_provider() is not None
        if action == "toggle_password":
            return not self.signs_in
        if action == "next_field":
            # Only in a text field: Enter presses a button, ticks a box, opens "Advanced".
            return isinstance(self.focused, Input)
        return True

    # ------------------------------------------------------------------ the secret

    def _switch_secret(self) -> None:
        """Another protocol or API: keep the secret typed for the one left, and show the
        one typed for this one (none at first). The note about a stored password goes."""
        shown = self.secrets.switch(self.draft(), self._value("password"))
        if shown is not None:
            self.query_one("#password", Input).value = shown
            self.password_note = ""

    def set_stored_password(self, password: str | None, note: str = "") -> None:
        """The stored password arrived (read in a worker); fill it in unless one was typed."""
        password, note = self.secrets.stored(password, note)
        if password is not None and not self._password_typed and not self._value("password"):
            self.initial_password = password
            self.query_one("#password", Input).value = password
            self._password_typed = False
        self.password_note = note
        self.password_pending = False
        self._refresh_messages()
        self.call_after_refresh(self._focus_missing_password)
