"""Discovery's first layers: the address as typed, and the catalogue."""

from __future__ import annotations

import pytest

from tests.core.discover.discovering import (
    ADDRESS,
    Run,
)
from tests.dns_server import DnsServer
from tui.core.discover.engine import (
    AddressError,
    discover,
    split_address,
)

# ---------------------------------------------------------------------------------------
# The address


@pytest.mark.parametrize(
    "text", ["", "jane", "@example.com", "jane@", "jane@localhost", "ja ne@example.com", "a@-.com"]
)
def test_a_text_that_is_not_an_address_is_refused_before_any_lookup(text: str) -> None:
    with pytest.raises(AddressError, match="not an email address"):
        discover(text)


def test_split_address_gives_the_ascii_domain() -> None:
    assert split_address("  Jane@Bücher.Example ") == ("Jane", "xn--bcher-kva.example")


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="probe_timeout"):
        discover(ADDRESS, probe_timeout=0)


# ---------------------------------------------------------------------------------------
# Layer 1: the catalogue


async def test_a_catalogue_domain_is_answered_without_any_network() -> None:
    async with DnsServer({}) as dns_server:
        events = [
            e
            async for e in discover(
                "someone@GMail.com", resolver=dns_server.resolver(), addresses={}
            )
        ]
        assert dns_server.queries == []
    result = Run(events)
    assert result.layers == ["catalogue"]
    assert result.ended["catalogue"].found
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == ("smtp.gmail.com", 465, "tls")
    assert suggestion.provider_id == "gmail"
    assert suggestion.source == "catalogue"
    assert suggestion.why == "gmail.com is served by Gmail."
    assert suggestion.username_hint == "someone@GMail.com"
    assert not suggestion.needs_confirmation
