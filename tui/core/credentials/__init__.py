"""Credentials: where secrets live (keyring, a 0600 file, or nowhere), how a person signs in
with OAuth, and which credential a send uses. This is the package's public face: the front
ends (screens, commands, the sendmail entry) import from here, never from the modules.

- `store` (+ `keyring_calls`, `lookup`): the password or API key, and `MAILWIZ_PASSWORD`;
- `signin`: the sign-in use case (device code, browser with paste-back or loopback), with
  `oauth_flows` (the two flows), `oauth_endpoint` (talking to a sign-in server), `oauth`
  (the stored token and the token source a send uses) and `oauth_store` (where it is kept);
- `choose`: the credential a send signs in with (`sources`: the token source of a sign-in,
  a person's or an app's: `app_grants`; `health`: how a sign-in fares, unattended);
- `tokens`: what a transport needs (`TokenSource`, `TokenError`), light enough for the engine.

Credentials never import a transport: a transport is handed what it needs to sign in. Names
are loaded on first use, so importing `tui.core.credentials.tokens` (the SMTP engine does)
does not load the store, and `mailwiz --help` pays for nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.faces import lazy_face

if TYPE_CHECKING:  # the same names as _WHERE below, for the type checker
    from tui.core.credentials.app_grants import AppKey as AppKey
    from tui.core.credentials.app_grants import AppTokenSource as AppTokenSource
    from tui.core.credentials.app_grants import app_scope as app_scope
    from tui.core.credentials.app_grants import app_token_source as app_token_source
    from tui.core.credentials.app_grants import app_token_url as app_token_url
    from tui.core.credentials.app_grants import key_ends as key_ends
    from tui.core.credentials.app_grants import load_thumbprints as load_thumbprints
    from tui.core.credentials.app_grants import (
        service_account_client_id as service_account_client_id,
    )
    from tui.core.credentials.app_grants import uses_app_grant as uses_app_grant
    from tui.core.credentials.choose import Credential as Credential
    from tui.core.credentials.choose import NoCredential as NoCredential
    from tui.core.credentials.choose import credential_for as credential_for
    from tui.core.credentials.health import KEEP_ALIVE_AFTER as KEEP_ALIVE_AFTER
    from tui.core.credentials.health import Health as Health
    from tui.core.credentials.health import MonitoredSource as MonitoredSource
    from tui.core.credentials.health import keep_alive as keep_alive
    from tui.core.credentials.health import load_health as load_health
    from tui.core.credentials.health import monitored_source as monitored_source
    from tui.core.credentials.health import note_send as note_send
    from tui.core.credentials.health import refusal_words as refusal_words
    from tui.core.credentials.keyring_calls import PasswordStoreError as PasswordStoreError
    from tui.core.credentials.lookup import PASSWORD_ENV as PASSWORD_ENV
    from tui.core.credentials.lookup import PasswordLookup as PasswordLookup
    from tui.core.credentials.lookup import env_password_problem as env_password_problem
    from tui.core.credentials.lookup import may_store_secret as may_store_secret
    from tui.core.credentials.lookup import password_from_env as password_from_env
    from tui.core.credentials.lookup import password_needed as password_needed
    from tui.core.credentials.lookup import relay_store_for_key as relay_store_for_key
    from tui.core.credentials.lookup import secret_optional as secret_optional
    from tui.core.credentials.lookup import secret_word as secret_word
    from tui.core.credentials.lookup import uses_api_key as uses_api_key
    from tui.core.credentials.lookup import uses_client_secret as uses_client_secret
    from tui.core.credentials.lookup import uses_oauth_sign_in as uses_oauth_sign_in
    from tui.core.credentials.lookup import uses_relay as uses_relay
    from tui.core.credentials.oauth import CredentialMissing as CredentialMissing
    from tui.core.credentials.oauth import NotSignedIn as NotSignedIn
    from tui.core.credentials.oauth import StoredTokenSource as StoredTokenSource
    from tui.core.credentials.oauth import TokenRecord as TokenRecord
    from tui.core.credentials.oauth import record_from_response as record_from_response
    from tui.core.credentials.oauth import username_from_id_token as username_from_id_token
    from tui.core.credentials.oauth import with_username as with_username
    from tui.core.credentials.oauth_endpoint import MICROSOFT_SCOPE as MICROSOFT_SCOPE
    from tui.core.credentials.oauth_endpoint import Endpoints as Endpoints
    from tui.core.credentials.oauth_endpoint import endpoints_for as endpoints_for
    from tui.core.credentials.oauth_endpoint import provider_name as provider_name
    from tui.core.credentials.oauth_endpoint import secret_words as secret_words
    from tui.core.credentials.oauth_flows import BROWSER_SIGN_IN_TIME as BROWSER_SIGN_IN_TIME
    from tui.core.credentials.oauth_flows import BrowserSignIn as BrowserSignIn
    from tui.core.credentials.oauth_flows import DeviceCode as DeviceCode
    from tui.core.credentials.oauth_flows import LoopbackReceiver as LoopbackReceiver
    from tui.core.credentials.oauth_flows import RedirectProblem as RedirectProblem
    from tui.core.credentials.oauth_flows import code_from_redirect as code_from_redirect
    from tui.core.credentials.oauth_flows import finish_browser_flow as finish_browser_flow
    from tui.core.credentials.oauth_flows import poll_device_flow as poll_device_flow
    from tui.core.credentials.oauth_flows import shown_address as shown_address
    from tui.core.credentials.oauth_flows import shown_code as shown_code
    from tui.core.credentials.oauth_flows import start_browser_flow as start_browser_flow
    from tui.core.credentials.oauth_flows import start_device_flow as start_device_flow
    from tui.core.credentials.oauth_store import TokenStoreError as TokenStoreError
    from tui.core.credentials.oauth_store import TokenVault as TokenVault
    from tui.core.credentials.oauth_store import delete_tokens as delete_tokens
    from tui.core.credentials.oauth_store import describe_token_store as describe_token_store
    from tui.core.credentials.oauth_store import keyring_token_account as keyring_token_account
    from tui.core.credentials.oauth_store import load_tokens as load_tokens
    from tui.core.credentials.oauth_store import save_tokens as save_tokens
    from tui.core.credentials.oauth_store import token_file_path as token_file_path
    from tui.core.credentials.oauth_store import user_token_source as user_token_source
    from tui.core.credentials.signin import BrowserShown as BrowserShown
    from tui.core.credentials.signin import DeviceShown as DeviceShown
    from tui.core.credentials.signin import SignedIn as SignedIn
    from tui.core.credentials.signin import SignInStatus as SignInStatus
    from tui.core.credentials.signin import SignInView as SignInView
    from tui.core.credentials.signin import address_file_path as address_file_path
    from tui.core.credentials.signin import browser_possible as browser_possible
    from tui.core.credentials.signin import forget_address_file as forget_address_file
    from tui.core.credentials.signin import keep_problem as keep_problem
    from tui.core.credentials.signin import keep_sign_in as keep_sign_in
    from tui.core.credentials.signin import method_for as method_for
    from tui.core.credentials.signin import sign_in as sign_in
    from tui.core.credentials.signin import sign_in_status as sign_in_status
    from tui.core.credentials.signin import stored_sign_in as stored_sign_in
    from tui.core.credentials.signin import who_signs_in as who_signs_in
    from tui.core.credentials.signin import with_store as with_store
    from tui.core.credentials.signin import write_address_file as write_address_file
    from tui.core.credentials.sources import token_source_for as token_source_for
    from tui.core.credentials.store import SERVICE as SERVICE
    from tui.core.credentials.store import KeyringStatus as KeyringStatus
    from tui.core.credentials.store import check_keyring as check_keyring
    from tui.core.credentials.store import delete_password as delete_password
    from tui.core.credentials.store import describe_store as describe_store
    from tui.core.credentials.store import keyring_account as keyring_account
    from tui.core.credentials.store import load_password as load_password
    from tui.core.credentials.store import password_file_path as password_file_path
    from tui.core.credentials.store import save_password as save_password
    from tui.core.credentials.tokens import TokenError as TokenError
    from tui.core.credentials.tokens import TokenSource as TokenSource

_WHERE = {
    "app_grants": (
        "AppKey",
        "AppTokenSource",
        "app_scope",
        "app_token_source",
        "app_token_url",
        "key_ends",
        "load_thumbprints",
        "service_account_client_id",
        "uses_app_grant",
    ),
    "choose": (
        "Credential",
        "NoCredential",
        "credential_for",
    ),
    "health": (
        "Health",
        "KEEP_ALIVE_AFTER",
        "MonitoredSource",
        "keep_alive",
        "load_health",
        "monitored_source",
        "note_send",
        "refusal_words",
    ),
    "keyring_calls": ("PasswordStoreError",),
    "lookup": (
        "PASSWORD_ENV",
        "PasswordLookup",
        "env_password_problem",
        "may_store_secret",
        "password_from_env",
        "password_needed",
        "relay_store_for_key",
        "secret_optional",
        "secret_word",
        "uses_api_key",
        "uses_client_secret",
        "uses_oauth_sign_in",
        "uses_relay",
    ),
    "oauth": (
        "CredentialMissing",
        "NotSignedIn",
        "StoredTokenSource",
        "TokenRecord",
        "record_from_response",
        "username_from_id_token",
        "with_username",
    ),
    "oauth_endpoint": (
        "Endpoints",
        "MICROSOFT_SCOPE",
        "endpoints_for",
        "provider_name",
        "secret_words",
    ),
    "oauth_flows": (
        "BROWSER_SIGN_IN_TIME",
        "BrowserSignIn",
        "DeviceCode",
        "LoopbackReceiver",
        "RedirectProblem",
        "code_from_redirect",
        "finish_browser_flow",
        "poll_device_flow",
        "shown_address",
        "shown_code",
        "start_browser_flow",
        "start_device_flow",
    ),
    "oauth_store": (
        "TokenStoreError",
        "TokenVault",
        "delete_tokens",
        "describe_token_store",
        "keyring_token_account",
        "load_tokens",
        "save_tokens",
        "token_file_path",
        "user_token_source",
    ),
    "signin": (
        "BrowserShown",
        "DeviceShown",
        "SignInStatus",
        "SignInView",
        "SignedIn",
        "address_file_path",
        "browser_possible",
        "forget_address_file",
        "keep_problem",
        "keep_sign_in",
        "method_for",
        "sign_in",
        "sign_in_status",
        "stored_sign_in",
        "who_signs_in",
        "with_store",
        "write_address_file",
    ),
    "sources": ("token_source_for",),
    "store": (
        "KeyringStatus",
        "SERVICE",
        "check_keyring",
        "delete_password",
        "describe_store",
        "keyring_account",
        "load_password",
        "password_file_path",
        "save_password",
    ),
    "tokens": (
        "TokenError",
        "TokenSource",
    ),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


__getattr__, __dir__ = lazy_face(__name__, _MODULE_OF)
