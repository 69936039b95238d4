"""`mailwiz configure`: the settings without the wizard, for scripts, Ansible and containers.

The public face: front ends (the command, and through it the Ansible module) use only this.
- `inputs`: `--file`, `MAILWIZ_<SECTION>_<KEY>` and `--set` as typed overrides;
- `changes`: what changes, with secrets masked, and the diff;
- `secrets`: whether the secret is new, where it goes, and the write;
- `usecase`: `configure(Request) -> Outcome`, the order of it all.
"""

from tui.core.configure.inputs import PASSWORD_FILE_ENV as PASSWORD_FILE_ENV
from tui.core.configure.inputs import InputError as InputError
from tui.core.configure.inputs import Override as Override
from tui.core.configure.inputs import from_env as from_env
from tui.core.configure.inputs import from_file as from_file
from tui.core.configure.inputs import from_set as from_set
from tui.core.configure.inputs import read_value_file as read_value_file
from tui.core.configure.texts import say as say
from tui.core.configure.usecase import ConfigureInvalid as ConfigureInvalid
from tui.core.configure.usecase import Outcome as Outcome
from tui.core.configure.usecase import Request as Request
from tui.core.configure.usecase import configure as configure
