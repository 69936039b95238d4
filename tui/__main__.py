"""`python -m tui` is the same as the `mailwiz` command."""

from tui.cli import main

raise SystemExit(main())
