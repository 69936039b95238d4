"""The one test certificate authority (trustme), and the TLS contexts built from it.

`ca` is a session fixture: every server certificate the tests make is issued by it, so one
`trusting(ca)` context (or its PEM file, `certs.ca_file`) trusts them all."""

from __future__ import annotations

import ssl

import pytest
import trustme


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="mailwiz test CA")


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    """A server's context with a certificate for `names`, issued by `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    """A client's context that trusts `ca` and checks host names."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context
