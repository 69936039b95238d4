"""`mailwiz show`: the settings, the password masked, and where it is stored."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.base import SubParsers, load_or_explain, printable, report_problems, say
from tui.core.exits import Exit
from tui.core.keys import security_words
from tui.core.locations import command_for

if TYPE_CHECKING:
    from tui.core.settings import Loaded, Settings


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "show",
        parents=parents,
        help="the settings, password masked, and where it is stored",
        description="Print the saved settings with the password masked, say where the "
        "password is kept, and list every problem in the file.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config_path: Path) -> int:
    """Exit 0 for a usable file (warnings are printed), 2 when it has errors."""
    loaded = load_or_explain(config_path)
    print(say("show.file", path=printable(str(loaded.path))))
    rows = settings_rows(loaded) + secret_rows(loaded)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {printable(value)}")
    if report_problems(loaded):
        print(say("show.unusable", path=printable(str(loaded.path))), file=sys.stderr)
        return Exit.USAGE
    if any(value.startswith(say("show.cannot-tell")) for _, value in rows):
        print(say("show.secret-unreadable"), file=sys.stderr)
        return Exit.NOT_READY
    return Exit.OK


def _row(name: str) -> str:
    """A row's label, as tui/commands/texts.toml [show.rows] words it."""
    return str(say.raw("show.rows").get(name, name))


def settings_rows(loaded: Loaded) -> list[tuple[str, str]]:
    settings = loaded.settings
    rows: list[tuple[str, str]] = [
        (_row("protocol"), settings.protocol),
        (_row("provider"), settings.provider),
    ]
    if settings.protocol == "smtp":
        smtp = settings.smtp
        rows += [
            (_row("host"), smtp.host),
            (_row("port"), str(smtp.port)),
            (_row("security"), security_words(smtp.security)),
            (_row("username"), smtp.username or say("show.none")),
            (
                _row("verify certificate"),
                say("show.yes") if smtp.verify_certificate else say("show.no"),
            ),
        ]
        if smtp.ca_file:
            rows.append((_row("CA file"), smtp.ca_file))
        rows.append((_row("timeout"), f"{smtp.timeout:g} s"))
    else:
        rows += _http_rows(settings)
    rows += [
        (_row("sender address"), settings.from_address or say("show.none")),
        (_row("sender name"), settings.sender.name or say("show.none")),
        (_row("replies to"), settings.sender.reply_to or say("show.reply-to-default")),
        (_row("copy of every email"), settings.sender.copy_to or say("show.none")),
    ]
    return rows


# One wording for the security modes, the same as `discover` and the README use.
def _http_rows(settings: Settings) -> list[tuple[str, str]]:
    """The relay's URL, or which provider API, where it posts and (Mailgun) the domain."""
    from tui.core.http_apis import http_rows

    return [*http_rows(settings), (_row("timeout"), f"{settings.http.timeout:g} s")]


def secret_rows(loaded: Loaded) -> list[tuple[str, str]]:
    """The password rows: masked, where it comes from, where it is kept. Settings that
    take no password say so instead of naming a store that holds nothing."""
    from tui.core.credentials import (
        describe_store,
        load_password,
        password_needed,
        secret_word,
    )

    settings = loaded.settings
    if settings.protocol == "smtp" and settings.smtp.auth == "oauth2":
        from tui.core.status import sign_in_lines

        if settings.oauth.grant == "app":
            return app_rows(settings) + sign_in_lines(settings, loaded.path)
        return sign_in_rows(settings, loaded.path) + sign_in_lines(settings, loaded.path)
    word = secret_word(settings)
    if not password_needed(settings):
        return [(word, describe_store(settings, loaded.path))]
    lookup = load_password(settings, loaded.path)
    if lookup.password:
        where = say("show.from-env") if lookup.source == "env" else say("show.stored")
        shown = say("show.masked", where=where)
    elif not lookup.missing:
        shown = say("show.optional")
    else:
        shown = say("show.not-available", problem=lookup.problem)
    return [(word, shown), (say("show.kept-in", word=word), describe_store(settings, loaded.path))]


def app_rows(settings: Settings) -> list[tuple[str, str]]:
    """An app sign-in (grant = "app"): who the app is, and which mailbox it sends as."""
    from tui.core.credentials import app_scope, app_token_url, provider_name

    oauth = settings.oauth
    rows = [(_row("sign-in"), say("show.app-sign-in", provider=provider_name(oauth.provider)))]
    if oauth.provider == "google":
        rows.append((_row("service account key"), oauth.service_account or say("show.none")))
    else:
        rows.append((_row("client ID"), oauth.client_id or say("show.no-client-id")))
        if oauth.provider == "microsoft":
            rows.append((_row("tenant"), oauth.tenant))
    rows.append((_row("token URL"), app_token_url(settings) or say("show.token-uri-of-key")))
    rows.append((_row("scope"), app_scope(settings)))
    rows.append((_row("sends as"), settings.smtp.username or say("show.no-username")))
    return rows


def sign_in_rows(settings: Settings, config_path: Path) -> list[tuple[str, str]]:
    """The lines about a person's OAuth sign-in: who, until when, kept where. No token; the
    token URL with its query redacted. A sign-in that cannot be read says CANNOT TELL."""
    from tui.core.credentials import sign_in_status

    status = sign_in_status(settings, config_path)
    rows = [(_row("sign-in"), say("show.person-sign-in", provider=status.provider))]
    rows.append((_row("client ID"), status.client_id or say("show.no-client-id")))
    if status.tenant:
        rows.append((_row("tenant"), status.tenant))
    rows.append((_row("token URL"), status.token_url or say("show.no-token-url")))
    if status.state == "unknown":
        rows.append((_row("signed in"), say("show.cannot-tell-why", problem=status.problem)))
    elif status.state == "not-signed-in":
        login = command_for(config_path, "login")
        rows.append((_row("signed in"), say("show.not-signed-in", login=login)))
    else:
        rows.append((_row("signed in as"), status.username or say("show.unknown")))
        left = status.seconds_left
        if left == float("inf"):
            state = say("show.no-expiry")
        elif left > 0:
            count = max(1, round(left / 60))
            minutes = say("show.minutes" if count != 1 else "show.minute", count=count)
            state = say("show.valid-for", minutes=minutes)
        else:
            state = say("show.expired")
        rows.append((_row("access token"), state))
    rows.append((_row("sign-in kept in"), status.stored_in))
    return rows
