"""A second, diagnostic connection: the certificate that failed verification, fetched again
WITHOUT verification only to describe it. Only the handshake is done; nothing is sent over
it. Capped by CERT_PROBE_SECONDS and by the send's deadline; never raises.
"""

from __future__ import annotations

import asyncio
import contextlib

from tui.core.events import CertificateInfo
from tui.core.tls import certificate_info, unverified_context
from tui.core.transports.http.session import HttpSession

#: The longest wait for the certificate details after a verification failure.
CERT_PROBE_SECONDS = 5.0


async def probe_certificate(s: HttpSession, reason: str) -> CertificateInfo:
    """The certificate's details with `reason`; just the reason when it cannot be fetched."""
    budget = s.deadline.cap(CERT_PROBE_SECONDS, margin=0.1)
    if budget <= 0.05:
        return CertificateInfo(reason=reason)
    writer = None
    try:
        async with asyncio.timeout(budget):
            _, writer = await asyncio.open_connection(
                s.host, s.port, ssl=unverified_context(), server_hostname=s.host
            )
            sslobj = writer.get_extra_info("ssl_object")
            der = sslobj.getpeercert(binary_form=True) if sslobj else None
    except (OSError, TimeoutError, ValueError):
        der = None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1):
                    await writer.wait_closed()
    return certificate_info(der, reason) if der else CertificateInfo(reason=reason)
