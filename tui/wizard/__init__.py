"""The wizard's jobs beside its screen flow (tui/app.py), one module each:

- `draft`: what the user has typed so far, the stored password read at the start and which
  secret a save passes on;
- `keys`: the keys of the screen in front, in a dialog (`?` / F1);
- `quitting`: one question before quitting, and the wizard's exit code;
- `practice`: the practice run (its server's entry in the list, what it says);
- `start`: reading the settings file and the terminal's colours before the app starts.

They sit between the app and the screens: the app imports them, they import screens,
dialogs and the core, never the app. Their sentences are in `texts.toml` here.
"""
