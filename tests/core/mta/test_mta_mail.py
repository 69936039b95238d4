"""One real mail(1) from Debian (s-nail, else mailutils) configured to call mailwiz as its
sendmail. .ci/run installs s-nail; without it the test says why it skips."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.mta_helpers import ADMIN, Mta, local_settings
from tests.servers import SENDER, SmtpServer

S_NAIL = shutil.which("s-nail")
MAILUTILS = shutil.which("mail.mailutils")


@pytest.mark.skipif(
    S_NAIL is None and MAILUTILS is None,
    reason="no Debian mail(1) here: apt-get install s-nail (or mailutils); .ci/run does",
)
def test_mail_1_sends_through_mailwiz(tmp_path: Path, plain_server: SmtpServer) -> None:
    mta = Mta(tmp_path, local_settings(plain_server.settings()))
    sendmail = str(mta.bin / "sendmail")
    env = {**mta.env, "HOME": str(tmp_path), "MAILRC": "/dev/null"}
    if S_NAIL is not None:
        # -:/ reads no resource file; sendwait: wait for sendmail and report its status.
        command = [S_NAIL, "-:/", "-S", f"mta={sendmail}", "-S", "sendwait", "-s", "disk 91%"]
    else:
        assert MAILUTILS is not None
        command = [MAILUTILS, "-E", f"set sendmail=sendmail:{sendmail}", "-s", "disk 91%"]
    done = subprocess.run(
        [*command, "root", "www-data"], input=b"/var is 91% full\n", env=env,
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    mta.settled()  # sendmail returned once queued; its delivery runs in the background
    [received] = plain_server.received
    assert received.mail_from == SENDER
    assert received.rcpt_tos == [ADMIN, "web@example.com"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == "disk 91%"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert "/var is 91% full" in message.get_content()
    assert mta.spool.ids() == []
