"""Every path mailwiz uses, named once (as Posting's locations.py does): the settings file and
the files beside it, the system-mail queue and its drop folder, the aliases, the practice
folders.

The settings: `--config`, else $MAILWIZ_CONFIG, else the platform's config folder. Beside
them: the password file, the token file, the lock and the backup.
The sendmail entry's settings: $MAILWIZ_CONFIG, else the system settings
/etc/mailwiz/settings.toml when they exist (even unreadable: then the caller's mail goes to
the drop folder), else the user's. Its queue: $MAILWIZ_SPOOL, else /var/spool/mailwiz when
`mailwiz install-mta` made it, else a folder in the user's state folder. Aliases:
$MAILWIZ_ALIASES, else /etc/aliases. Practice runs: temporary folders named
mailwiz-practice-* in the system's temporary folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_ENV = "MAILWIZ_CONFIG"
CONFIG_OPTION_ENV = "MAILWIZ_CONFIG_OPTION"  # the same path, when --config set CONFIG_ENV
PASSWORD_FILE_SUFFIX = ".password"  # settings.toml.password: a password or API key, 0600
TOKEN_FILE_SUFFIX = ".token"  # settings.toml.token: a sign-in, 0600
LOCK_SUFFIX = ".lock"  # settings.toml.lock: held by every writer of the settings
BACKUP_SUFFIX = ".bak"  # settings.toml.bak: the file before the last save

SYSTEM_SETTINGS = Path("/etc/mailwiz/settings.toml")
SYSTEM_SPOOL = Path("/var/spool/mailwiz")
SPOOL_ENV = "MAILWIZ_SPOOL"
DROP_FOLDER = "drop"  # in the spool: where users who may not read the settings leave mail
SYSTEM_ALIASES = Path("/etc/aliases")
ALIASES_ENV = "MAILWIZ_ALIASES"
PRACTICE_FOLDER_PREFIX = "mailwiz-practice-"


def beside(config_path: Path, suffix: str) -> Path:
    """A file beside the settings file: its name plus `suffix`."""
    return config_path.with_name(config_path.name + suffix)


def password_file_path(config_path: Path) -> Path:
    """The password file beside the settings file: ``settings.toml.password``."""
    return beside(config_path, PASSWORD_FILE_SUFFIX)


def token_file_path(config_path: Path) -> Path:
    """The token file beside the settings file: ``settings.toml.token``."""
    return beside(config_path, TOKEN_FILE_SUFFIX)


def default_config_path() -> Path:
    import platformdirs  # only when neither --config nor $MAILWIZ_CONFIG says where

    return Path(platformdirs.user_config_dir("mailwiz")) / "settings.toml"


def resolve_config_path(
    cli_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """--config, else $MAILWIZ_CONFIG, else the platform's config folder."""
    environ = os.environ if env is None else env
    if cli_path:
        return Path(cli_path).expanduser()
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    return default_config_path()


#: Subcommands that, without --config, use the sendmail entry's settings (mta_settings_path).
MTA_COMMANDS = frozenset({"queue", "sendmail"})


def command_for(
    config_path: Path | None, *args: str, sudo: bool = False, program: str = "mailwiz"
) -> str:
    """The ONE way to write a mailwiz command line to suggest: `mailwiz test` for the settings
    mailwiz finds by itself, `mailwiz --config PATH test` for any other (so the suggestion
    works as printed), quoted for a shell. With `sudo`, `--config` always: root's usual
    settings are not the user's. `args` are the subcommand and its options; `program` another
    mailwiz to run (a root-owned copy's path)."""
    import shlex

    words = ["sudo", program] if sudo else [program]
    if config_path is not None and (sudo or config_path != _usual_for(args)):
        path = str(config_path)
        # a relative path that starts with "-" would be read as an option: name it from "."
        words += ["--config", f"./{path}" if path.startswith("-") else path]
    return shlex.join([*words, *args])


def _usual_for(args: tuple[str, ...]) -> Path:
    """The settings a subcommand uses when it is given no --config (in the caller's own
    environment: not a $MAILWIZ_CONFIG that `sendmail --config` set for this run)."""
    environ = dict(os.environ)
    if environ.get(CONFIG_OPTION_ENV) and environ[CONFIG_OPTION_ENV] == environ.get(CONFIG_ENV):
        del environ[CONFIG_ENV]
    if args and args[0] in MTA_COMMANDS:
        return mta_settings_path(environ)
    return resolve_config_path(None, environ)


def config_from_option(path: str) -> None:
    """`sendmail --config PATH`: the path is $MAILWIZ_CONFIG for this run and the queue
    runner it starts, marked as given by the option (suggested commands keep it)."""
    os.environ[CONFIG_ENV] = path
    os.environ[CONFIG_OPTION_ENV] = path


def mta_settings_path(env: Mapping[str, str] | None = None) -> Path:
    """The settings the sendmail entry uses (see the module's docstring)."""
    environ = os.environ if env is None else env
    if environ.get(CONFIG_ENV):
        return resolve_config_path(None, environ)
    if os.path.lexists(SYSTEM_SETTINGS):
        return SYSTEM_SETTINGS
    return resolve_config_path(None, environ)


def spool_path(env: Mapping[str, str] | None = None) -> Path:
    """The system-mail queue (see the module's docstring)."""
    environ = os.environ if env is None else env
    if environ.get(SPOOL_ENV):
        return Path(environ[SPOOL_ENV]).expanduser()
    if SYSTEM_SPOOL.is_dir():
        return SYSTEM_SPOOL
    import platformdirs

    return Path(platformdirs.user_state_dir("mailwiz")) / "spool"


def aliases_path(env: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    return Path(environ[ALIASES_ENV]) if environ.get(ALIASES_ENV) else SYSTEM_ALIASES
