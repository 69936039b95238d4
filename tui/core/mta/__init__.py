"""The server's own mail: mailwiz as this machine's sendmail (cron, mail(1), PHP, git).

Protocol apart from storage, one job per module:
- `options`  the sendmail command line, parsed getopt-style as real callers write it;
- `local`    local names (root, www-data, x@localhost) resolved through [local] aliases;
- `rewrite`  the message as read from the caller -> the message as sent (envelope,
             From rewritten, Bcc removed, local names qualified, Date/Message-ID added);
- `spool`    the durable queue on disk: safe writes, per-message locks, the drop folder;
- `runner`   delivery through tui.core.send, the retry schedule, flushes;
- `places`   where the settings and the spool are (user, system, $MAILWIZ_SPOOL);
- `install`  the system set-up of `mailwiz install-mta`, as a list of steps.
No module here prints: tui/commands/ renders what they return.
"""
