"""The command line's subcommands, one module each: `add_parser()` registers it, `run()` does it."""
