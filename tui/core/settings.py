"""The settings model (TOML, version 1): typed values, validation, load and atomic save.

See DESIGN.md, "The settings file". The password is never part of this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SETTINGS_VERSION = 1

Protocol = Literal["smtp", "http"]
Security = Literal["tls", "starttls", "none"]
PasswordStore = Literal["keyring", "file", "none"]


@dataclass
class SmtpSettings:
    host: str = ""
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    verify_certificate: bool = True
    ca_file: str = ""
    timeout: float = 30


@dataclass
class HttpSettings:
    url: str = ""
    timeout: float = 30


@dataclass
class SenderSettings:
    address: str = ""
    name: str = ""
    reply_to: str = ""
    copy_to: str = ""


@dataclass
class PasswordSettings:
    store: PasswordStore = "keyring"


@dataclass
class Settings:
    protocol: Protocol = "smtp"
    provider: str = "custom"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    sender: SenderSettings = field(default_factory=SenderSettings)
    password: PasswordSettings = field(default_factory=PasswordSettings)

    @property
    def from_address(self) -> str:
        """The From address: the sender address, or the username when that is one."""
        return self.sender.address or (self.smtp.username if "@" in self.smtp.username else "")
