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
