"""The staged SMTP send (`engine.send_smtp`), split by job: connection, reply, esmtp, auth,
preflight, network, dialogue, classify, probes, session. See engine.py for the overview."""
