"""The command line's subcommands, one module each: `add_parser()` registers it, `run()` does it.

The sendmail entry (tui/commands/sendmail.py) parses its own options: tui/cli.py hands it
`mailwiz sendmail ...`, `sendmail ...` and `mailq` before argparse runs."""
