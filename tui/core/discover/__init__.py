"""Discovery: find the outgoing-mail settings of an email address, layer by layer
(catalogue, MX, SRV, autoconfig, probe); `engine.discover` is the entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.faces import lazy_face

# The package's public face: what the front ends (wizard, commands) use of it. Names load on
# first use (PEP 562), so importing the package costs nothing and the sendmail entry and the
# first screen load only the modules they touch. Inside the core, modules import each other
# directly.
if TYPE_CHECKING:  # the same names as _WHERE below, for the type checker
    from tui.core.discover.engine import LAYERS as LAYERS
    from tui.core.discover.engine import DiscoveryEvent as DiscoveryEvent
    from tui.core.discover.engine import discover as discover
    from tui.core.discover.model import DNS_CAVEAT as DNS_CAVEAT
    from tui.core.discover.model import AddressError as AddressError
    from tui.core.discover.model import DiscoveryFinished as DiscoveryFinished
    from tui.core.discover.model import LayerEnded as LayerEnded
    from tui.core.discover.model import LayerStarted as LayerStarted
    from tui.core.discover.model import Suggestion as Suggestion
    from tui.core.discover.model import event_as_dict as event_as_dict

_WHERE: dict[str, str] = {
    "AddressError": "tui.core.discover.model",
    "DNS_CAVEAT": "tui.core.discover.model",
    "DiscoveryEvent": "tui.core.discover.engine",
    "DiscoveryFinished": "tui.core.discover.model",
    "LAYERS": "tui.core.discover.engine",
    "LayerEnded": "tui.core.discover.model",
    "LayerStarted": "tui.core.discover.model",
    "Suggestion": "tui.core.discover.model",
    "discover": "tui.core.discover.engine",
    "event_as_dict": "tui.core.discover.model",
}


__getattr__, __dir__ = lazy_face(__name__, _WHERE)
