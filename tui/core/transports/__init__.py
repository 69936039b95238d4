"""Transports: the ways a message leaves this machine, each a staged, timed, redacted send.

`smtp/` speaks SMTP (STARTTLS or implicit TLS); `http/` posts to the original program's
HTTP relay or to a provider's HTTP API (Postmark, Mailgun, SendGrid, Resend). Every transport
yields the events of `tui.core.events` and never imports the diagnosis: it reports what
happened, `tui.core.diagnose.handlers` explains it.
"""
