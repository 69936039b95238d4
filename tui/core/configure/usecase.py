"""`configure`: the settings (and the secret) from options, a file or the environment, checked
as the wizard checks them, written only when something changes, optionally proven by a test send.

The order, and why:
1. The new settings are the current ones (or the defaults) with the overrides applied,
   cleaned and validated like the wizard's; an error stops everything (nothing is written).
2. What changes is computed against what the file holds (secrets masked); the secret is
   compared with the stored one, so an identical second run changes nothing.
3. `test_to`: the test send runs with the NEW settings and secret BEFORE anything is written,
   so a failing test leaves the old settings and secret in place without a rollback window
   in which other senders would use untested settings. `keep_on_failure` writes anyway.
4. The write is the one save use case (tui.core.save), as the wizard's: settings and secret
   as one change under one lock, rolled back together; an old copy is removed.
5. A person's OAuth sign-in cannot be done unattended: the settings are written and the
   outcome says to run `mailwiz login` on this host (Exit.LOGIN_NEEDED).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui.core.configure.changes import SECRET_CHANGE_KEY, Change, setting_changes, unified_diff
from tui.core.configure.inputs import InputError, Override, apply_overrides
from tui.core.configure.texts import say
from tui.core.exits import Exit
from tui.core.settings import (
    Loaded,
    PasswordStore,
    Problem,
    Settings,
    SettingsMissing,
    cleaned,
    load_settings,
    validate,
)

if TYPE_CHECKING:
    from tui.core.configure.secrets import SecretPlan
    from tui.core.credentials.tokens import TokenSource


@dataclass(frozen=True, repr=False)
class Request:
    config_path: Path
    overrides: list[Override] = field(default_factory=list)
    password: str | None = None  # the secret to keep; None: keep what is stored
    store: PasswordStore | None = None  # --store; None: the current one (new file: default)
    check: bool = False  # say what would change, change nothing
    test_to: str = ""  # a live test send to this address ("" = none)
    keep_on_failure: bool = False  # write even when the test send failed
    default_store: PasswordStore = "keyring"  # for a new file (--system: "file")

    def __repr__(self) -> str:  # never the password
        return f"Request(config_path={self.config_path!r}, check={self.check})"


@dataclass(frozen=True)
class TestResult:
    result: Literal["sent", "failed", "skipped"]
    exit: int = 0
    stage: str = ""
    reply: str = ""
    diagnosis: str = ""  # what happened and what to do, in plain words ("" when sent)
    reason: str = ""  # why it was skipped

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "result": self.result,
            "exit": self.exit,
            "diagnosis": self.diagnosis,
        }
        if self.result == "failed":
            out.update(stage=self.stage, reply=self.reply)
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Secret:
    store: str
    where: str  # in words: the keyring entry, the file, "not stored"
    changed: bool

    def as_dict(self) -> dict[str, Any]:
        return {"store": self.store, "where": self.where, "changed": self.changed}


@dataclass
class Outcome:
    path: Path
    changed: bool
    changes: list[Change]
    secret: Secret
    test: TestResult
    diff: str
    exit: int = Exit.OK
    written: bool = False
    message: str = ""  # what the user must do next (a sign-in), or why nothing was written
    warnings: list[str] = field(default_factory=list)
    before: str = ""  # the file before and after, secrets masked (Ansible's diff mode)
    after: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "changes": [change.as_dict() for change in self.changes],
            "secret": self.secret.as_dict(),
            "test": self.test.as_dict(),
            "path": str(self.path),
            "exit": self.exit,
            "message": self.message,
            "warnings": self.warnings,
        }


class ConfigureInvalid(Exception):
    """The new settings have errors; `problems` names each key, str() lists them all, each
    with where its value came from (--set, a variable, the file)."""

    def __init__(self, problems: list[Problem], sources: dict[str, str]) -> None:
        self.problems = problems
        lines = [
            say(
                "invalid_line",
                key=problem.field,
                source=f" ({sources[problem.field]})" if problem.field in sources else "",
                message=problem.message,
            )
            for problem in problems
        ]
        super().__init__(say("invalid", problems="\n".join(lines)))


def _current(path: Path) -> Loaded | None:
    try:
        return load_settings(path)  # SettingsFileError: a broken file is never overwritten
    except SettingsMissing:
        return None


def new_settings(request: Request, current: Settings | None) -> Settings:
    """The settings this run asks for, checked like the wizard's; ConfigureInvalid else."""
    base = current.copy() if current is not None else Settings()
    if current is None:
        base.password.store = request.default_store
    new = apply_overrides(base, request.overrides)
    if request.store is not None:
        new.password.store = request.store
    new = cleaned(new)
    errors = [problem for problem in validate(new) if problem.severity == "error"]
    if errors:
        raise ConfigureInvalid(errors, {o.key: o.source for o in request.overrides})
    return new


def configure(request: Request) -> Outcome:
    """The whole use case (see the module's docstring); raises InputError, ConfigureInvalid,
    SettingsError (a broken or busy file) for what a user must fix first."""
    from tui.core.configure import secrets

    path = request.config_path
    if request.test_to:
        from tui.core.settings import address_problem

        problem = address_problem(request.test_to)
        if problem:
            raise InputError(request.test_to, "--test-to", problem)
    loaded = _current(path)
    current = loaded.settings if loaded else None
    new = new_settings(request, current)
    if request.password is not None and new.protocol == "http":
        from tui.core.http_apis import key_problem

        problem = key_problem(request.password)
        if problem:  # it could never go in the request's header: refused here, not at send
            raise InputError("password", "the secret given", problem)
    secret = secrets.plan(current, new, path, request.password)
    changes = setting_changes(current, new)
    if secret.changed:
        changes.append(
            Change(SECRET_CHANGE_KEY, "********" if secret.had_old else None, "********")
        )
    changed = bool(changes)
    from tui.core.configure.changes import masked_text

    outcome = Outcome(
        path=path,
        changed=changed,
        changes=changes,
        secret=Secret(new.password.store, secret.where, secret.changed),
        test=TestResult("skipped", reason=say("no_test")),
        diff=unified_diff(current, new, str(path), secret.changed) if changed else "",
        warnings=[p.message for p in validate(new) if p.severity == "warning"],
        before=masked_text(current),
        after=masked_text(new),
    )
    if loaded:
        outcome.warnings += loaded.warnings
    login = secrets.login_needed(new, path)
    if request.check:
        outcome.test = TestResult("skipped", reason=say("check_mode"))
        if login:
            outcome.message = login
        return outcome
    if request.test_to and not login:
        outcome.test = _test(new, path, secret, request.test_to)
        if outcome.test.result == "failed":
            outcome.exit = outcome.test.exit
            if not request.keep_on_failure:
                outcome.changed = False
                outcome.message = say("test_failed_kept_old")
                return outcome
    elif request.test_to:
        outcome.test = TestResult("skipped", reason=login)
    if changed:
        outcome.warnings += secrets.write(new, path, secret)
        outcome.written = True
    if login:
        outcome.exit = Exit.LOGIN_NEEDED
        outcome.message = login
    return outcome


def _test(settings: Settings, path: Path, secret: SecretPlan, to: str) -> TestResult:
    """The test send, or a failed result when there is nothing to sign in with (an app's key
    file that cannot be used, a sign-in that cannot be read)."""
    from tui.core.credentials.oauth import NotSignedIn

    try:
        credential = secret.credential(settings, path)
    except NotSignedIn as missing:
        return TestResult("failed", Exit.NOT_READY, "token", "", str(missing))
    return run_test(settings, credential, to, path)


def run_test(
    settings: Settings,
    credential: str | TokenSource | None,
    to: str,
    config_path: Path | None = None,
) -> TestResult:
    """A live test send with these settings (not yet saved), as `mailwiz test` sends it."""
    from tui.core.events import SendFinished
    from tui.core.exits import exit_code_for
    from tui.core.message import test_outgoing
    from tui.core.send import run_send

    async def send() -> SendFinished | None:
        finished = None
        async for event in run_send(settings, credential, test_outgoing(settings, to)):
            if isinstance(event, SendFinished):
                finished = event
        return finished

    finished = asyncio.run(send())
    if finished is None:  # the engines always end with SendFinished; this guards a bug
        raise RuntimeError("the test send ended without a result")
    if finished.ok:
        return TestResult("sent")
    failure = finished.failure
    assert failure is not None
    from tui.core.diagnose.handlers import diagnose
    from tui.core.diagnose.texts import Audience

    password = credential if isinstance(credential, str) else None
    diagnosis = diagnose(
        failure, settings, audience=Audience.CLI, password=password, config_path=config_path
    )
    words = say("diagnosis", title=diagnosis.title, cause=diagnosis.cause, fix=diagnosis.fix)
    return TestResult("failed", exit_code_for(failure.kind), failure.stage, failure.reply, words)
