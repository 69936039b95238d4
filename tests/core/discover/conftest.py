"""Fixtures of the discovery tests: the servers' certificates, and no real DNS ever."""

from __future__ import annotations

import pytest
import trustme

from tests.certificates import server_context, trusting
from tests.core.discover.discovering import NAMES, Certs
from tests.dns_server import refuse_real_dns


@pytest.fixture(scope="module")
def certs(ca: trustme.CA) -> Certs:
    return Certs(
        ca,
        trusting(ca),
        server_context(ca, *NAMES),
        server_context(ca, "elsewhere.example.org"),
    )


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_real_dns(monkeypatch)
