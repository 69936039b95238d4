"""`mailwiz discover`: find the SMTP settings for an email address."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.commands.base import SubParsers, UsageError, emit, printable, say, stage_mark
from tui.core.exits import Exit


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "discover",
        parents=parents,
        help="find the SMTP settings for an email address",
        description="Look up the sending settings for an address, in this order, stopping at "
        "the first trustworthy answer: mailwiz's provider list, the domain's MX records, its "
        "SRV records, an autoconfig file over https, then a probe of smtp. and mail. on 465 "
        "and 587 (no credentials sent). Exit 0 with a proposal, 3 when nothing was found.",
    )
    parser.add_argument("address", metavar="ADDRESS", help="the email address to send from")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config_path: Path) -> int:
    """Exit 0 with a suggestion, 2 for an address that is not one, 3 when nothing was found."""
    import asyncio

    from tui.core.discover import AddressError, discover

    try:
        events = discover(args.address)
    except AddressError as error:
        raise UsageError(str(error)) from None
    return asyncio.run(render_discovery(events, args.json))


async def render_discovery(events: Any, json_mode: bool) -> int:
    from tui.core.discover import DiscoveryFinished, LayerEnded, LayerStarted, event_as_dict

    async for event in events:
        if json_mode:
            emit(event_as_dict(event))
        elif isinstance(event, LayerStarted):
            print(printable(event.description))
        elif isinstance(event, LayerEnded):
            print(f"  {stage_mark(event.found) if event.found else '-'} {printable(event.detail)}")
        if isinstance(event, DiscoveryFinished):
            if not json_mode:
                print_suggestion(event)
            return Exit.OK if event.suggestion else Exit.NOT_READY
    return Exit.NOT_READY


def print_suggestion(finished: Any) -> None:
    found = finished.suggestion
    failures = tuple(getattr(finished, "dns_failures", ()))
    if failures:
        print(say("discover.dns-failed"))
        for failure in failures:
            print(say("discover.dns-failure", failure=printable(failure)))
    if found is None:
        if failures:
            from tui.core.discover import DNS_CAVEAT

            print(say("discover.nothing-dns", caveat=DNS_CAVEAT, host=finished.fallback_host))
            return
        print(say("discover.nothing", host=finished.fallback_host))
        return
    security = say("discover.tls") if found.security == "tls" else say("discover.starttls")
    print(say("discover.proposed", host=printable(found.host), port=found.port, security=security))
    provider, username = printable(found.provider_id), printable(found.username_hint)
    print(say("discover.provider", provider=provider, username=username))
    print(say("discover.why", why=printable(found.why)))
    if found.needs_confirmation:
        print(say("discover.outside"))
