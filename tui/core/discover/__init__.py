"""Discovery: find the outgoing-mail settings of an email address, layer by layer
(catalogue, MX, SRV, autoconfig, probe); `engine.discover` is the entry point."""
