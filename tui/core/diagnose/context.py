"""What every handler needs: the failure, the settings, the provider, who reads it, and the
values its texts name ({host}, {said}, ...), computed only when a text asks for them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from tui.core.diagnose.texts import Audience, data, expand, lookup, numbered, render
from tui.core.events import Failure
from tui.core.http_apis import facts_of
from tui.core.keys import Key
from tui.core.providers import Provider
from tui.core.redact import Redactor, redact_url
from tui.core.settings import Settings

_QUOTE_MAX = 300


@dataclass(frozen=True)
class Diagnosis:
    title: str  # one short sentence for the test screen
    cause: str  # what happened and what it means, in plain words
    fix: str  # what to do: numbered lines
    field: Key | Literal[""] = ""  # the setting to look at, "" for none

    def first_step(self) -> str:
        """The first line of the fix without its number or Markdown (a one-line hint: the
        queue's and status's notices). The fix's format is this package's, so is this."""
        first = self.fix.splitlines()[0] if self.fix else ""
        return first.lstrip("0123456789. ").replace("**", "")


@dataclass
class Ctx:
    failure: Failure
    settings: Settings
    provider: Provider | None
    audience: Audience = Audience.WIZARD
    password: str | None = None  # only its shape is read, never shown
    values: dict[str, object] = field(default_factory=dict)
    config_path: Path | None = None  # the settings' file: {run.x} commands name it

    def __post_init__(self) -> None:
        # The failure's words are the only outside text a diagnosis shows: redact them once,
        # here, and never the diagnosis' own sentences.
        f = self.failure
        self.failure = f._replace(
            reply=self.redact(f.reply),
            detail=self.redact(f.detail),
            location=self.redact(f.location),
        )

    # ------------------------------------------------------------------ facts

    @property
    def http(self) -> bool:
        return self.settings.protocol == "http"

    @property
    def host(self) -> str:
        if self.http:
            try:
                return urlsplit(self.settings.http.url.strip()).hostname or ""
            except ValueError:
                return ""
        return self.settings.smtp.host.strip()

    @property
    def port(self) -> int | None:
        if not self.http:
            return self.settings.smtp.port
        try:
            parts = urlsplit(self.settings.http.url.strip())
            return parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
        except ValueError:
            return None

    @property
    def host_field(self) -> Key:
        return Key.URL if self.http else Key.HOST

    @property
    def catalogue(self) -> bool:
        """A known mail provider (Gmail, Yahoo...), not "Other SMTP server" nor the relay:
        certificate checks are never to be turned off for one."""
        p = self.provider
        return p is not None and p.protocol == "smtp" and p.certificate_checks_required

    def in_group(self, name: str) -> bool:
        """The provider is `name` (an id) or one of the group `name` of texts.toml."""
        pid = self.provider.id if self.provider is not None else ""
        return pid == name or pid in data()["groups"].get(name, ())

    @property
    def app_password_key(self) -> str:
        """Whose app-password steps of texts.toml apply: the provider's guidance key, or ""
        (then the catalogue's own steps, else the generic ones)."""
        key = self.provider.guidance if self.provider is not None else ""
        return key if key in data()["steps"] else ""

    # ------------------------------------------------------------------ texts

    def part(self, name: str, /, **values: object) -> str:
        return self._render(lookup("part", name), values)

    def sub(self, diagnosis: str, name: str, /, **values: object) -> str:
        """A piece a diagnosis keeps beside its title (texts.toml [d.NAME] other keys)."""
        return self._render(lookup("d", diagnosis, name), values)

    def make(
        self,
        name: str,
        field: Key | Literal[""] = "",
        /,
        *,
        before: tuple[str, ...] = (),
        after: tuple[str, ...] = (),
        **values: object,
    ) -> Diagnosis:
        """Diagnosis [d.NAME], its fix being `before` + its own steps + `after` (step names)."""
        self.values.update(values)
        entry = lookup("d", name)
        items = [f"@{s}" for s in before] + list(entry["fix"]) + [f"@{s}" for s in after]
        steps = expand(
            items,
            self.audience,
            self.value,
            app_password=self.app_password_key,
            provider_steps=self.provider.steps if self.provider is not None else (),
            config_path=self.config_path,
        )
        return Diagnosis(
            title=self._render(entry["title"]),
            cause=self._render(entry["cause"]),
            fix=numbered(steps),
            field=field,
        )

    def _render(self, text: object, values: dict[str, object] | None = None) -> str:
        """`values` hold for this text only; the diagnosis' own values for all its texts."""
        if not values:
            return render(text, self.audience, self.value, config_path=self.config_path)
        local = values
        get = lambda n: local[n] if n in local else self.value(n)  # noqa: E731
        return render(text, self.audience, get, config_path=self.config_path)

    def value(self, name: str) -> object:
        """A {name} in a text: given by the handler, else computed by `_v_<name>`."""
        if name in self.values:
            return self.values[name]
        getter = getattr(self, "_v_" + name.replace("-", "_"), None)
        if getter is None:
            raise KeyError(f"no value {name!r} for a diagnosis text")
        return getter()

    def quote(self, reply: str, who: str = "the-server") -> str:
        """The server's words as a sentence to append; "" when there are none."""
        reply = self.redactor.clean(" ".join(reply.split()), limit=_QUOTE_MAX)
        if not reply:
            return ""
        end = "" if reply[-1] in ".!?" else "."
        return self.part("said", who=self.part(who), reply=reply, end=end)

    @functools.cached_property
    def redactor(self) -> Redactor:
        """A second lock (the transports redact first): the password, when diagnose() is
        given it, and the keys the relay and token URLs may carry never reach a diagnosis."""
        redactor = Redactor([self.password], self.settings.smtp.username)
        redactor.add_url(self.settings.http.url)
        redactor.add_url(self.settings.oauth.token_url)
        return redactor

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    def mode(self, security: str) -> str:
        known = security in ("tls", "starttls", "none")
        return self.part(f"mode-{security}") if known else security

    # ------------------------------------------------------------------ values

    def _v_host(self) -> str:
        return self.host

    def _v_port(self) -> object:
        return self.port

    def _v_stage(self) -> str:
        return self.failure.stage

    def _v_code(self) -> object:
        return self.failure.code

    def _v_said(self) -> str:
        return self.quote(self.failure.reply, "the-relay" if self.http else "the-server")

    def _v_encrypt(self) -> str:
        return self.part("encrypt")

    def _v_security(self) -> str:
        return self.mode(self.settings.smtp.security)

    def _v_provider(self) -> str:
        p = self.provider
        # "Other SMTP server" and the relay are not a provider's name: the user typed the host.
        return p.name if p is not None and p.host else self.part("your-provider")

    def _v_Provider(self) -> str:  # {Provider}: the name to start a sentence with
        name = self._v_provider()
        return name if self.provider is not None and self.provider.host else name.capitalize()

    def _v_provider_host(self) -> str:
        return self.provider.host if self.provider is not None else ""

    def _v_waited(self) -> str:
        limit = self.settings.http.timeout if self.http else self.settings.smtp.timeout
        return f"{limit:g} second" + ("" if limit == 1 else "s")

    def _v_error(self) -> str:
        return self.part("error-was", detail=self.failure.detail) if self.failure.detail else ""

    def _v_detail(self) -> str:
        return f' ("{self.failure.detail}")' if self.failure.detail else ""

    def _v_url(self) -> str:
        http = self.settings.http
        return redact_url(http.url.strip()) or facts_of(http.api).default_url

    def _v_relay(self) -> str:
        """What the HTTP side posts to: "the relay", "the Postmark API"."""
        return facts_of(self.settings.http.api).what

    def _v_Relay(self) -> str:
        what = self._v_relay()
        return what[:1].upper() + what[1:]

    def _v_relay_noun(self) -> str:
        return self._v_relay().removeprefix("the ")

    def _v_sender(self) -> str:
        return self.settings.from_address or self.settings.sender.address

    def _v_user(self) -> str:
        return self.settings.smtp.username

    def _v_ca_file(self) -> str:
        return self.settings.smtp.ca_file

    def _v_api(self) -> str:
        p = self.provider
        if p is not None and p.protocol == "http" and p.id != "http":
            return p.name
        return self.settings.http.api.capitalize()

    def _v_typed(self) -> str:
        user = self.settings.smtp.username
        return f' (you typed "{user}")' if user else ""

    def _v_usual_ports(self) -> str:
        p = self.provider
        if p is not None and self.catalogue and p.endpoints:
            ways = [
                self.part("provider-way", port=e.port, security=self.mode(e.security))
                if e.host == p.host
                else self.part(
                    "provider-way-on", port=e.port, security=self.mode(e.security), host=e.host
                )
                for e in p.endpoints[:3]
            ]
            ways_text = ", or ".join(ways)
            return self.part("provider-ports", provider=p.name, host=p.host, ways=ways_text)
        return self.part("usual-ports")
