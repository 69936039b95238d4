"""Diagnosis: a failure the transports reported, turned into a plain-language cause and fix.

- `handlers.py`: `diagnose()`, `explain_token_error()`, `general_steps()`, and the two tables
  (Failure.reason -> handler, Failure.kind -> handler);
- `network.py`, `certificates.py`, `signin.py`, `envelope.py`, `web.py`: the small handlers;
- `context.py`: `Diagnosis` and what every handler reads (the failure, the settings, the
  provider, who reads it);
- `texts.toml` (+ `texts.py`, its reader): every sentence shown, the provider replies table
  and the token errors table; `guidance/*.md` (+ `guidance.py`): the pages shown before the
  fields, whose steps come from texts.toml too.

Imported only when a send failed: nothing here runs on success.
"""
