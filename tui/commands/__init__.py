"""Subcommands that are more than a few lines: each module holds one, `tui/cli.py` registers it."""
