"""The fields screen's checks: the core's (`tui.core.settings.validate`) by field, plus the
few the core does not make because they concern the form (the port and timeout typed) or what
never goes into the settings file (the password, the API key, the sign-in's secret)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from tui.core.http_apis import key_problem
from tui.core.keys import Key
from tui.core.settings import MAX_TIMEOUT, Problem, Settings, validate
from tui.core.texts import Texts
from tui.screens.fields_model import as_key

say = Texts(__package__ or "tui.screens", "fields_texts.toml")


def parse_timeout(text: str) -> tuple[float, str]:
    """The timeout typed, and a message when it is not a number of seconds in range."""
    message = say("problems.timeout", max=MAX_TIMEOUT)
    try:
        value = float(text)
    except ValueError:
        return 0.0, message
    if not math.isfinite(value) or not 1 <= value <= MAX_TIMEOUT:
        return value if math.isfinite(value) else 0.0, message
    return value, ""


@dataclass(frozen=True)
class FormState:
    """What the form's own checks need besides the draft settings."""

    password: str = field(repr=False)
    password_pending: bool  # the stored password is still being read
    signs_in: bool  # OAuth sign-in chosen (a person's, or the app's own)
    app_password: bool  # the provider wants an app password
    port_error: str  # "Other" port holds no valid number
    timeout_error: str
    password_warning: str = ""  # the password cannot be the provider's app password
    app: bool = False  # the app signs in itself (oauth.grant = "app")


def form_problems(settings: Settings, state: FormState) -> dict[Key, list[Problem]]:
    """The core's problems with the draft, by field, plus the form's own checks (the port
    and timeout typed, the password and the sign-in that never go into the file)."""
    found: dict[Key, list[Problem]] = defaultdict(list)
    for problem in validate(settings):
        found[as_key(problem.field) or Key.PROVIDER].append(problem)
    if state.timeout_error:
        key = Key.SMTP_TIMEOUT if settings.protocol == "smtp" else Key.HTTP_TIMEOUT
        found[key] = [Problem(key, state.timeout_error)]
    if settings.protocol == "smtp":
        _smtp_problems(settings, state, found)
    else:
        _http_problems(settings, state, found)
    return found


def _smtp_problems(settings: Settings, state: FormState, found: dict[Key, list[Problem]]) -> None:
    if state.port_error:
        found[Key.PORT] = [Problem(Key.PORT, state.port_error)]
    if state.signs_in:
        oauth = settings.oauth
        google_app = state.app and oauth.provider == "google"
        if not oauth.client_id.strip() and not google_app:
            message = say("problems.client_id")
            found[Key.OAUTH_CLIENT_ID].append(Problem(Key.OAUTH_CLIENT_ID, message))
        if state.app and not google_app and not oauth.certificate.strip() and not state.password:
            found[Key.PASSWORD].append(Problem(Key.PASSWORD, say("problems.app_secret")))
        return
    login = settings.smtp.username.strip() and settings.smtp.security != "none"
    if not state.password_pending and login and not state.password:
        message = say("problems.app_password" if state.app_password else "problems.password")
        found[Key.PASSWORD].append(Problem(Key.PASSWORD, message))
    elif state.password_warning:
        found[Key.PASSWORD].append(Problem(Key.PASSWORD, state.password_warning, "warning"))


def _http_problems(settings: Settings, state: FormState, found: dict[Key, list[Problem]]) -> None:
    # The core checks an API's URL, sender and Mailgun domain; the key never is in the file.
    if settings.http.api != "relay" and not state.password:
        found[Key.PASSWORD].append(Problem(Key.PASSWORD, say("problems.api_key")))
    problem = key_problem(state.password)
    if problem:  # it could never go in the request's header
        found[Key.PASSWORD].append(
            Problem(Key.PASSWORD, say("problems.api_key_unusable", problem=problem))
        )
