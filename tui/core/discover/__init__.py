"""Discovery: from an email address to SMTP settings (catalogue, MX, SRV, autoconfig, probe)."""
