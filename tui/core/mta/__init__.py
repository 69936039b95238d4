"""The server's own mail: mailwiz as this machine's sendmail (cron, mail(1), PHP, git).

Protocol apart from storage, one job per module:
- `options`  the sendmail command line, parsed getopt-style as real callers write it;
- `local`    local names (root, www-data, x@localhost) resolved through [local] aliases;
- `rewrite`  the message as read from the caller -> the message as sent (envelope,
             From rewritten, Bcc removed, local names qualified, Date/Message-ID added);
- `spool`    the durable queue on disk: safe writes, per-message locks, the drop folder;
- `submit`   THE submit use case (the sendmail entry's public face): drop folder, queue
             or --no-queue, then delivery in a detached background process;
- `ingest`   a prepared message into the queue, and the drop folder's files taken in;
- `system`   the settings and password a run uses; `errors` its MtaError (sysexits);
- `texts`    every sentence the system mail says (texts.toml beside it);
- `runner`   delivery through tui.core.send, the retry schedule, flushes;
- `places`   where the settings and the spool are (user, system, $MAILWIZ_SPOOL);
- `install`  the system set-up of `mailwiz install-mta`, as a plan of steps and blockers;
- `trust`    whether root may run or copy a path (root-owned to /, no user's links);
- `syslog`   every message's events and the runner's trouble, to the system log;
- `notice`   the one notice of a permanent failure; failed/ expiry;
- `listing`  what is in the queue, for mailq and mailwiz queue;
- `admin`    an admin's --delete, --hold, --requeue by id.
No module here prints: tui/commands/ renders what they return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.faces import lazy_face

# The package's public face: what the front ends (wizard, commands) use of it. Names load on
# first use (PEP 562), so importing the package costs nothing and the sendmail entry and the
# first screen load only the modules they touch. Inside the core, modules import each other
# directly.
if TYPE_CHECKING:  # the same names as _WHERE below, for the type checker
    from tui.core.locations import spool_path as spool_path
    from tui.core.mta.admin import Action as Action
    from tui.core.mta.admin import AdminRefused as AdminRefused
    from tui.core.mta.admin import administer as administer
    from tui.core.mta.errors import MtaError as MtaError
    from tui.core.mta.install import Plan as Plan
    from tui.core.mta.install import copy_named as copy_named
    from tui.core.mta.install import install_plan as install_plan
    from tui.core.mta.install import uninstall_plan as uninstall_plan
    from tui.core.mta.listing import Listing as Listing
    from tui.core.mta.listing import Status as Status
    from tui.core.mta.listing import Unreadable as Unreadable
    from tui.core.mta.listing import read_listing as read_listing
    from tui.core.mta.options import Invocation as Invocation
    from tui.core.mta.options import OptionsError as OptionsError
    from tui.core.mta.options import parse as parse
    from tui.core.mta.places import SYSTEM_SETTINGS as SYSTEM_SETTINGS
    from tui.core.mta.places import is_system_spool as is_system_spool
    from tui.core.mta.places import settings_path as settings_path
    from tui.core.mta.runner import FlushResult as FlushResult
    from tui.core.mta.runner import flush as flush
    from tui.core.mta.spool import Spool as Spool
    from tui.core.mta.spool import SpoolError as SpoolError
    from tui.core.mta.submit import submit_message as submit_message
    from tui.core.mta.syslog import trouble as trouble
    from tui.core.mta.system import load_system as load_system
    from tui.core.mta.texts import commands as commands
    from tui.core.mta.texts import say as say
    from tui.core.mta.trust import read_user_files as read_user_files

_WHERE: dict[str, str] = {
    "Action": "tui.core.mta.admin",
    "AdminRefused": "tui.core.mta.admin",
    "FlushResult": "tui.core.mta.runner",
    "Invocation": "tui.core.mta.options",
    "Listing": "tui.core.mta.listing",
    "MtaError": "tui.core.mta.errors",
    "OptionsError": "tui.core.mta.options",
    "Plan": "tui.core.mta.install",
    "SYSTEM_SETTINGS": "tui.core.mta.places",
    "Spool": "tui.core.mta.spool",
    "SpoolError": "tui.core.mta.spool",
    "Status": "tui.core.mta.listing",
    "Unreadable": "tui.core.mta.listing",
    "administer": "tui.core.mta.admin",
    "commands": "tui.core.mta.texts",
    "copy_named": "tui.core.mta.install",
    "flush": "tui.core.mta.runner",
    "install_plan": "tui.core.mta.install",
    "is_system_spool": "tui.core.mta.places",
    "load_system": "tui.core.mta.system",
    "parse": "tui.core.mta.options",
    "read_listing": "tui.core.mta.listing",
    "read_user_files": "tui.core.mta.trust",
    "say": "tui.core.mta.texts",
    "settings_path": "tui.core.mta.places",
    "spool_path": "tui.core.locations",
    "submit_message": "tui.core.mta.submit",
    "trouble": "tui.core.mta.syslog",
    "uninstall_plan": "tui.core.mta.install",
}


__getattr__, __dir__ = lazy_face(__name__, _WHERE)
