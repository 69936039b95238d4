"""Reading the fields screen: the settings the form shows now (`draft`), valid or not.

`FormReader` is the fields screen's base: it knows which widget holds what and turns the
widgets' values into a Settings value; the screen (fields.py) builds, checks and reacts.
"""

from __future__ import annotations

from typing import Literal

from textual.screen import Screen
from textual.widgets import Input

from tui.core.providers import CUSTOM_ID, Provider
from tui.core.settings import (
    HttpApi,
    Security,
    Settings,
    cleaned,
    looks_like_address,
    parse_port,
)
from tui.core.sign_in_ways import SignInWay, oauth_family
from tui.screens import fields_model as model
from tui.screens.fields_checks import parse_timeout
from tui.screens.fields_model import PORTS, SECURITIES, FormResult
from tui.widgets import ChoiceRow, GlyphCheckbox


class FormReader(Screen[FormResult]):
    """The form's values, read from its widgets (ids as in fields_model.FIELD_WIDGETS)."""

    initial: Settings
    initial_password: str
    provider: Provider
    _baseline: Settings | None = None  # the draft as opened, for is_dirty()

    def _choice(self, widget_id: str) -> int:
        return self.query_one(f"#{widget_id}", ChoiceRow).index

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def _checked(self, widget_id: str) -> bool:
        return self.query_one(f"#{widget_id}", GlyphCheckbox).value

    @property
    def protocol(self) -> Literal["smtp", "http"]:
        return "http" if self._choice("protocol") == 1 else "smtp"

    @property
    def api(self) -> HttpApi:
        return model.APIS[self._choice("api")]

    @property
    def _reply_optional(self) -> bool:
        """Only the relay needs a reply-to; elsewhere it is a box to tick."""
        return self.protocol == "smtp" or self.api != "relay"

    @property
    def security(self) -> Security:
        return SECURITIES[self._choice("security")]

    @property
    def oauth_family(self) -> str | None:
        return oauth_family(self.provider.id)

    @property
    def signs_in(self) -> bool:
        """OAuth sign-in chosen (only offered for providers that have it)."""
        return self.sign_in_way in ("oauth2", "app")

    @property
    def sign_in_way(self) -> SignInWay:
        """password, oauth2 (a person signs in) or app (the app signs in itself)."""
        if oauth_family(self.provider.id) is None or self.protocol != "smtp":
            return "password"
        return model.sign_in_choices(self.provider.id)[self._choice("auth")][1]

    @property
    def app_sign_in(self) -> bool:
        return self.sign_in_way == "app"

    @property
    def app_secret(self) -> bool:
        """The app signs in with a client secret (typed in the password field)."""
        return (
            self.app_sign_in
            and self.oauth_family == "microsoft"
            and not (self._value("certificate").strip())
        )

    def _port(self) -> tuple[int, str]:
        """The chosen port and, when "Other" holds no valid number, the core's message."""
        index = self._choice("port")
        if index < len(PORTS):
            return PORTS[index], ""
        try:
            return parse_port(self._value("port-other")), ""
        except ValueError as error:
            return 0, str(error)

    def _address_wanted(self) -> bool:
        """The seed's rule: ask for the address only when the username is not one."""
        if self.protocol == "http":
            return True
        username = self._value("username").strip()
        if looks_like_address(username):
            return False
        return bool(username) or self.security == "none"

    def draft(self) -> Settings:
        """The settings as the form shows them now, valid or not (hidden fields left out)."""
        settings = self.initial.copy()
        settings.protocol = self.protocol
        settings.provider = self.provider.id
        sender = settings.sender
        timeout = parse_timeout(self._value("timeout"))[0]
        if settings.protocol == "smtp":
            self._draft_smtp(settings)
            settings.smtp.timeout = timeout
            sender.copy_to = self._value("copy-to") if self._checked("copy-on") else ""
            sender.reply_to = self._value("reply-to") if self._checked("reply-on") else ""
        else:
            http = settings.http
            http.api = model.APIS[self._choice("api")]
            http.url = self._value("url")
            http.domain = self._value("domain") if http.api == "mailgun" else ""
            http.timeout = timeout
            copy_on = self._copy_offered() and self._checked("copy-on")
            sender.copy_to = self._value("copy-to") if copy_on else ""
            reply_on = not self._reply_optional or self._checked("reply-on")
            sender.reply_to = self._value("reply-to") if reply_on else ""
        sender.address = self._value("address") if self._address_wanted() else ""
        sender.name = self._value("name")
        return settings

    def _draft_smtp(self, settings: Settings) -> None:
        smtp = settings.smtp
        smtp.host = self._value("host")
        smtp.port = self._port()[0]
        smtp.security = self.security
        smtp.username = self._value("username")
        smtp.verify_certificate = not self._checked("no-verify")
        smtp.ca_file = self._value("ca-file") if self._ca_file_shown() else ""
        family = self.oauth_family
        smtp.auth = "oauth2" if self.signs_in else "password"
        if family is not None and smtp.auth == "oauth2":
            oauth = settings.oauth
            oauth.provider = "microsoft" if family == "microsoft" else "google"
            oauth.grant = "app" if self.app_sign_in else "user"
            app = self.app_sign_in
            oauth.client_id = "" if app and family == "google" else self._value("client-id")
            secret = family == "google" and not app
            oauth.client_secret = self._value("client-secret") if secret else ""
            oauth.tenant = self._value("tenant") if family == "microsoft" else oauth.tenant
            mine = app and family == "microsoft"
            oauth.certificate = self._value("certificate") if mine else ""
            google_app = app and family == "google"
            oauth.service_account = self._value("service-account") if google_app else ""

    @property
    def password(self) -> str:
        """The password (or API key, or an app's client secret) typed; none with a person's
        OAuth sign-in."""
        return "" if self.signs_in and not self.app_secret else self._value("password")

    def result(self, action: model.FormAction = "test") -> FormResult:
        settings = self.draft()
        if action != "back":
            settings = cleaned(settings)
        return FormResult(settings, self.password, action, dirty=self.is_dirty())

    def is_dirty(self) -> bool:
        """Whether the user changed anything since the screen opened."""
        baseline = self._baseline if self._baseline is not None else self.initial
        return self.draft() != baseline or self.password != self.initial_password

    def _ca_file_shown(self) -> bool:
        """A CA file is for your own server; one already set (the practice server) shows."""
        return self.provider.id == CUSTOM_ID or bool(self.initial.smtp.ca_file)

    def _copy_offered(self) -> bool:
        """A copy (Bcc) goes with SMTP and the APIs; the original relay format has none."""
        return self.protocol == "smtp" or self.api != "relay"
