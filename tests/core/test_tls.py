"""The system's authorities, read on demand from a hashed folder (tui.core.tls.system_context).

A real layout is built in tmp_path like Debian's /etc/ssl/certs: PEM files, `openssl rehash`
links, and a bundle file; handshakes go to the real STARTTLS test server.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import ssl
import subprocess
from pathlib import Path

import pytest
import trustme

from tests.servers import Certs, SmtpServer
from tui.core.tls import hashed_folder_covering_bundle, system_context

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl command to hash a folder"
)


def layout(tmp_path: Path, hashed: list[bytes], bundled: list[bytes]) -> ssl.DefaultVerifyPaths:
    """A system trust store: `hashed` PEMs in a rehashed folder, `bundled` in the bundle."""
    folder = tmp_path / "certs"
    folder.mkdir()
    for number, pem in enumerate(hashed):
        (folder / f"ca-{number}.pem").write_bytes(pem)
    bundle = folder / "ca-certificates.crt"  # inside the folder, as Debian keeps it
    bundle.write_bytes(b"".join(bundled))
    # rehash skips a file of several certificates (the bundle), as on a real system
    subprocess.run(["openssl", "rehash", str(folder)], check=True, capture_output=True)
    return ssl.DefaultVerifyPaths(
        str(bundle), str(folder), "SSL_CERT_FILE", str(bundle), "SSL_CERT_DIR", str(folder)
    )


def pem(certs: Certs) -> bytes:
    return certs.ca_file.read_bytes()


def starttls_with(context: ssl.SSLContext, server: SmtpServer) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
        smtp.starttls(context=context)


@pytest.fixture(autouse=True)
def _no_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def test_a_folder_holding_the_whole_bundle_is_read_on_demand(
    tmp_path: Path, certs: Certs, starttls_server: SmtpServer
) -> None:
    other = trustme.CA().cert_pem.bytes()
    paths = layout(tmp_path, [pem(certs), other], [pem(certs), other])
    assert hashed_folder_covering_bundle(paths) == paths.capath
    context = system_context(paths)
    assert context.get_ca_certs() == []  # nothing parsed up front
    starttls_with(context, starttls_server)  # the test CA is found in the folder


def test_trust_really_comes_from_the_folder(
    tmp_path: Path, certs: Certs, starttls_server: SmtpServer
) -> None:
    # The other side of the test above: a folder without the test CA does not verify.
    other = trustme.CA().cert_pem.bytes()
    paths = layout(tmp_path, [other], [other])
    with pytest.raises(ssl.SSLCertVerificationError):
        starttls_with(system_context(paths), starttls_server)


def test_a_bundle_with_more_than_the_folder_is_loaded_whole(
    tmp_path: Path, certs: Certs, starttls_server: SmtpServer
) -> None:
    # A certificate added to the bundle by hand, never hashed: the folder is not enough.
    other = trustme.CA().cert_pem.bytes()
    paths = layout(tmp_path, [other], [other, pem(certs)])
    assert hashed_folder_covering_bundle(paths) is None


def test_a_bundle_outside_the_folder_is_loaded_whole(
    tmp_path: Path, certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SSL_CERT_FILE naming a bundle of one's own: Python's default, which reads it.
    paths = layout(tmp_path, [pem(certs)], [pem(certs)])
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
    monkeypatch.setenv("SSL_CERT_DIR", paths.capath)
    paths = paths._replace(cafile=str(certs.ca_file))  # as get_default_verify_paths() says
    assert hashed_folder_covering_bundle(paths) is None
    assert system_context(paths).get_ca_certs() != []


def test_a_bundle_edited_after_the_last_rehash_is_loaded_whole(
    tmp_path: Path, certs: Certs
) -> None:
    paths = layout(tmp_path, [pem(certs)], [pem(certs)])
    folder_time = Path(paths.capath).stat().st_mtime
    os.utime(paths.cafile, (folder_time + 60, folder_time + 60))
    assert hashed_folder_covering_bundle(paths) is None


def test_a_folder_without_hash_links_is_not_used(tmp_path: Path, certs: Certs) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "ca-certificates.crt").write_bytes(pem(certs))
    paths = ssl.DefaultVerifyPaths(
        str(folder / "ca-certificates.crt"), str(folder), "SSL_CERT_FILE", "", "SSL_CERT_DIR", ""
    )
    assert hashed_folder_covering_bundle(paths) is None
