"""The settings form: server, port, security, login, addresses — checked as the user types.

Every rule comes from the core (`tui.core.settings.validate`): the screen builds a Settings
value from the form, asks the core what is wrong and shows each message beside its field.
A field shows its messages once the user has left it (or tried to go on); after that they
follow every key press, so a fixed field clears at once. The few checks that concern the
form itself (the port typed, the password that never goes into the file) are made here.

The screen stays on the stack while the test runs, so coming back finds everything as it
was. It posts `FieldsScreen.Submitted` (test, or save without testing) and dismisses only
when the user goes back to the provider list (Escape), with the draft so far.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, Label, Static

from tui.core.carry import secret_slot
from tui.core.http_apis import facts_of
from tui.core.keys import Key, label
from tui.core.providers import CUSTOM_ID, HTTP_ID, Provider, get_provider
from tui.core.settings import (
    USUAL_SECURITY_FOR_PORT,
    Problem,
    Security,
    Settings,
)
from tui.screens import fields_model as model
from tui.screens import fields_rows as rows
from tui.screens.fields_form import FormReader
from tui.screens.fields_model import FIELD_WIDGETS, FORM_ORDER, PORTS, SECURITIES, FormResult
from tui.widgets import ChoiceRow, FieldRow, GlyphCheckbox
from tui.widgets.field_row import show_messages
from tui.widgets.footer import FittingFooter

__all__ = ["FieldsScreen", "FormResult", "provider_or_custom"]


def provider_or_custom(provider_id: str) -> Provider:
    try:
        return get_provider(provider_id)
    except KeyError:
        return get_provider(CUSTOM_ID)


class FieldsScreen(FormReader):
    """Edit one configuration. Posts Submitted; dismisses FormResult(action="back") on Escape."""

    CSS_PATH = "fields.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "submit('test')", "Test"),
        Binding("ctrl+s", "submit('save')", "Save untested"),
        Binding("ctrl+r", "toggle_password", "Show password"),
        Binding("ctrl+g", "guide", "Guide"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),  # "?" is typed into the fields
        # Priority: handled in order with the keys that follow (see MailwizApp's Tab).
        Binding("enter", "next_field", "Next field", show=False, priority=True),
        Binding("down", "app.focus_next", "Next field", show=False, priority=True),
        Binding("up", "app.focus_previous", "Previous field", show=False, priority=True),
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
        self.touched: set[Key] = set(FORM_ORDER) if check_all else set()
        self.password_note = password_note
        self.password_pending = password_pending
        self._password_typed = False
        # The security the user (or the file) chose: "Other" port goes back to it, rather
        # than keep what port 25 set on the way past.
        self._chosen_security: Security = settings.smtp.security
        self._baseline: Settings | None = None  # the draft as opened, for is_dirty()
        self.carried = carried
        # The secret typed for each place it belongs to (tui.core.carry.secret_slot): a
        # switch of protocol or API never shows one place's password or key in another's.
        self._slot = secret_slot(settings)
        self._initial_slot = self._slot
        self._secrets: dict[tuple[str, str], str] = {}

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
                rows.timeout_row(s), title="Advanced: timeout", collapsed=True, id="advanced"
            )
            yield Static("", id="general-message", classes="message", markup=False)
        with Horizontal(id="buttons"):
            yield Button("Test settings (ctrl+n)", id="test", variant="primary", compact=True)
            yield Button("Save without testing (ctrl+s)", id="save", compact=True)
        yield FittingFooter()

    def _password_help(self) -> str:
        if self.password_note:
            return self.password_note
        if self.initial.protocol == "http":
            return ""
        if self.provider.app_password:
            return "The app password you created, not your normal password."
        return ""

    def on_mount(self) -> None:
        self._fix_on_load()
        self._say_carried()
        self._apply_provider()
        self._update_visibility()
        self._refresh_messages()
        self._focus_start()
        self._baseline = self.draft()

    def _fix_on_load(self) -> None:
        """What mailwiz changes in a file's values before showing them, and says so."""
        smtp = self.initial.smtp
        if self.initial.protocol == "smtp" and smtp.security == "none" and smtp.username.strip():
            self._set_security("starttls")
            self._chosen_security = "starttls"
            changes = self.query_one("#changes", Static)
            changes.update(
                "Changed on load: the file had Encryption None with a username, but a login "
                "is never sent unencrypted, so Encryption is now STARTTLS. Save to keep it."
            )
            changes.display = True

    def _say_carried(self) -> None:
        if self.carried:
            changes = self.query_one("#changes", Static)
            changes.update(self.carried)
            changes.display = True

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

    # ------------------------------------------------------------------ problems

    def problems(self) -> dict[Key, list[Problem]]:
        """The core's problems with the form, by field, plus the form's own checks."""
        state = model.FormState(
            password=self.password,
            password_pending=self.password_pending,
            signs_in=self.signs_in,
            app_password=self.provider.app_password,
            port_error=self._port()[1] if self.protocol == "smtp" else "",
            timeout_error=model.parse_timeout(self._value("timeout"))[1],
            password_warning=self._password_warning(),
            app=self.app_sign_in,
        )
        return model.form_problems(self.draft(), state)

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
                # No widget shows it (a field hidden right now): say it below the form
                # rather than block without a word.
                general.extend(
                    Problem(p.field, f"{label(key)}: {p.message}")
                    for p in problems
                    if p.severity == "error"
                )
                continue
            if key in self.touched or (
                widget_id != FIELD_WIDGETS[key] and widget_id in touched_ids
            ):
                by_row[model.ROW_OF.get(widget_id, widget_id)].extend(problems)
        for row in self.query(FieldRow):
            self._show_row(row, by_row.get(row.row_id, []))
        show_messages(self.query_one("#general-message", Static), general if self.touched else [])
        if any(key in (Key.SMTP_TIMEOUT, Key.HTTP_TIMEOUT) for key in self.touched) and by_row.get(
            "timeout"
        ):
            self.query_one("#advanced", Collapsible).collapsed = False

    def _show_row(self, row: FieldRow, problems: list[Problem]) -> None:
        # Once a message says what is wrong, the help gives way, except the note on where
        # the stored password came from (or why there is none).
        keep = row.row_id == "password" and bool(self.password_note)
        row.show(problems, self._help_for(row), keep_help=keep)

    def _help_for(self, row: FieldRow) -> str:
        if row.row_id == "security":
            return model.SECURITY_HELP[self.security]
        if row.row_id == "reply-to" and not self._reply_optional:
            return "Required by the relay: usually your business address."
        if row.row_id == "password":
            if self.protocol == "http" and self.api == "relay":
                return "Optional: leave empty if your relay takes none. Kept like a password."
            if self.protocol == "http":
                return "Kept in the password store, like a password; never in the settings file."
            return self._password_help()
        if row.row_id == "address" and self.protocol == "http":
            return "The address emails are sent from."
        if row.row_id == "url" and self.protocol == "http" and self.api != "relay":
            return f"Empty: {model.API_DEFAULT_URLS.get(self.api, 'the default')}."
        return row.help_text

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

    # ------------------------------------------------------------------ reacting

    def _offers_http(self) -> bool:
        """ "Send with: HTTP API" is offered where there is one: a transactional provider's
        own API, the relay entry, "Other SMTP server" (a relay), or a file that uses HTTP.
        Gmail, Yahoo and the other mailbox providers have none."""
        smtp = self.smtp_provider
        return (
            self.initial.protocol == "http"
            or self.provider.protocol == "http"
            or bool(smtp.api)
            or smtp.id == CUSTOM_ID
        )

    def _apply_provider(self) -> None:
        """Heading, notes and what the provider allows. With HTTP the heading names the API
        chosen ("Postmark API"), or the relay, never a relay for an API."""
        provider = self.provider
        name = provider.name
        if self.protocol == "http":
            facts = facts_of(self.api)
            name = facts.title if facts.name == "relay" else f"{facts.title} API"
        self.query_one("#heading", Static).update(
            Content.from_markup(
                "[b]$name[/b] — your settings  [dim](Esc: choose another provider)[/dim]",
                name=name,
            )
        )
        notes = self.query_one("#notes", Static)
        notes.update(provider.notes)
        notes.display = bool(provider.notes)

    def _update_visibility(self) -> None:
        smtp = self.protocol == "smtp"
        app = self.app_sign_in
        shown = {
            "smtp-group": smtp,
            "http-group": not smtp,
            "port-other": self._choice("port") == len(PORTS),
            "auth-row": smtp and self.oauth_family is not None,
            "address-row": self._address_wanted(),
            "password-row": not self.signs_in or self.app_secret,
            "client-id-row": self.signs_in and not (app and self.oauth_family == "google"),
            "client-secret-row": self.signs_in and self.oauth_family == "google" and not app,
            "tenant-row": self.signs_in and self.oauth_family == "microsoft",
            "certificate-row": app and self.oauth_family == "microsoft",
            "service-account-row": app and self.oauth_family == "google",
            "domain-row": not smtp and self.api == "mailgun",
            "copy-on": self._copy_offered(),
            "copy-to-row": self._copy_offered() and self._checked("copy-on"),
            "protocol-row": self._offers_http(),
            "reply-on": self._reply_optional,
            "reply-to-row": not self._reply_optional or self._checked("reply-on"),
        }
        # Turning certificate checks off is offered only for "Other SMTP server"; a file
        # that has it off for a known provider shows the box so that it can be ticked off.
        custom = self.provider.id == CUSTOM_ID
        no_verify = self._checked("no-verify")
        shown["custom-group"] = smtp and (custom or no_verify or self._ca_file_shown())
        shown["no-verify-row"] = custom or no_verify
        shown["ca-file-row"] = self._ca_file_shown()
        for widget_id, display in shown.items():
            self.query_one(f"#{widget_id}").display = display
        secret = self.query_one("#password-row", FieldRow).query_one(".field-label", Label)
        # The provider's own word for it where the catalogue has one ("Authorization code").
        secret.update("API key" if not smtp else self.provider.secret_label or label(Key.PASSWORD))
        url = self.query_one("#url-row", FieldRow).query_one(".field-label", Label)
        url.update("Relay URL" if self.api == "relay" else "Base URL")
        self.query_one("#url", Input).placeholder = (
            "https://relay.example.com/send" if self.api == "relay" else "empty: the default"
        )

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
        typed_login = widget_id == "username" and event.value != self.initial.smtp.username
        if typed_login and event.value.strip() and self.security == "none":
            # A login needs encryption (a password never travels in clear). "None" is often
            # only there because port 25 was passed on the way to another port.
            self._set_security("starttls")
        if widget_id == "port-other" and event.value.isdigit():
            usual = USUAL_SECURITY_FOR_PORT.get(int(event.value))
            if usual is not None and not (usual == "none" and self._value("username").strip()):
                self._set_security(usual)
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

    def _field_of(self, widget_id: str) -> Key | None:
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
        if event.index < len(PORTS):
            security = USUAL_SECURITY_FOR_PORT[PORTS[event.index]]
            if security == "none" and self._value("username").strip():
                # Port 25 with a login still needs encryption: the password must not
                # travel in clear, so STARTTLS (a server that cannot do it fails the test).
                security = "starttls"
            self._set_security(security)
            self.touched.add(Key.PORT)
        else:
            # "Other": back to the encryption chosen before ports were stepped through.
            self._set_security(self._chosen_security)
            self._update_visibility()
            self.query_one("#port-other", Input).focus()
        self._changed()

    def _set_security(self, security: Security) -> None:
        self.query_one("#security", ChoiceRow).choose(SECURITIES.index(security))

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
            self.notify(
                "One field needs fixing first: it is marked ✗."
                if count == 1
                else f"{count} fields need fixing first: they are marked ✗.",
                title="Not yet",
                severity="warning",
            )
            return
        self.post_message(self.Submitted(self.result(action)))

    def action_toggle_password(self) -> None:
        box = self.query_one("#show-password", GlyphCheckbox)
        box.value = not box.value

    def action_guide(self) -> None:
        guide = self._guide_provider()
        if guide is not None:
            self.post_message(self.GuideRequested(guide))

    def _guide_provider(self) -> Provider | None:
        """What ctrl+g opens: with sign-in chosen, the page on registering mailwiz with that
        provider (Entra, Google Cloud); otherwise the provider's own guidance, if any."""
        if self.signs_in and self.oauth_family is not None:
            from tui.screens.signin import GUIDE_PAGES  # only once sign-in is chosen

            pages = model.APP_GUIDE_PAGES if self.app_sign_in else GUIDE_PAGES
            key = pages.get(self.oauth_family)
            if key:
                return self.provider._replace(guidance=key)
        from tui.screens.guidance_source import has_guidance

        return self.provider if has_guidance(self.provider) else None

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

    # ------------------------------------------------------------------ for the app

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

    def _switch_secret(self) -> None:
        """Another protocol or API: keep the secret typed for the one left, and show the
        one typed for this one (none at first). The note about a stored password goes."""
        slot = secret_slot(self.draft())
        if slot == self._slot:
            return
        field = self.query_one("#password", Input)
        self._secrets[self._slot] = field.value
        self._slot = slot
        field.value = self._secrets.get(slot, "")
        self.password_note = ""

    def set_stored_password(self, password: str | None, note: str = "") -> None:
        """The stored password arrived (read in a worker); fill it in unless one was typed."""
        if self._slot != self._initial_slot:  # the form moved on: it belongs to the first
            if password is not None and not self._secrets.get(self._initial_slot):
                self._secrets[self._initial_slot] = password
            password = None
            note = ""
        if password is not None and not self._password_typed and not self._value("password"):
            self.initial_password = password
            self.query_one("#password", Input).value = password
            self._password_typed = False
        self.password_note = note
        self.password_pending = False
        self._refresh_messages()
        self.call_after_refresh(self._focus_missing_password)

    def _focus_missing_password(self) -> None:
        """Nothing stored: the password is what is missing (unless the user moved on)."""
        password_input = self.query_one("#password", Input)
        idle = self.focused is None or self.focused is self.query_one("#test", Button)
        if idle and not password_input.value and self._row_visible("password"):
            password_input.focus()
