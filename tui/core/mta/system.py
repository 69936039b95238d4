"""The settings, password and spool a run of the system mail uses (the sendmail entry, the
queue runner)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.exits import SysExit
from tui.core.mta.errors import MtaError
from tui.core.mta.local import Resolver, local_domains, system_aliases
from tui.core.mta.spool import Spool
from tui.core.settings import Settings, SettingsError, errors, load_settings

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource


class System:
    """The settings and spool a sendmail run uses. (A plain class: the submit path compiles
    no dataclass.)"""

    def __init__(
        self,
        settings: Settings,
        config_path: Path,
        spool: Spool,
        password: str | TokenSource | None = None,  # an OAuth sign-in's token source
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        self.spool = spool
        self.password = password

    def resolver(self) -> Resolver:
        return Resolver(self.settings.local, local_domains(), system_aliases())


def read_settings(config_path: Path) -> Settings:
    """The settings, valid; MtaError (78) saying why they cannot be used."""
    try:
        loaded = load_settings(config_path)
    except SettingsError as error:
        raise MtaError.of(SysExit.CONFIG, "settings-unusable", error=error) from None
    problems = errors(loaded.settings)
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        raise MtaError.of(
            SysExit.CONFIG,
            "settings-invalid",
            path=config_path,
            field=first.field,
            problem=first.message,
            more=more,
        )
    return loaded.settings


def load_password(settings: Settings, config_path: Path) -> str | TokenSource | None:
    """The credential, chosen as `mailwiz test` chooses it (tui.core.credentials.choose): for
    OAuth the token source that notes (and logs) refusals. It never raises: a sign-in that
    cannot be read fails the token stage with the reason, a missing password the auth stage,
    and the message stays queued."""
    from tui.core.credentials.choose import NoCredential, credential_for

    try:
        return credential_for(settings, config_path, unattended=True).secret
    except NoCredential:
        return None


def load_system(config_path: Path, spool: Spool, need_password: bool) -> System:
    """The settings (exit 78 when missing or invalid) and, when needed, the password."""
    settings = read_settings(config_path)
    password = load_password(settings, config_path) if need_password else None
    return System(settings, config_path, spool, password)
