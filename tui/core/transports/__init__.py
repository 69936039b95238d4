"""Transports: the ways a message leaves this machine, each a staged, timed, redacted send.

`smtp/` speaks SMTP (STARTTLS or implicit TLS); `relay` posts to the original program's
HTTP relay. Every transport yields the events of `tui.core.events` and never imports the
diagnosis: it reports what happened, `tui.core.diagnose.handlers` explains it.
"""
