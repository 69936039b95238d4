"""Credentials: where secrets live (keyring, a 0600 file, or nowhere), how they are read back,
and which one a send uses.

This package's face: front ends (screens, commands) import from `tui.core.credentials` only,
never from its modules. The names load lazily, from the module that defines them, when first
used: a send whose secret is in MAILWIZ_PASSWORD never loads the keyring code, a password send
never loads the OAuth code. Inside the package, modules import each other directly.

- `choose`: `credential_for`, the one choice of what a send signs in with.
- `lookup`: which secret a configuration takes, and MAILWIZ_PASSWORD.
- `store`: the password (or API key) in the keyring or the password file.
- `oauth`, `oauth_flows`, `oauth_store`, `app_grants`, `health`, `tokens`: sign-ins.

Credentials never import a transport: a transport is handed what it needs to sign in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.core.credentials.app_grants import (
        app_scope as app_scope,
    )
    from tui.core.credentials.app_grants import (
        app_token_url as app_token_url,
    )
    from tui.core.credentials.choose import (
        Credential as Credential,
    )
    from tui.core.credentials.choose import (
        NoCredential as NoCredential,
    )
    from tui.core.credentials.choose import (
        credential_for as credential_for,
    )
    from tui.core.credentials.health import (
        MonitoredSource as MonitoredSource,
    )
    from tui.core.credentials.health import (
        keep_alive as keep_alive,
    )
    from tui.core.credentials.health import (
        note_send as note_send,
    )
    from tui.core.credentials.lookup import (
        PASSWORD_ENV as PASSWORD_ENV,
    )
    from tui.core.credentials.lookup import (
        PasswordLookup as PasswordLookup,
    )
    from tui.core.credentials.lookup import (
        may_store_secret as may_store_secret,
    )
    from tui.core.credentials.lookup import (
        password_needed as password_needed,
    )
    from tui.core.credentials.lookup import (
        relay_store_for_key as relay_store_for_key,
    )
    from tui.core.credentials.lookup import (
        secret_optional as secret_optional,
    )
    from tui.core.credentials.lookup import (
        secret_word as secret_word,
    )
    from tui.core.credentials.lookup import (
        uses_api_key as uses_api_key,
    )
    from tui.core.credentials.lookup import (
        uses_client_secret as uses_client_secret,
    )
    from tui.core.credentials.lookup import (
        uses_oauth_sign_in as uses_oauth_sign_in,
    )
    from tui.core.credentials.lookup import (
        uses_relay as uses_relay,
    )
    from tui.core.credentials.oauth import (
        Endpoints as Endpoints,
    )
    from tui.core.credentials.oauth import (
        NotSignedIn as NotSignedIn,
    )
    from tui.core.credentials.oauth import (
        TokenRecord as TokenRecord,
    )
    from tui.core.credentials.oauth import (
        endpoints_for as endpoints_for,
    )
    from tui.core.credentials.oauth import (
        provider_name as provider_name,
    )
    from tui.core.credentials.oauth import (
        token_source_for as token_source_for,
    )
    from tui.core.credentials.oauth import (
        uses_oauth as uses_oauth,
    )
    from tui.core.credentials.oauth import (
        with_username as with_username,
    )
    from tui.core.credentials.oauth_flows import (
        BROWSER_SIGN_IN_TIME as BROWSER_SIGN_IN_TIME,
    )
    from tui.core.credentials.oauth_flows import (
        BrowserSignIn as BrowserSignIn,
    )
    from tui.core.credentials.oauth_flows import (
        DeviceCode as DeviceCode,
    )
    from tui.core.credentials.oauth_flows import (
        LoopbackReceiver as LoopbackReceiver,
    )
    from tui.core.credentials.oauth_flows import (
        RedirectProblem as RedirectProblem,
    )
    from tui.core.credentials.oauth_flows import (
        code_from_redirect as code_from_redirect,
    )
    from tui.core.credentials.oauth_flows import (
        finish_browser_flow as finish_browser_flow,
    )
    from tui.core.credentials.oauth_flows import (
        poll_device_flow as poll_device_flow,
    )
    from tui.core.credentials.oauth_flows import (
        start_browser_flow as start_browser_flow,
    )
    from tui.core.credentials.oauth_flows import (
        start_device_flow as start_device_flow,
    )
    from tui.core.credentials.oauth_store import (
        TokenStoreError as TokenStoreError,
    )
    from tui.core.credentials.oauth_store import (
        delete_tokens as delete_tokens,
    )
    from tui.core.credentials.oauth_store import (
        describe_token_store as describe_token_store,
    )
    from tui.core.credentials.oauth_store import (
        load_tokens as load_tokens,
    )
    from tui.core.credentials.oauth_store import (
        save_tokens as save_tokens,
    )
    from tui.core.credentials.oauth_store import (
        token_file_path as token_file_path,
    )
    from tui.core.credentials.store import (
        KeyringStatus as KeyringStatus,
    )
    from tui.core.credentials.store import (
        PasswordStoreError as PasswordStoreError,
    )
    from tui.core.credentials.store import (
        check_keyring as check_keyring,
    )
    from tui.core.credentials.store import (
        delete_password as delete_password,
    )
    from tui.core.credentials.store import (
        describe_store as describe_store,
    )
    from tui.core.credentials.store import (
        keyring_account as keyring_account,
    )
    from tui.core.credentials.store import (
        load_password as load_password,
    )
    from tui.core.credentials.store import (
        password_file_path as password_file_path,
    )
    from tui.core.credentials.store import (
        save_password as save_password,
    )
    from tui.core.credentials.tokens import (
        TokenError as TokenError,
    )
    from tui.core.credentials.tokens import (
        TokenSource as TokenSource,
    )

# Each public name and the module that defines it.
_HOME = {
    "app_scope": "app_grants",
    "app_token_url": "app_grants",
    "Credential": "choose",
    "NoCredential": "choose",
    "credential_for": "choose",
    "MonitoredSource": "health",
    "keep_alive": "health",
    "note_send": "health",
    "PASSWORD_ENV": "lookup",
    "PasswordLookup": "lookup",
    "may_store_secret": "lookup",
    "password_needed": "lookup",
    "relay_store_for_key": "lookup",
    "secret_optional": "lookup",
    "secret_word": "lookup",
    "uses_api_key": "lookup",
    "uses_client_secret": "lookup",
    "uses_oauth_sign_in": "lookup",
    "uses_relay": "lookup",
    "Endpoints": "oauth",
    "NotSignedIn": "oauth",
    "TokenRecord": "oauth",
    "endpoints_for": "oauth",
    "provider_name": "oauth",
    "token_source_for": "oauth",
    "uses_oauth": "oauth",
    "with_username": "oauth",
    "BROWSER_SIGN_IN_TIME": "oauth_flows",
    "BrowserSignIn": "oauth_flows",
    "DeviceCode": "oauth_flows",
    "LoopbackReceiver": "oauth_flows",
    "RedirectProblem": "oauth_flows",
    "code_from_redirect": "oauth_flows",
    "finish_browser_flow": "oauth_flows",
    "poll_device_flow": "oauth_flows",
    "start_browser_flow": "oauth_flows",
    "start_device_flow": "oauth_flows",
    "TokenStoreError": "oauth_store",
    "delete_tokens": "oauth_store",
    "describe_token_store": "oauth_store",
    "load_tokens": "oauth_store",
    "save_tokens": "oauth_store",
    "token_file_path": "oauth_store",
    "KeyringStatus": "store",
    "PasswordStoreError": "store",
    "check_keyring": "store",
    "delete_password": "store",
    "describe_store": "store",
    "keyring_account": "store",
    "load_password": "store",
    "password_file_path": "store",
    "save_password": "store",
    "TokenError": "tokens",
    "TokenSource": "tokens",
}


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(_HOME)
