"""The settings (TOML, version 1), split by job: the model (`model`, a docstring per field),
validation (`validation`), reading the file (`reading`) and saving it (`saving`). Every path
is named in `tui.core.locations`. Import from here: `from tui.core.settings import Settings`.
The password is never part of the settings file (README.md, "The settings file").
"""

from __future__ import annotations

from tui.core.addresses import (
    address_note as address_note,
)
from tui.core.addresses import (
    address_problem as address_problem,
)
from tui.core.addresses import (
    header_problem as header_problem,
)
from tui.core.addresses import (
    looks_like_address as looks_like_address,
)
from tui.core.hosts import (
    normalize_host as normalize_host,
)
from tui.core.hosts import (
    parse_port as parse_port,
)
from tui.core.hosts import (
    url_problem as url_problem,
)
from tui.core.locations import (
    CONFIG_ENV as CONFIG_ENV,
)
from tui.core.locations import (
    command_for as command_for,
)
from tui.core.locations import (
    default_config_path as default_config_path,
)
from tui.core.locations import (
    resolve_config_path as resolve_config_path,
)
from tui.core.settings.model import (
    MAX_TIMEOUT as MAX_TIMEOUT,
)
from tui.core.settings.model import (
    SETTINGS_VERSION as SETTINGS_VERSION,
)
from tui.core.settings.model import (
    USUAL_SECURITY_FOR_PORT as USUAL_SECURITY_FOR_PORT,
)
from tui.core.settings.model import (
    HttpApi as HttpApi,
)
from tui.core.settings.model import (
    HttpSettings as HttpSettings,
)
from tui.core.settings.model import (
    LocalSettings as LocalSettings,
)
from tui.core.settings.model import (
    OAuthGrant as OAuthGrant,
)
from tui.core.settings.model import (
    OAuthProvider as OAuthProvider,
)
from tui.core.settings.model import (
    OAuthSettings as OAuthSettings,
)
from tui.core.settings.model import (
    PasswordSettings as PasswordSettings,
)
from tui.core.settings.model import (
    PasswordStore as PasswordStore,
)
from tui.core.settings.model import (
    Protocol as Protocol,
)
from tui.core.settings.model import (
    Security as Security,
)
from tui.core.settings.model import (
    SenderSettings as SenderSettings,
)
from tui.core.settings.model import (
    Settings as Settings,
)
from tui.core.settings.model import (
    SettingsBusy as SettingsBusy,
)
from tui.core.settings.model import (
    SettingsError as SettingsError,
)
from tui.core.settings.model import (
    SettingsFileError as SettingsFileError,
)
from tui.core.settings.model import (
    SettingsMissing as SettingsMissing,
)
from tui.core.settings.model import (
    SmtpAuth as SmtpAuth,
)
from tui.core.settings.model import (
    SmtpSettings as SmtpSettings,
)
from tui.core.settings.model import (
    uses_relay as uses_relay,
)
from tui.core.settings.reading import (
    Loaded as Loaded,
)
from tui.core.settings.reading import (
    load_settings as load_settings,
)
from tui.core.settings.reading import (
    parse_settings as parse_settings,
)
from tui.core.settings.reading import (
    permission_warning as permission_warning,
)
from tui.core.settings.saving import (
    LOCK_WAIT as LOCK_WAIT,
)
from tui.core.settings.saving import (
    read_current as read_current,
)
from tui.core.settings.saving import (
    restore_settings as restore_settings,
)
from tui.core.settings.saving import (
    save_settings as save_settings,
)
from tui.core.settings.saving import (
    settings_lock as settings_lock,
)
from tui.core.settings.saving import (
    settings_target as settings_target,
)
from tui.core.settings.saving import (
    to_toml as to_toml,
)
from tui.core.settings.saving import (
    write_settings as write_settings,
)
from tui.core.settings.validation import (
    Problem as Problem,
)
from tui.core.settings.validation import (
    certificate_checks_required_by as certificate_checks_required_by,
)
from tui.core.settings.validation import (
    cleaned as cleaned,
)
from tui.core.settings.validation import (
    errors as errors,
)
from tui.core.settings.validation import (
    goes_to_big_provider as goes_to_big_provider,
)
from tui.core.settings.validation import (
    http_api_problems as http_api_problems,
)
from tui.core.settings.validation import (
    local_problems as local_problems,
)
from tui.core.settings.validation import (
    oauth_problems as oauth_problems,
)
from tui.core.settings.validation import (
    timeout_ok as timeout_ok,
)
from tui.core.settings.validation import (
    validate as validate,
)
