"""diagnose(): the shape of every diagnosis, and the network's failures."""

from __future__ import annotations

import pytest

from tests.core.diagnose.diagnosing import (
    http_settings,
    smtp_settings,
    text,
)
from tui.core.diagnose.handlers import (
    diagnose,
    general_steps,
)
from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key

# --------------------------------------------------------------------------- shape


@pytest.mark.parametrize("kind", list(FailureKind))
@pytest.mark.parametrize("stage", ["resolve", "connect", "tls", "greeting", "auth", "data", ""])
@pytest.mark.parametrize("protocol", ["smtp", "http"])
def test_every_failure_gets_a_complete_diagnosis(
    kind: FailureKind, stage: str, protocol: str
) -> None:
    settings = smtp_settings() if protocol == "smtp" else http_settings()
    d = diagnose(Failure(kind=kind, stage=stage, detail="boom"), settings)
    assert d.title and d.cause and d.fix
    assert d.title.endswith(".")
    assert d.field == "" or isinstance(d.field, Key)
    assert text(d).isascii()


def test_general_steps_are_the_seeds_four() -> None:
    steps = general_steps(smtp_settings())
    assert len(steps) == 4
    joined = " ".join(steps).lower()
    for word in ("port", "app password", "firewall", "antivirus", "thunderbird"):
        assert word in joined


# --------------------------------------------------------------------------- network


def test_dns_shows_the_host_typed_and_the_providers_server() -> None:
    s = smtp_settings(provider="gmail", host="smtp.gmial.com", port=465, security="tls")
    d = diagnose(Failure(FailureKind.DNS, "resolve"), s)
    assert '"smtp.gmial.com"' in d.title
    assert "spelling" in d.fix
    assert "smtp.gmail.com" in d.fix
    assert d.field == "smtp.host"


def test_dns_points_out_a_scheme_typed_in_the_host_field() -> None:
    d = diagnose(Failure(FailureKind.DNS, "resolve"), smtp_settings(host="smtp://mail.x.org"))
    assert "without a scheme" in d.fix


def test_dns_for_the_relay_points_at_the_url() -> None:
    d = diagnose(Failure(FailureKind.DNS, "resolve"), http_settings("https://rleay.example/x"))
    assert "rleay.example" in d.title
    assert d.field == "http.url"


def test_refused_names_the_port_and_the_providers_usual_ports() -> None:
    s = smtp_settings(provider="gmail", host="smtp.gmail.com", port=2525, security="starttls")
    d = diagnose(Failure(FailureKind.REFUSED, "connect", detail="[Errno 111] refused"), s)
    assert "2525" in d.title
    assert "465" in d.fix and "587" in d.fix
    assert d.field == "smtp.port"


def test_refused_without_provider_suggests_465_and_587() -> None:
    d = diagnose(Failure(FailureKind.REFUSED, "connect"), smtp_settings(port=26))
    assert "465" in d.fix and "587" in d.fix
    assert "nothing accepts connections" in d.cause


def test_network_unreachable_is_told_apart() -> None:
    f = Failure(
        FailureKind.REFUSED,
        "connect",
        detail="[Errno 101] Network is unreachable",
        reason=Reason.NETWORK_UNREACHABLE,
    )
    d = diagnose(f, smtp_settings())
    assert "cannot reach" in d.title
    refused = diagnose(
        Failure(FailureKind.REFUSED, "connect", detail="unreachable"), smtp_settings()
    )
    assert "cannot reach" not in refused.title  # the words alone decide nothing


def test_no_route_is_a_reason_and_a_refusal_is_not() -> None:
    import errno

    from tui.core.transports.stages import unreachable_reason

    assert unreachable_reason(OSError(errno.ENETUNREACH, "Network is unreachable")) == (
        Reason.NETWORK_UNREACHABLE
    )
    assert unreachable_reason(OSError(errno.EHOSTUNREACH, "No route to host")) == (
        Reason.NETWORK_UNREACHABLE
    )
    assert unreachable_reason(ConnectionRefusedError(errno.ECONNREFUSED, "refused")) is None


def test_timeout_on_port_25_blames_blocked_outbound_smtp() -> None:
    s = smtp_settings(port=25, security="starttls")
    s.smtp.timeout = 20
    d = diagnose(Failure(FailureKind.TIMEOUT, "connect"), s)
    assert "20 seconds" in d.title
    assert "587" in d.fix and "465" in d.fix
    assert "block" in d.fix and "firewall" in d.fix.lower()
    assert "timeout" in d.fix.lower()
    assert d.field == "smtp.port"


def test_timeout_waiting_for_greeting_on_465_means_tls_is_expected() -> None:
    s = smtp_settings(port=465, security="starttls")
    d = diagnose(Failure(FailureKind.TIMEOUT, "greeting"), s)
    assert "465" in d.title and "TLS" in d.title
    assert "Set Encryption to TLS" in d.fix
    assert d.field == "smtp.security"


def test_timeout_late_in_the_send_does_not_claim_it_was_not_sent() -> None:
    d = diagnose(Failure(FailureKind.TIMEOUT, "data"), smtp_settings())
    assert "not known whether" in d.cause
    assert "data" in d.title
    # The fix names the timeout, which the form keeps under "Advanced": it says so, and its
    # field is the timeout, so "Edit settings" opens the fold on it.
    assert "Timeout (under Advanced)" in d.fix
    assert d.field == "smtp.timeout"


def test_tls_spoken_to_a_starttls_port() -> None:
    f = Failure(FailureKind.TLS, "tls", detail="[SSL: WRONG_VERSION_NUMBER] wrong version number")
    d = diagnose(f, smtp_settings(port=587, security="tls"))
    assert "STARTTLS" in d.fix and "465" in d.fix
    assert d.field == "smtp.security"


def test_plain_text_spoken_to_an_implicit_tls_port() -> None:
    f = Failure(FailureKind.TLS, "greeting", detail="Connection lost")
    d = diagnose(f, smtp_settings(port=465, security="starttls"))
    assert "Set Encryption to TLS" in d.fix and "587" in d.fix
    assert d.field == "smtp.security"
