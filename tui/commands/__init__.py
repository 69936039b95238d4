"""Subcommands with modules of their own; tui/cli.py only registers and dispatches them."""
