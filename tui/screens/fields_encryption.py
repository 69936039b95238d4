"""The encryption that follows the port and the login on the fields screen.

A port chosen brings its usual encryption (465 TLS, 587 STARTTLS, 25 none), but a login never
travels in clear: with a username, port 25 gets STARTTLS (a server that cannot do it fails the
test), and typing a username where the encryption is None turns it to STARTTLS ("None" is
often only there because port 25 was passed on the way to another port). "Other" port goes
back to the encryption chosen before the ports were stepped through. A file that has None
with a username is changed on load, and the form says so.
"""

from __future__ import annotations

from textual.widgets import Input

from tui.core.keys import Key
from tui.core.settings import USUAL_SECURITY_FOR_PORT, Security
from tui.core.texts import Texts
from tui.screens.fields_messages import FormMessages
from tui.screens.fields_model import PORTS, SECURITIES
from tui.widgets import ChoiceRow

say = Texts(__package__ or "tui.screens", "fields_texts.toml")


class FormEncryption(FormMessages):
    """Keeps the encryption in step with the port and the login."""

    # The security the user (or the file) chose: "Other" port goes back to it, rather than
    # keep what port 25 set on the way past.
    _chosen_security: Security

    def _set_security(self, security: Security) -> None:
        self.query_one("#security", ChoiceRow).choose(SECURITIES.index(security))

    def _fix_on_load(self) -> None:
        """What mailwiz changes in a file's values before showing them, and says so."""
        smtp = self.initial.smtp
        if self.initial.protocol == "smtp" and smtp.security == "none" and smtp.username.strip():
            self._set_security("starttls")
            self._chosen_security = "starttls"
            self._say_change(say("changed_on_load"))

    def _follow_typing(self, widget_id: str, value: str) -> None:
        """A username or an "Other" port typed: the encryption that goes with it."""
        typed_login = widget_id == "username" and value != self.initial.smtp.username
        if typed_login and value.strip() and self.security == "none":
            self._set_security("starttls")
        if widget_id == "port-other" and value.isdigit():
            usual = USUAL_SECURITY_FOR_PORT.get(int(value))
            if usual is not None and not (usual == "none" and self._value("username").strip()):
                self._set_security(usual)

    def _follow_port(self, index: int) -> None:
        """A port chosen from the row (index len(PORTS): "Other")."""
        if index < len(PORTS):
            security = USUAL_SECURITY_FOR_PORT[PORTS[index]]
            if security == "none" and self._value("username").strip():
                security = "starttls"
            self._set_security(security)
            self.touched.add(Key.PORT)
        else:
            self._set_security(self._chosen_security)
            self._update_visibility()
            self.query_one("#port-other", Input).focus()
