"""The settings form: server, port, security, login, addresses — checked as the user types.

Every rule comes from the core (`tui.core.settings.validate`): the screen builds a Settings
value from the form, asks the core what is wrong and shows each message beside its field.
A field shows its messages once the user has left it (or tried to go on); after that they
follow every key press, so a fixed field clears at once.

The screen stays on the stack while the test runs, so coming back finds everything as it
was. It posts `FieldsScreen.Submitted` (test, or save without testing) and dismisses only
when the user goes back to the provider list (Escape), with the draft so far.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, RadioButton, RadioSet, Static

from tui.core.providers import CUSTOM_ID, HTTP_ID, Provider, get_provider
from tui.core.settings import (
    USUAL_SECURITY_FOR_PORT,
    Problem,
    Security,
    Settings,
    cleaned,
    looks_like_address,
    parse_port,
    validate,
)

FormAction = Literal["test", "save", "back"]

PORTS = (465, 587, 25)
SECURITIES: tuple[Security, ...] = ("tls", "starttls", "none")
SECURITY_HELP = {
    "tls": "Encrypted from the first byte (usual on port 465).",
    "starttls": "Encrypted before the password is sent (usual on 587).",
    "none": "Not encrypted: only for a local relay, with no username.",
}
NO_VERIFY_HELP = (
    "Only for your own server with a self-signed certificate; never for Gmail, Yahoo, "
    "Office 365 and the like."
)

# The order of the form, for "the first invalid field gets the focus".
FORM_ORDER = (
    "protocol",
    "smtp.host",
    "smtp.port",
    "smtp.security",
    "smtp.username",
    "sender.address",
    "password",
    "http.url",
    "sender.name",
    "sender.copy_to",
    "sender.reply_to",
    "smtp.verify_certificate",
    "smtp.ca_file",
)

# Settings field -> the id of the widget that edits it.
FIELD_WIDGETS = {
    "protocol": "protocol",
    "provider": "protocol",
    "smtp.host": "host",
    "smtp.port": "port",
    "smtp.security": "security",
    "smtp.username": "username",
    "sender.address": "address",
    "password": "password",
    "http.url": "url",
    "sender.name": "name",
    "sender.copy_to": "copy-to",
    "sender.reply_to": "reply-to",
    "smtp.verify_certificate": "no-verify",
    "smtp.ca_file": "ca-file",
}


@dataclass
class FormResult:
    """What the form holds: settings (cleaned when valid) and the password typed."""

    settings: Settings
    password: str = field(repr=False)
    action: FormAction = "test"


def provider_or_custom(provider_id: str) -> Provider:
    try:
        return get_provider(provider_id)
    except KeyError:
        return get_provider(CUSTOM_ID)


class ChoiceRow(RadioSet, inherit_bindings=False):
    """A one-line radio set: left/right choose at once, up/down move on to other fields.

    The cursor starts on the chosen option (RadioSet starts on the first one).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "step(1)", "Next choice", show=False),
        Binding("left", "step(-1)", "Previous choice", show=False),
        Binding("home", "jump(0)", "First choice", show=False),
        Binding("end", "jump(-1)", "Last choice", show=False),
        Binding("enter,space", "toggle_button", "Choose", show=False),
    ]

    def on_mount(self) -> None:
        # RadioSet's own mount handler runs after this one and selects the first option.
        self.call_after_refresh(self._select_pressed)

    def _select_pressed(self) -> None:
        if self.pressed_index >= 0:
            self._selected = self.pressed_index

    def action_step(self, delta: int) -> None:
        if delta > 0:
            self.action_next_button()
        else:
            self.action_previous_button()
        self.action_toggle_button()

    def action_jump(self, index: int) -> None:
        buttons = list(self.query(RadioButton))
        self._selected = index % len(buttons)
        self.action_toggle_button()

    def choose(self, index: int) -> None:
        """Press one option from code, without a Changed message.

        RadioSet keeps its state through RadioButton.Changed messages, which Textual
        suppresses while a RadioSet.Changed handler runs: set everything here instead.
        """
        buttons = list(self.query(RadioButton))
        with self.prevent(RadioButton.Changed):
            for number, button in enumerate(buttons):
                button.value = number == index
        self._pressed_button = buttons[index]
        self._selected = index


class FieldRow(Horizontal):
    """A label on the left; the control, its message and its help on the right."""

    def __init__(self, label: str, *controls: Widget, row_id: str, help_text: str = "") -> None:
        super().__init__(id=f"{row_id}-row", classes="row")
        self.label = label
        self.controls = controls
        self.row_id = row_id
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        with Vertical(classes="field-body"):
            with Horizontal(classes="controls"):
                yield from self.controls
            yield Static("", id=f"{self.row_id}-message", classes="message", markup=False)
            yield Static(self.help_text, id=f"{self.row_id}-help", classes="help", markup=False)


class FieldsScreen(Screen[FormResult]):
    """Edit one configuration. Posts Submitted; dismisses FormResult(action="back") on Escape."""

    CSS_PATH = "fields.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "submit('test')", "Test"),
        Binding("ctrl+s", "submit('save')", "Save untested"),
        Binding("ctrl+r", "toggle_password", "Show password"),
        Binding("ctrl+g", "guide", "Guide"),
        Binding("escape", "back", "Back"),
        Binding("down", "app.focus_next", "Next field", show=False),
        Binding("up", "app.focus_previous", "Previous field", show=False),
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
    ) -> None:
        """`check_all`: show every problem at once (editing an existing file).
        `password_pending`: the stored password is being read; `set_stored_password` follows.
        `provider`: for an entry that is not in the catalogue (the practice server).
        """
        super().__init__()
        self.initial = copy.deepcopy(settings)
        self.initial_password = password
        self.provider = provider or provider_or_custom(settings.provider)
        # The SMTP provider to return to when the user flips the protocol back from HTTP.
        self.smtp_provider = (
            self.provider if self.provider.protocol == "smtp" else get_provider(CUSTOM_ID)
        )
        self.touched: set[str] = set(FORM_ORDER) if check_all else set()
        self.password_note = password_note
        self.password_pending = password_pending
        self._password_typed = False

    # ------------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        s = self.initial
        smtp, sender = s.smtp, s.sender
        yield Static("", id="heading")
        yield Static("", id="notes", markup=False)
        with VerticalScroll(id="form"):
            yield FieldRow(
                "Send with",
                ChoiceRow(
                    RadioButton("SMTP server", value=s.protocol == "smtp"),
                    RadioButton("HTTP relay", value=s.protocol == "http"),
                    id="protocol",
                    compact=True,
                ),
                row_id="protocol",
            )
            with Vertical(id="smtp-group"):
                yield FieldRow(
                    "Server",
                    Input(smtp.host, placeholder="smtp.example.com", id="host", compact=True),
                    row_id="host",
                )
                other = smtp.port not in PORTS
                yield FieldRow(
                    "Port",
                    ChoiceRow(
                        *(RadioButton(str(port), value=smtp.port == port) for port in PORTS),
                        RadioButton("Other", value=other),
                        id="port",
                        compact=True,
                    ),
                    Input(
                        str(smtp.port) if other else "",
                        placeholder="port",
                        id="port-other",
                        compact=True,
                        restrict=r"[0-9]*",
                        max_length=5,
                    ),
                    row_id="port",
                    help_text="465 or 587 are encrypted and recommended; 25 is not.",
                )
                yield FieldRow(
                    "Encryption",
                    ChoiceRow(
                        *(
                            RadioButton(label, value=smtp.security == security)
                            for label, security in zip(
                                ("TLS", "STARTTLS", "None"), SECURITIES, strict=True
                            )
                        ),
                        id="security",
                        compact=True,
                    ),
                    row_id="security",
                )
                yield FieldRow(
                    "Username",
                    Input(
                        smtp.username,
                        placeholder="usually your email address",
                        id="username",
                        compact=True,
                    ),
                    row_id="username",
                )
                yield FieldRow(
                    "Email address",
                    Input(
                        sender.address,
                        placeholder="the address emails are sent from",
                        id="address",
                        compact=True,
                    ),
                    row_id="address",
                    help_text="Your username is not an email address: which address sends?",
                )
                yield FieldRow(
                    "Password",
                    Input(
                        self.initial_password,
                        password=True,
                        id="password",
                        compact=True,
                    ),
                    Checkbox("Show", id="show-password", compact=True),
                    row_id="password",
                    help_text=self._password_help(),
                )
            with Vertical(id="http-group"):
                yield FieldRow(
                    "Relay URL",
                    Input(
                        s.http.url,
                        placeholder="https://relay.example.com/send",
                        id="url",
                        compact=True,
                    ),
                    row_id="url",
                )
            yield FieldRow(
                "Your name",
                Input(
                    sender.name,
                    placeholder="optional: shown beside the address",
                    id="name",
                    compact=True,
                ),
                row_id="name",
            )
            yield Checkbox(
                "Send a copy of every email here",
                bool(sender.copy_to),
                id="copy-on",
                compact=True,
            )
            yield FieldRow(
                "Copy to",
                Input(
                    sender.copy_to, placeholder="archive@example.com", id="copy-to", compact=True
                ),
                row_id="copy-to",
            )
            yield Checkbox(
                "Receive replies at a different address",
                bool(sender.reply_to),
                id="reply-on",
                compact=True,
            )
            yield FieldRow(
                "Replies to",
                Input(
                    sender.reply_to, placeholder="replies@example.com", id="reply-to", compact=True
                ),
                row_id="reply-to",
            )
            with Vertical(id="custom-group"):
                yield FieldRow(
                    "Certificate",
                    Checkbox(
                        "Do not validate TLS certificate",
                        not smtp.verify_certificate,
                        id="no-verify",
                        compact=True,
                    ),
                    row_id="no-verify",
                    help_text=NO_VERIFY_HELP,
                )
                yield FieldRow(
                    "CA file",
                    Input(
                        smtp.ca_file,
                        placeholder="optional: PEM file of your own certificate authority",
                        id="ca-file",
                        compact=True,
                    ),
                    row_id="ca-file",
                )
            yield Static("", id="general-message", classes="message", markup=False)
        with Horizontal(id="buttons"):
            yield Button("Test settings (ctrl+n)", id="test", variant="primary", compact=True)
            yield Button("Save without testing (ctrl+s)", id="save", compact=True)
        yield Footer()

    def _password_help(self) -> str:
        if self.password_note:
            return self.password_note
        if self.provider.app_password:
            return "The app password you created, not your normal password."
        return ""

    def on_mount(self) -> None:
        self._apply_provider()
        self._update_visibility()
        self._refresh_messages()
        self._focus_start()

    def _focus_start(self) -> None:
        first_error = self._first_error_widget()
        if first_error is not None:
            first_error.focus()
            return
        candidates = ["host", "username", "password", "url"]
        if self.password_pending:
            candidates.remove("password")
        for widget_id in candidates:
            widget = self.query_one(f"#{widget_id}", Input)
            if widget.display and self._row_visible(widget_id) and not widget.value:
                widget.focus()
                return
        self.query_one("#test", Button).focus()

    # ------------------------------------------------------------------ reading the form

    def _radio_index(self, widget_id: str) -> int:
        index = self.query_one(f"#{widget_id}", RadioSet).pressed_index
        return max(index, 0)

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def _checked(self, widget_id: str) -> bool:
        return self.query_one(f"#{widget_id}", Checkbox).value

    @property
    def protocol(self) -> Literal["smtp", "http"]:
        return "http" if self._radio_index("protocol") == 1 else "smtp"

    def _port(self) -> tuple[int, str]:
        """The chosen port and, when "Other" holds no valid number, the core's message."""
        index = self._radio_index("port")
        if index < len(PORTS):
            return PORTS[index], ""
        try:
            return parse_port(self._value("port-other")), ""
        except ValueError as error:
            return 0, str(error)

    def _address_wanted(self) -> bool:
        """The seed's rule: ask for the address only when the username is not one."""
        username = self._value("username").strip()
        if looks_like_address(username):
            return False
        return bool(username) or SECURITIES[self._radio_index("security")] == "none"

    def draft(self) -> Settings:
        """The settings as the form shows them now, valid or not (hidden fields left out)."""
        settings = copy.deepcopy(self.initial)
        settings.protocol = self.protocol
        settings.provider = self.provider.id
        smtp, sender = settings.smtp, settings.sender
        if settings.protocol == "smtp":
            smtp.host = self._value("host")
            smtp.port = self._port()[0]
            smtp.security = SECURITIES[self._radio_index("security")]
            smtp.username = self._value("username")
            sender.address = self._value("address") if self._address_wanted() else ""
            smtp.verify_certificate = not self._checked("no-verify")
            smtp.ca_file = self._value("ca-file") if self._ca_file_shown() else ""
            sender.copy_to = self._value("copy-to") if self._checked("copy-on") else ""
            sender.reply_to = self._value("reply-to") if self._checked("reply-on") else ""
        else:
            settings.http.url = self._value("url")
            sender.copy_to = ""
            sender.reply_to = self._value("reply-to")
        sender.name = self._value("name")
        return settings

    @property
    def password(self) -> str:
        return self._value("password")

    def result(self, action: FormAction = "test") -> FormResult:
        settings = self.draft()
        if action != "back":
            settings = cleaned(settings)
        return FormResult(settings, self.password, action)

    def is_dirty(self) -> bool:
        """Whether anything differs from what the screen started with."""
        return self.draft() != self.initial or self.password != self.initial_password

    # ------------------------------------------------------------------ problems

    def problems(self) -> dict[str, list[Problem]]:
        """The core's problems with the form, by field, plus the port and password checks."""
        settings = self.draft()
        found: dict[str, list[Problem]] = defaultdict(list)
        for problem in validate(settings):
            found[problem.field].append(problem)
        if settings.protocol == "smtp":
            port_error = self._port()[1]
            if port_error:
                found["smtp.port"] = [Problem("smtp.port", port_error)]
            if (
                not self.password_pending
                and settings.smtp.username.strip()
                and settings.smtp.security != "none"
                and not self.password
            ):
                found["password"].append(Problem("password", self._missing_password_message()))
        return found

    def _missing_password_message(self) -> str:
        if self.provider.app_password:
            return "Enter the app password (not your normal password)."
        return "Enter the password for this username."

    def _widget_for(self, field_name: str) -> str | None:
        """The id of the visible widget that shows this field's messages, if any."""
        widget_id = FIELD_WIDGETS.get(field_name)
        if widget_id is None:
            return None
        fallbacks = {"address": "username", "copy-to": "copy-on", "reply-to": "reply-on"}
        if not self._row_visible(widget_id):
            widget_id = fallbacks.get(widget_id, "")
            if not widget_id or not self._row_visible(widget_id):
                return None
        return widget_id

    def _row_visible(self, widget_id: str) -> bool:
        widget = self.query_one(f"#{widget_id}")
        node: Widget | None = widget
        while node is not None and node is not self:
            if not node.display:
                return False
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return True

    def _refresh_messages(self) -> None:
        found = self.problems()
        by_row: dict[str, list[Problem]] = defaultdict(list)
        general: list[Problem] = []
        for field_name, problems in found.items():
            widget_id = self._widget_for(field_name)
            if widget_id is None:
                # No widget shows it (a timeout in the file, or a field hidden right now):
                # say it below the form rather than block without a word.
                general.extend(
                    Problem(p.field, f"{p.field}: {p.message}")
                    for p in problems
                    if p.severity == "error"
                )
                continue
            shown = field_name in self.touched or (
                widget_id != FIELD_WIDGETS.get(field_name) and widget_id in self._touched_ids()
            )
            if shown:
                by_row[self._row_of(widget_id)].extend(problems)
        for row in self.query(FieldRow):
            message = row.query_one(".message", Static)
            help_line = row.query_one(".help", Static)
            problems = by_row.get(row.row_id, [])
            self._show(message, problems)
            help_text = self._help_for(row)
            # Help explains a field; once a message says what is wrong, the help gives way,
            # except the note on where the stored password came from (or why there is none).
            keep = row.row_id == "password" and bool(self.password_note)
            help_line.update(help_text)
            help_line.display = bool(help_text) and (not problems or keep)
            row.set_class(any(p.severity == "error" for p in problems), "-invalid")
        self._show(self.query_one("#general-message", Static), general if self.touched else [])

    def _touched_ids(self) -> set[str]:
        return {FIELD_WIDGETS[name] for name in self.touched if name in FIELD_WIDGETS}

    @staticmethod
    def _row_of(widget_id: str) -> str:
        return {"port-other": "port", "show-password": "password"}.get(widget_id, widget_id)

    def _help_for(self, row: FieldRow) -> str:
        if row.row_id == "security":
            return SECURITY_HELP[SECURITIES[self._radio_index("security")]]
        if row.row_id == "reply-to" and self.protocol == "http":
            return "Required for a relay: usually your business address."
        if row.row_id == "password":
            return self._password_help()
        return row.help_text

    @staticmethod
    def _show(target: Static, problems: list[Problem]) -> None:
        target.display = bool(problems)
        if not problems:
            target.update("")
            return
        errors = [p for p in problems if p.severity == "error"]
        target.set_class(bool(errors), "-error")
        target.set_class(not errors, "-warning")
        target.update(
            Content("\n").join(
                Content.from_markup(
                    "[b]$mark[/b] $text",
                    mark="✗" if p.severity == "error" else "!",
                    text=p.message,
                )
                for p in problems
            )
        )

    def _first_error_widget(self) -> Widget | None:
        found = self.problems()
        for field_name in (*FORM_ORDER, *found):
            if field_name not in self.touched:
                continue
            if any(p.severity == "error" for p in found.get(field_name, [])):
                widget_id = self._widget_for(field_name)
                if widget_id is not None:
                    return self._focus_target(widget_id)
        return None

    def _focus_target(self, widget_id: str) -> Widget:
        if widget_id == "port" and self._radio_index("port") == len(PORTS):
            widget_id = "port-other"
        return self.query_one(f"#{widget_id}")

    # ------------------------------------------------------------------ reacting

    def _apply_provider(self) -> None:
        """Heading, notes and what the provider allows."""
        provider = self.provider
        heading = self.query_one("#heading", Static)
        heading.update(
            Content.from_markup(
                "[b]$name[/b] — your settings  [dim](Esc: choose another provider)[/dim]",
                name=provider.name,
            )
        )
        notes = self.query_one("#notes", Static)
        notes.update(provider.notes)
        notes.display = bool(provider.notes)

    def _update_visibility(self) -> None:
        smtp = self.protocol == "smtp"
        custom = self.provider.id == CUSTOM_ID
        self.query_one("#smtp-group").display = smtp
        self.query_one("#http-group").display = not smtp
        self.query_one("#port-other").display = self._radio_index("port") == len(PORTS)
        self.query_one("#address-row").display = smtp and self._address_wanted()
        self.query_one("#copy-on").display = smtp
        self.query_one("#copy-to-row").display = smtp and self._checked("copy-on")
        self.query_one("#reply-on").display = smtp
        self.query_one("#reply-to-row").display = not smtp or self._checked("reply-on")
        # Turning certificate checks off is offered only for "Other SMTP server"; a file
        # that has it off for a known provider shows the box so that it can be ticked off.
        no_verify = self._checked("no-verify")
        ca_file = self._ca_file_shown()
        self.query_one("#custom-group").display = smtp and (custom or no_verify or ca_file)
        self.query_one("#no-verify-row").display = custom or no_verify
        self.query_one("#ca-file-row").display = ca_file

    def _ca_file_shown(self) -> bool:
        """A CA file is for your own server; one already set (the practice server) shows."""
        return self.provider.id == CUSTOM_ID or bool(self.initial.smtp.ca_file)

    def _changed(self) -> None:
        self._update_visibility()
        self._refresh_messages()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "password" and event.value != self.initial_password:
            self._password_typed = True
        if (
            event.input.id == "username"
            and event.value.strip()
            and SECURITIES[self._radio_index("security")] == "none"
        ):
            # A login needs encryption (a password never travels in clear). "None" is often
            # only there because port 25 was passed on the way to another port.
            self._set_security("starttls")
        self._changed()

    @on(Input.Blurred)
    def _input_left(self, event: Input.Blurred) -> None:
        field_name = self._field_of(event.input.id or "")
        if field_name:
            self.touched.add(field_name)
        self._refresh_messages()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field moves on to the next one, like Tab."""
        event.stop()
        self.focus_next()

    def _field_of(self, widget_id: str) -> str | None:
        if widget_id == "port-other":
            return "smtp.port"
        if widget_id in ("copy-on",):
            return "sender.copy_to"
        if widget_id in ("reply-on",):
            return "sender.reply_to"
        for name, wid in FIELD_WIDGETS.items():
            if wid == widget_id and name != "provider":
                return name
        return None

    @on(RadioSet.Changed, "#protocol")
    def _protocol_changed(self, event: RadioSet.Changed) -> None:
        if self.protocol == "http":
            if self.provider.protocol == "smtp":
                self.smtp_provider = self.provider
            self.provider = get_provider(HTTP_ID)
        elif self.provider.protocol == "http":
            self.provider = self.smtp_provider
        self._apply_provider()
        self.touched.add("protocol")
        self._changed()

    @on(RadioSet.Changed, "#port")
    def _port_changed(self, event: RadioSet.Changed) -> None:
        index = event.radio_set.pressed_index
        if index < len(PORTS):
            port = PORTS[index]
            security = USUAL_SECURITY_FOR_PORT[port]
            if security == "none" and self._value("username").strip():
                # Port 25 with a login still needs encryption: the password must not
                # travel in clear, so STARTTLS (a server that cannot do it fails the test).
                security = "starttls"
            self._set_security(security)
            self.touched.add("smtp.port")
        else:
            self._update_visibility()
            self.query_one("#port-other", Input).focus()
        self._changed()

    def _set_security(self, security: Security) -> None:
        self.query_one("#security", ChoiceRow).choose(SECURITIES.index(security))

    @on(RadioSet.Changed, "#security")
    def _security_changed(self, event: RadioSet.Changed) -> None:
        self.touched.add("smtp.security")
        self._changed()

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        box_id = event.checkbox.id
        if box_id == "show-password":
            self.query_one("#password", Input).password = not event.value
            return
        if box_id == "no-verify":
            self.touched.add("smtp.verify_certificate")
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

    def action_submit(self, action: FormAction = "test") -> None:
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
                "One field needs fixing first: it is marked in red."
                if count == 1
                else f"{count} fields need fixing first: they are marked in red.",
                title="Not yet",
                severity="warning",
            )
            return
        self.post_message(self.Submitted(self.result(action)))

    def action_toggle_password(self) -> None:
        box = self.query_one("#show-password", Checkbox)
        box.value = not box.value

    def action_guide(self) -> None:
        self.post_message(self.GuideRequested(self.provider))

    def action_back(self) -> None:
        self.dismiss(self.result("back"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "guide":
            return bool(self.provider.guidance)
        if action == "toggle_password":
            return self.protocol == "smtp"
        return True

    # ------------------------------------------------------------------ for the app

    def focus_field(self, field_name: str) -> bool:
        """Focus the widget that edits a settings field ("smtp.port", "password", ...).

        Reveals it first when it sits behind a checkbox. Returns False when the field is
        not on this form (the focus then stays where it was).
        """
        if field_name == "sender.copy_to":
            self.query_one("#copy-on", Checkbox).value = True
        elif field_name == "sender.reply_to" and self.protocol == "smtp":
            self.query_one("#reply-on", Checkbox).value = True
        self._update_visibility()
        widget_id = self._widget_for(field_name)
        if widget_id is None:
            return False
        self.touched.add(field_name)
        self._refresh_messages()
        target = self._focus_target(widget_id)
        self.call_after_refresh(target.focus)
        return True

    def set_stored_password(self, password: str | None, note: str = "") -> None:
        """The stored password arrived (read in a worker); fill it in unless one was typed."""
        if password is not None and not self._password_typed and not self.password:
            self.initial_password = password
            self.query_one("#password", Input).value = password
            self._password_typed = False
        self.password_note = note
        self.password_pending = False
        self._refresh_messages()
