"""What the fields screen shows for the provider and the choices made: the heading and the
notes above the form, which rows show (the protocol's, the sign-in's, the boxes that reveal a
field), the words that follow a choice (API key or password, relay or base URL), and the page
ctrl+g opens. `FormLayout` sits on `FormReader` (the values) and changes none of them.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Input, Label, Static

from tui.core.http_apis import facts_of
from tui.core.keys import Key, label
from tui.core.providers import CUSTOM_ID, Provider
from tui.core.texts import Texts
from tui.screens import fields_model as model
from tui.screens.fields_form import FormReader
from tui.screens.fields_model import PORTS
from tui.widgets import FieldRow

say = Texts(__package__ or "tui.screens", "fields_texts.toml")


class FormLayout(FormReader):
    """The form's shape: which rows show, and the words above and beside them."""

    # The SMTP provider to return to when the user flips the protocol back from HTTP.
    smtp_provider: Provider
    carried: str  # what was kept from the provider before (a username), said on the form

    def _say_carried(self) -> None:
        if self.carried:
            self._say_change(self.carried)

    def _say_change(self, text: str) -> None:
        changes = self.query_one("#changes", Static)
        changes.update(text)
        changes.display = True

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
            name = facts.title if facts.name == "relay" else say("api_name", title=facts.title)
        heading = Content.from_markup(say("heading"), name=name)
        self.query_one("#heading", Static).update(heading)
        notes = self.query_one("#notes", Static)
        notes.update(provider.notes)
        notes.display = bool(provider.notes)

    def _update_visibility(self) -> None:
        for widget_id, display in self._shown().items():
            self.query_one(f"#{widget_id}").display = display
        smtp = self.protocol == "smtp"
        secret = self.query_one("#password-row", FieldRow).query_one(".field-label", Label)
        # The provider's own word for it where the catalogue has one ("Authorization code").
        secret.update(
            say("rows.password.api_label")
            if not smtp
            else self.provider.secret_label or label(Key.PASSWORD)
        )
        relay = self.api == "relay"
        url = self.query_one("#url-row", FieldRow).query_one(".field-label", Label)
        url.update(say("rows.url.relay_label" if relay else "rows.url.api_label"))
        self.query_one("#url", Input).placeholder = say(
            "rows.url.relay_placeholder" if relay else "rows.url.api_placeholder"
        )

    def _shown(self) -> dict[str, bool]:
        """Each row (or group of rows) that comes and goes, and whether it shows now."""
        smtp = self.protocol == "smtp"
        app = self.app_sign_in
        family = self.oauth_family
        shown = {
            "smtp-group": smtp,
            "http-group": not smtp,
            "port-other": self._choice("port") == len(PORTS),
            "auth-row": smtp and family is not None,
            "address-row": self._address_wanted(),
            "password-row": not self.signs_in or self.app_secret,
            "client-id-row": self.signs_in and not (app and family == "google"),
            "client-secret-row": self.signs_in and family == "google" and not app,
            "tenant-row": self.signs_in and family == "microsoft",
            "certificate-row": app and family == "microsoft",
            "service-account-row": app and family == "google",
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
        return shown

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
