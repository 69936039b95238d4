"""Handlers for signing in: no password, no encryption, refused credentials, provider replies
(the [[reply]] table of texts.toml) and token endpoint errors (the [[token]] table)."""

from __future__ import annotations

from typing import Any, Literal

from tui.core.diagnose.context import Ctx, Diagnosis
from tui.core.diagnose.passwords import app_password_letters, looks_like_app_password
from tui.core.diagnose.texts import data
from tui.core.keys import Key
from tui.core.redact import redact_url


def no_password(c: Ctx) -> Diagnosis:
    s = c.settings
    account = s.smtp.username or "this account"
    if s.smtp.host:
        account += f" at {s.smtp.host}"
    store = s.password.store if s.password.store in ("keyring", "file") else "none"
    return c.make(
        "no-password",
        Key.PASSWORD,
        account=account,
        where=c.sub("no-password", f"where-{store}"),
        todo=c.sub("no-password", f"todo-{store}"),
    )


def no_starttls(c: Ctx) -> Diagnosis:
    f, security = c.failure, c.settings.smtp.security
    if security == "none" and f.code is None:
        return c.make("needs-encryption", Key.SECURITY)
    if f.code == 530 or (security == "none" and f.stage in ("mail", "rcpt")):
        return c.make("requires-encryption", Key.SECURITY)
    what = c.part("starttls-reply" if f.code is not None else "starttls-missing")
    port_25 = c.port == 25
    after = ("port-25-submission",) if port_25 else ()
    return c.make("no-starttls", Key.PORT if port_25 else Key.SECURITY, after=after, what=what)


def auth(c: Ctx) -> Diagnosis:
    f = c.failure
    code = f.code
    if code == 530 and f.stage in ("mail", "rcpt"):
        return c.make("sign-in-first", Key.USERNAME)
    if code in (530, 538) or f.enhanced == "5.7.11":
        return c.make("encrypt-before-auth", Key.SECURITY)
    if code is None and f.stage == "auth":
        return auth_not_offered(c)
    if code in (504, 534):
        return c.make("auth-method", Key.SECURITY, after=("offer-app-password",))
    letters = app_password_letters(c.app_password_key)
    if letters and c.password is not None and not looks_like_app_password(c.password, letters):
        return c.make("looks-like-account-password", Key.PASSWORD, letters=letters)
    if c.provider is not None and c.provider.app_password:
        return c.make("bad-credentials-app", Key.PASSWORD)
    return c.make("bad-credentials", Key.PASSWORD)


def auth_not_offered(c: Ctx) -> Diagnosis:
    """Reason.AUTH_NOT_OFFERED: no sign-in method mailwiz can use on this port."""
    return c.make("no-auth-method", Key.PORT)


def token_rejected(c: Ctx) -> Diagnosis:
    """Reason.TOKEN_REJECTED: the mail server refused the token, also after a refresh."""
    if _is_grant(c, "app"):  # the app's token is good; Exchange refuses the mailbox
        c.values.update(_app_values(c))
        return c.make("app-mailbox-permission", Key.USERNAME)
    return c.make("token-rejected", Key.AUTH)


# --------------------------------------------------------------------------- replies


def _rule_matches(c: Ctx, rule: dict[str, Any]) -> bool:
    f = c.failure
    if "kinds" in rule and f.kind.name not in rule["kinds"]:
        return False
    if "codes" in rule and f.code not in rule["codes"]:
        return False
    if "groups" in rule and not any(c.in_group(g) for g in rule["groups"]):
        return False
    if "auth" in rule and c.settings.smtp.auth != rule["auth"]:
        return False
    if "grant" in rule and not _is_grant(c, rule["grant"]):
        return False
    enhanced, words = rule.get("enhanced", []), rule.get("words", [])
    if not enhanced and not words:
        return True
    reply = f.reply.lower()
    return f.enhanced in enhanced or any(word in reply for word in words)


def known_reply(c: Ctx) -> Diagnosis | None:
    """The diagnosis of a provider's known reply ([[reply]] of texts.toml), or None."""
    if not (c.failure.reply or c.failure.enhanced) or c.http:
        return None
    for rule in data()["reply"]:
        if _rule_matches(c, rule):
            if "grant" in rule:
                c.values.update(_app_values(c))
            field: Key | Literal[""] = Key(rule["field"]) if "field" in rule else ""
            return c.make(rule["d"], field)
    return None


# --------------------------------------------------------------------------- tokens


def token_diagnosis(
    c: Ctx, error: str, description: str, otherwise: str = "token-refused"
) -> Diagnosis:
    """A token endpoint's `error` ("invalid_grant") and `error_description` ("AADSTS700082:
    The refresh token has expired..."), explained with the [[token]] table."""
    said = f"{error}: {description}" if description else error
    what = c.redactor.clean(" ".join(description.split()), limit=200)
    c.values.update(said=c.quote(said), where=_token_host(c), what=what, **_app_values(c))
    c.values.setdefault("error", c.redactor.clean(error, limit=100))
    oauth = c.settings.oauth
    for rule in data()["token"]:
        if ("grant" in rule and not _is_grant(c, rule["grant"])) or (
            "provider" in rule and oauth.provider != rule["provider"]
        ):
            continue
        if ("aadsts" in rule and rule["aadsts"] in description) or rule.get("error") == error:
            return c.make(rule["d"], Key.AUTH)
    return c.make(otherwise, Key.AUTH)


def sign_in_diagnosis(c: Ctx, error: str, description: str, *, temporary: bool) -> Diagnosis:
    """A sign-in (not a send) that failed: the server out of reach, or its refusal."""
    if temporary:
        c.values.update(
            where=_token_host(c),
            error=c.redactor.clean(error, limit=100),
            said=c.quote(description),
        )
        return c.make("signin-unreachable", Key.OAUTH_TOKEN_URL)
    c.values.setdefault("account", "?")
    c.values.setdefault("username", c.settings.smtp.username or "?")
    return token_diagnosis(c, error, description, otherwise="signin-failed")


def _is_grant(c: Ctx, grant: str) -> bool:
    return c.settings.smtp.auth == "oauth2" and c.settings.oauth.grant == grant


def _app_values(c: Ctx) -> dict[str, str]:
    """What the app sign-in fixes name: the mailbox, the client ID (a service account's
    from its key file), the tenant and the scope."""
    from tui.core.credentials.app_grants import app_scope, service_account_client_id

    settings = c.settings
    oauth = settings.oauth
    client_id = oauth.client_id.strip()
    if not client_id and oauth.provider == "google" and oauth.service_account.strip():
        client_id = service_account_client_id(oauth.service_account)
    return {
        "mailbox": settings.smtp.username.strip() or "the mailbox",
        "client_id": client_id or "<the client ID>",
        "tenant": oauth.tenant.strip() or "organizations",
        "scope": app_scope(settings),
    }


def token_refused(c: Ctx) -> Diagnosis:
    """Reason.TOKEN_REFUSED: Failure.reply is the endpoint's "error: description"."""
    error, _, description = c.failure.reply.partition(": ")
    return token_diagnosis(c, error.strip(), description.strip())


def token_unavailable(c: Ctx) -> Diagnosis:
    c.values.update(where=_token_host(c))
    return c.make("token-unavailable", Key.OAUTH_TOKEN_URL)


def _token_host(c: Ctx) -> str:
    url = c.settings.oauth.token_url
    return redact_url(url) if url else c.part("sign-in-service")
