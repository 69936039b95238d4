"""TLS helpers shared by the transports: TLS contexts and reading certificates.

`certificate_info(der, reason)` describes a certificate (names, dates, issuer) with
`cryptography.x509`, also one fetched WITHOUT verification, where Python's getpeercert()
only gives bytes. `peer_certificate_info(cert)` gives the same from getpeercert()'s dict,
which exists only when verification succeeded: a successful send never loads cryptography
(~80 ms and ~9 MiB). Neither raises: what cannot be read is left empty. Text taken from the
certificate is escaped (tui.core.redact.printable): a server chooses it.

`system_context()` is the one way mailwiz trusts the system's authorities: where the system
keeps them hashed in a folder (Debian's /etc/ssl/certs) and that folder holds every
certificate of the bundle file, OpenSSL reads only the ones a handshake needs, instead of
parsing the whole bundle first (~140 certificates, ~40 ms on every send; cron jobs and the
sendmail entry send often). Otherwise (SSL_CERT_FILE naming another bundle, say) it is
Python's `ssl.create_default_context()`, which loads the bundle. Both trust the same set.
`client_context(ca_file, verify)` is the one way mailwiz makes a context to send with;
`unverified_context()` is ONLY for diagnostic side connections that send nothing.
cryptography is imported when a certificate is read, not when this module is.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.core.events import CertificateInfo
from tui.core.redact import printable

if TYPE_CHECKING:
    from cryptography import x509

_SHORT_NAMES = {  # dotted OID -> the short name shown
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
}


def certificate_info(der: bytes, reason: str = "") -> CertificateInfo:
    """Names (subjectAltName, else the subject CN), dates and issuer of a DER certificate."""
    try:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
    except (ValueError, TypeError):
        return CertificateInfo(reason=reason)
    return CertificateInfo(
        names=_names(cert),
        not_before=_when(cert, "not_valid_before_utc"),
        not_after=_when(cert, "not_valid_after_utc"),
        issuer=_issuer(cert),
        reason=reason,
    )


# getpeercert()'s attribute names -> the same short names (as _SHORT_NAMES, by OID there)
_PEERCERT_NAMES = {
    "commonName": "CN",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "domainComponent": "DC",
    "emailAddress": "emailAddress",
}
_WHEN = "%Y-%m-%d %H:%M:%S UTC"


def peer_certificate_info(cert: dict[str, Any] | None, reason: str = "") -> CertificateInfo:
    """As certificate_info, from the dict of a VERIFIED peer (SSLObject.getpeercert())."""
    if not cert:
        return CertificateInfo(reason=reason)
    alt = [(kind, value) for kind, value in cert.get("subjectAltName", ())]
    names = [printable(value) for kind, value in alt if kind == "DNS"]
    names += [_ip_text(value) for kind, value in alt if kind == "IP Address"]
    if not names:
        names = [
            printable(str(v)) for k, v in _attributes(cert.get("subject", ())) if k == "commonName"
        ]
    issuer = [
        f"{_PEERCERT_NAMES[key]}={printable(str(value))}"
        for key, value in _attributes(cert.get("issuer", ()))
        if key in _PEERCERT_NAMES
    ]
    return CertificateInfo(
        names=tuple(names),
        not_before=_peer_when(cert.get("notBefore")),
        not_after=_peer_when(cert.get("notAfter")),
        issuer=", ".join(issuer),
        reason=reason,
    )


def _attributes(rdns: Iterable[Iterable[tuple[str, object]]]) -> list[tuple[str, object]]:
    return [pair for rdn in rdns for pair in rdn]


def _ip_text(value: str) -> str:
    import ipaddress  # only certificates with IP names need it

    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return printable(value.strip())


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _peer_when(text: object) -> str:
    """getpeercert()'s "Dec  3 09:00:00 2027 GMT", read by hand: ssl.cert_time_to_seconds
    goes through time.strptime, whose first use costs ~10 ms."""
    try:
        month, day, clock, year, zone = str(text).split()
        hour, minute, second = (int(part) for part in clock.split(":"))
        moment = datetime(int(year), _MONTHS.index(month) + 1, int(day), hour, minute, second)
    except ValueError:
        return ""
    return moment.strftime(_WHEN) if zone == "GMT" else ""


def _when(cert: x509.Certificate, attribute: str) -> str:
    try:
        moment: datetime = getattr(cert, attribute)
    except ValueError:
        return ""
    return moment.strftime(_WHEN)


def _names(cert: x509.Certificate) -> tuple[str, ...]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    names: list[str] = []
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [printable(name) for name in alt.get_values_for_type(x509.DNSName)]
        names += [str(address) for address in alt.get_values_for_type(x509.IPAddress)]
    except (x509.ExtensionNotFound, ValueError):
        pass
    if not names:
        try:
            common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        except ValueError:
            common = []
        names = [printable(str(attribute.value)) for attribute in common]
    return tuple(names)


def _issuer(cert: x509.Certificate) -> str:
    try:
        attributes = list(cert.issuer)
    except ValueError:
        return ""
    parts = []
    for attribute in attributes:
        key = _SHORT_NAMES.get(attribute.oid.dotted_string, "")
        if key:
            value = attribute.value
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            parts.append(f"{key}={printable(text)}")
    return ", ".join(parts)


def system_context(paths: ssl.DefaultVerifyPaths | None = None) -> ssl.SSLContext:
    """A verifying context that trusts the system's authorities (see the module's text)."""
    paths = paths or ssl.get_default_verify_paths()
    folder = hashed_folder_covering_bundle(paths)
    if folder is None:
        return ssl.create_default_context()
    return ssl.create_default_context(capath=folder)


def hashed_folder_covering_bundle(paths: ssl.DefaultVerifyPaths) -> str | None:
    """The system's hashed certificate folder when reading it on demand trusts what loading
    the bundle would, else None (load the default). `paths` already follow SSL_CERT_FILE and
    SSL_CERT_DIR. The bundle must be the folder's own (inside it, as update-ca-certificates
    writes it), no newer than the folder (not edited by hand since the last rehash), and
    hold no more certificates than the folder has hash links (`1a2b3c4d.0`)."""
    if sys.platform == "win32" or not paths.capath:  # Windows reads its own store
        return None
    try:
        folder = os.stat(paths.capath)
        links = sum(1 for name in os.listdir(paths.capath) if _is_hash_link(name))
        if not paths.cafile:
            return paths.capath if links else None
        bundle = os.stat(paths.cafile)
        own = os.path.samefile(os.path.dirname(os.path.realpath(paths.cafile)), paths.capath)
        if not own or bundle.st_mtime > folder.st_mtime:
            return None
        return paths.capath if links and links >= _certificates_in(paths.cafile) else None
    except OSError:
        return None


def _is_hash_link(name: str) -> bool:
    stem, _, number = name.partition(".")
    hexdigits = "0123456789abcdef"
    return len(stem) == 8 and all(c in hexdigits for c in stem) and number.isdigit()


def _certificates_in(path: str) -> int:
    with open(path, "rb") as bundle:
        return bundle.read().count(b"-----BEGIN CERTIFICATE-----")


def client_context(ca_file: str = "", verify: bool = True) -> ssl.SSLContext:
    """The system's trusted CAs plus those of `ca_file` (create_default_context(cafile=...)
    would REPLACE the system ones); hostname checked unless `verify` is off.
    Raises OSError / ssl.SSLError / ValueError when ca_file cannot be read."""
    context = system_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def unverified_context() -> ssl.SSLContext:
    """For diagnostic side connections ONLY: they fetch a certificate or check whether a
    port speaks TLS, and send nothing inside the connection."""
    context = system_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


__all__ = [
    "certificate_info",
    "client_context",
    "peer_certificate_info",
    "system_context",
    "unverified_context",
]
