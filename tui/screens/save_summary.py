"""The save screen's summary: the settings as (label, value) rows, the password masked."""

from __future__ import annotations

from textual.content import Content

from tui.core.http_apis import facts_of, http_rows
from tui.core.settings import Settings
from tui.core.texts import Texts

say = Texts(__package__ or "tui.screens", "save_texts.toml")

MASK = "●" * 8


def summary_rows(settings: Settings, password: str | None) -> list[tuple[str, str]]:
    """The settings as (label, value) rows, the password masked."""
    rows: list[tuple[str, str]] = [(say("summary.provider"), _provider_name(settings))]
    if settings.protocol == "http":
        http = http_rows(settings)
        if facts_of(settings.http.api).name != "relay":
            http = http[1:]  # the API's name: the Provider row says it already
        rows += [(label[0].upper() + label[1:], value) for label, value in http]
    else:
        rows += _smtp_rows(settings, password)
    sender = settings.sender
    from_address = settings.from_address
    if sender.name:
        from_address = f"{sender.name} <{from_address}>" if from_address else sender.name
    rows.append((say("summary.from"), from_address or say("summary.relay_default")))
    if sender.reply_to:
        rows.append((say("summary.reply_to"), sender.reply_to))
    if sender.copy_to:
        rows.append((say("summary.copy_to"), sender.copy_to))
    return rows


def summary(settings: Settings, password: str | None, *, practice: bool) -> Content:
    """The rows as aligned lines, each label in bold (`practice`: a practice run)."""
    rows = summary_rows(settings, password)
    if practice and rows[0] == (say("summary.provider"), "practice"):
        rows[0] = (rows[0][0], say("summary.practice_provider"))
    width = max(len(label) for label, _ in rows) + 2
    lines = [Content.assemble((f"{label + ':':<{width}}", "bold"), value) for label, value in rows]
    return Content("\n").join(lines)


def _smtp_rows(settings: Settings, password: str | None) -> list[tuple[str, str]]:
    smtp = settings.smtp
    securities: dict[str, str] = say.raw("summary.security")
    security = securities.get(smtp.security, smtp.security)
    server = say("summary.server_value", host=smtp.host, port=smtp.port, security=security)
    rows = [
        (say("summary.server"), server),
        (say("summary.username"), smtp.username or say("summary.no_username")),
    ]
    if smtp.auth == "oauth2":
        names: dict[str, str] = say.raw("summary.oauth_provider")
        who = names.get(settings.oauth.provider, "")
        signin = say("summary.signin_value", who=who, client_id=settings.oauth.client_id)
        rows.append((say("summary.signin"), signin))
    else:
        rows.append((say("summary.password"), _password_shown(settings, password)))
    if not smtp.verify_certificate:
        rows.append((say("summary.certificate"), say("summary.certificate_unchecked")))
    if smtp.ca_file:
        rows.append((say("summary.ca_file"), smtp.ca_file))
    return rows


def _password_shown(settings: Settings, password: str | None) -> str:
    if not settings.smtp.username.strip():
        return say("summary.password_not_needed")
    if password is None:
        return say("summary.password_unchanged")
    return say("summary.password_empty") if password == "" else MASK


def _provider_name(settings: Settings) -> str:
    """The provider's name; for HTTP, the API's ("Postmark API", "HTTP relay")."""
    from tui.core.providers import get_provider

    if settings.protocol == "http":
        facts = facts_of(settings.http.api)
        return facts.title if facts.name == "relay" else say("summary.api", title=facts.title)
    provider_id = settings.provider

    try:
        return get_provider(provider_id).name
    except KeyError:
        return say("summary.other_smtp") if provider_id == "custom" else provider_id
