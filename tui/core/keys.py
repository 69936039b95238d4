"""The names of the things a user sets: one enum, used by settings, diagnosis and screens.

A value is the dotted settings key (`smtp.host`), which the command line names in its fixes;
`LABELS` gives the wizard's name for the same thing. Two entries are not settings keys:
`PASSWORD` (the secret, kept apart from the file) and `RECIPIENT` (the test send's To).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum

from tui.core.texts import Texts

say = Texts("tui.core")  # tui/core/texts.toml, [keys]


class Key(StrEnum):
    PROTOCOL = "protocol"
    PROVIDER = "provider"
    HOST = "smtp.host"
    PORT = "smtp.port"
    SECURITY = "smtp.security"
    USERNAME = "smtp.username"
    VERIFY_CERTIFICATE = "smtp.verify_certificate"
    CA_FILE = "smtp.ca_file"
    SMTP_TIMEOUT = "smtp.timeout"
    AUTH = "smtp.auth"
    URL = "http.url"
    HTTP_TIMEOUT = "http.timeout"
    API = "http.api"
    DOMAIN = "http.domain"
    SENDER_ADDRESS = "sender.address"
    SENDER_NAME = "sender.name"
    REPLY_TO = "sender.reply_to"
    COPY_TO = "sender.copy_to"
    PASSWORD_STORE = "password.store"
    OAUTH_PROVIDER = "oauth.provider"
    OAUTH_CLIENT_ID = "oauth.client_id"
    OAUTH_CLIENT_SECRET = "oauth.client_secret"
    OAUTH_TENANT = "oauth.tenant"
    OAUTH_SCOPE = "oauth.scope"
    OAUTH_DEVICE_URL = "oauth.device_authorization_url"
    OAUTH_AUTHORIZATION_URL = "oauth.authorization_url"
    OAUTH_TOKEN_URL = "oauth.token_url"
    OAUTH_GRANT = "oauth.grant"
    OAUTH_CERTIFICATE = "oauth.certificate"
    OAUTH_SERVICE_ACCOUNT = "oauth.service_account"
    OAUTH_SECRET_EXPIRES = "oauth.secret_expires"
    LOCAL_ADMIN = "local.admin"
    LOCAL_ALIASES = "local.aliases"
    PASSWORD = "password"
    RECIPIENT = "recipient"


# Fields the wizard keeps folded under "Advanced" (a text naming one says so; the form opens
# the fold when it sends the user there).
FOLDED = frozenset({Key.SMTP_TIMEOUT, Key.HTTP_TIMEOUT})


#: What each `smtp.security` value means, in the words every screen and command uses.
class _SecurityWords(Mapping[str, str]):
    """tui/core/texts.toml [keys.security], read when a word is first asked for."""

    def _words(self) -> dict[str, str]:
        words: dict[str, str] = say.raw("keys.security")
        return words

    def __getitem__(self, value: str) -> str:
        return self._words()[value]

    def __iter__(self) -> Iterator[str]:
        return iter(self._words())

    def __len__(self) -> int:
        return len(self._words())


SECURITY_WORDS: Mapping[str, str] = _SecurityWords()


def security_words(value: str) -> str:
    """A security setting with its meaning: "tls (TLS from the first byte)"."""
    words = SECURITY_WORDS.get(value)
    return f"{value} ({words})" if words else value


def label(key: Key | str) -> str:
    """The wizard's name for a key (the key itself when it has none)."""
    labels: dict[str, str] = say.raw("keys.labels")  # tui/core/texts.toml
    return labels.get(str(key), str(key))  # (a Key is its dotted name: a StrEnum)
