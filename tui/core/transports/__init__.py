"""Transports: the ways a message leaves this machine, each a staged, timed, redacted send.

`stages` is what they share: the StageRecorder (begin/end/line/note/elapsed_ms, every event
cleaned by a tui.core.redact.Redactor), Stop, the whole-send Deadline and stream_events.
`smtp/` speaks SMTP (STARTTLS or implicit TLS, password or OAuth token); `http/` posts to the
original program's HTTP relay or to a provider's HTTP API (Postmark, Mailgun, SendGrid,
Resend). Every transport yields the events of `tui.core.events` and never imports the
diagnosis: it reports what happened, `tui.core.diagnose` explains it.
"""
