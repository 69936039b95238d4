"""The Ansible collection mailwiz.mailwiz (issue 26), run with ansible-playbook against this
machine (connection local), each host with its own settings root, against a real aiosmtpd
server with AUTH: a run that changes, a second that changes nothing, check mode that changes
nothing, a wrong password that fails with the diagnosis, no secret at -vvv, 20 hosts with forks;
and ansible-doc for the module."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.leaks import assert_no_leak
from tests.paths import REPO
from tests.servers import PASSWORD, USERNAME, SmtpServer, SmtpServerFactory
from tui.core.credentials.store import load_password, password_file_path
from tui.core.settings import load_settings

COLLECTIONS = REPO / "ansible"
BIN = Path(sys.executable).parent
WRONG = "wr0ng-Passw0rd-xyz"
CLIENT_SECRET = "GOCSPX-cl1ent-s3cret-987"

PLAYBOOK = """
- hosts: all
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: Outgoing mail, proven by a test send
      mailwiz.mailwiz.configure:
        executable: "{{ mailwiz_executable }}"
        config: "{{ settings_root }}/settings.toml"
        settings:
          smtp.host: 127.0.0.1
          smtp.port: "{{ smtp_port }}"
          smtp.security: starttls
          smtp.username: "{{ smtp_username }}"
          smtp.ca_file: "{{ ca_file }}"
          smtp.timeout: 20
          smtp.verify_certificate: true
          sender.name:
          local.aliases: {www-data: "web@example.com", backup: "b@example.org"}
          sender.address: "{{ inventory_hostname }}@example.com"
        password: "{{ mail_password }}"
        store: file
        test_to: "{{ test_to | default(omit) }}"
      register: mail
    - name: What the module returned
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }} test={{ mail.test.result }} changed={{ mail.changed }}"
"""


def ansible_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "ansible-home"
    home.mkdir(exist_ok=True)
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILWIZ_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_REMOTE_TEMP=str(home / "remote"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


class Fleet:
    """Hosts simulated on this machine: each its own settings root, all connection local."""

    def __init__(self, tmp_path: Path, server: SmtpServer, hosts: int = 1) -> None:
        self.tmp_path = tmp_path
        self.server = server
        self.names = [f"host{n:02d}" for n in range(hosts)]
        lines = ["[all]"]
        for name in self.names:
            lines.append(f"{name} settings_root={tmp_path / 'roots' / name}")
        lines += [
            "[all:vars]",
            "ansible_connection=local",
            f"ansible_python_interpreter={sys.executable}",
            f"mailwiz_executable={BIN / 'mailwiz'}",
            f"smtp_port={server.port}",
            f"smtp_username={USERNAME}",
            f"ca_file={server.ca_file}",
        ]
        (tmp_path / "inventory.ini").write_text("\n".join(lines) + "\n")
        (tmp_path / "playbook.yml").write_text(PLAYBOOK)
        self.password(PASSWORD)

    def password(self, secret: str) -> None:
        (self.tmp_path / "secrets.yml").write_text(f'mail_password: "{secret}"\n')

    def settings_path(self, name: str) -> Path:
        return self.tmp_path / "roots" / name / "settings.toml"

    def play(self, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
        env = ansible_env(self.tmp_path)
        if path is not None:
            env["PATH"] = path
        done = subprocess.run(
            [str(BIN / "ansible-playbook"), "-i", "inventory.ini", "playbook.yml", *args],
            cwd=self.tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        # never a secret in any output
        assert_no_leak(
            (PASSWORD, WRONG, CLIENT_SECRET), done.stdout, done.stderr, usernames=[USERNAME]
        )
        return done


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP's counts per host."""
    counts = {}
    for host, rest in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        counts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
    return counts


def test_a_run_changes_a_second_does_not_check_mode_changes_nothing(
    tmp_path: Path, starttls_server: SmtpServer
) -> None:
    fleet = Fleet(tmp_path, starttls_server)
    done = fleet.play("-vvv", "-e", "test_to=ops@example.net")
    assert done.returncode == 0, done.stdout + done.stderr
    assert recap(done.stdout)["host00"]["changed"] == 1
    assert "test=sent changed=True" in done.stdout
    assert len(starttls_server.received) == 1
    path = fleet.settings_path("host00")
    settings = load_settings(path).settings
    assert settings.sender.address == "host00@example.com"
    assert settings.local.aliases == {"www-data": "web@example.com", "backup": "b@example.org"}
    assert load_password(settings, path, env={}).password == PASSWORD
    assert os.stat(password_file_path(path)).st_mode & 0o777 == 0o600
    before = path.read_bytes()

    done = fleet.play("-vvv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert recap(done.stdout)["host00"]["changed"] == 0

    fleet.password(WRONG)  # a changed password in check + diff mode: reported, not written
    done = fleet.play("--check", "--diff", "-vvv", "-e", "test_to=ops@example.net")
    assert done.returncode == 0, done.stdout + done.stderr
    assert recap(done.stdout)["host00"]["changed"] == 1
    assert "********" in done.stdout
    assert path.read_bytes() == before
    assert load_password(settings, path, env={}).password == PASSWORD
    assert len(starttls_server.received) == 1  # check mode sends nothing


def test_a_wrong_password_fails_with_the_diagnosis_and_keeps_the_old_settings(
    tmp_path: Path, starttls_server: SmtpServer
) -> None:
    fleet = Fleet(tmp_path, starttls_server)
    assert fleet.play().returncode == 0
    path = fleet.settings_path("host00")
    before = path.read_bytes()
    fleet.password(WRONG)
    done = fleet.play("-vvv", "-e", "test_to=ops@example.net")
    assert done.returncode != 0
    assert recap(done.stdout)["host00"]["failed"] == 1
    assert "The test send failed (mailwiz exit 16)" in done.stdout
    assert "What to do" in done.stdout  # the diagnosis, in plain words
    assert path.read_bytes() == before
    settings = load_settings(path).settings
    assert load_password(settings, path, env={}).password == PASSWORD


def test_twenty_hosts_with_forks_each_get_their_own_correct_result(
    tmp_path: Path, smtp_server: SmtpServerFactory
) -> None:
    server = smtp_server("starttls")
    fleet = Fleet(tmp_path, server, hosts=20)
    wrong = fleet.names[-3:]  # three hosts whose password is wrong
    # Each host's password from its own file (a vault per host, say).
    # No executable and no mailwiz on the PATH: the module finds it beside its interpreter.
    playbook = (
        PLAYBOOK.replace("vars_files: [secrets.yml]", "vars_files: []")
        .replace('"{{ mail_password }}"', "\"{{ lookup('file', 'pw-' ~ inventory_hostname) }}\"")
        .replace('        executable: "{{ mailwiz_executable }}"\n', "")
    )
    assert "executable" not in playbook
    (tmp_path / "playbook.yml").write_text(playbook)
    for name in fleet.names:
        (tmp_path / f"pw-{name}").write_text(WRONG if name in wrong else PASSWORD)
    done = fleet.play("--forks", "10", "-e", "test_to=ops@example.net", path="/usr/bin:/bin")
    counts = recap(done.stdout)
    assert sorted(counts) == fleet.names, done.stdout
    for name in fleet.names:
        if name in wrong:
            assert counts[name]["failed"] == 1, name
            assert not fleet.settings_path(name).exists()
        else:
            assert counts[name]["failed"] == 0 and counts[name]["changed"] == 1, name
            assert f"{name} test=sent changed=True" in done.stdout
            settings = load_settings(fleet.settings_path(name)).settings
            assert settings.sender.address == f"{name}@example.com"
    senders = sorted(message.mail_from for message in server.received)
    assert senders == [f"{name}@example.com" for name in fleet.names if name not in wrong]


def test_ansible_doc_documents_the_module(tmp_path: Path) -> None:
    env = ansible_env(tmp_path)
    by_collection = subprocess.run(
        [str(BIN / "ansible-doc"), "mailwiz.mailwiz.configure"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    modules = COLLECTIONS / "ansible_collections/mailwiz/mailwiz/plugins/modules"
    by_path = subprocess.run(
        [str(BIN / "ansible-doc"), "-M", str(modules), "configure"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    for done in (by_collection, by_path):
        assert done.returncode == 0, done.stderr
        for option in ("settings", "password", "store", "test_to", "config", "system"):
            assert option in done.stdout
        assert "EXAMPLES" in done.stdout and "RETURN VALUES" in done.stdout
    role = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "role", "mailwiz.mailwiz.mailwiz"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert role.returncode == 0 and "mailwiz_sendmail" in role.stdout
    built = subprocess.run(  # galaxy.yml is valid: the collection builds
        [str(BIN / "ansible-galaxy"), "collection", "build", str(modules.parent.parent)],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "mailwiz-mailwiz-0.1.0.tar.gz").is_file()


ROLE_PLAYBOOK = """
- hosts: all
  gather_facts: false
  vars_files: [secrets.yml]
  roles:
    - role: mailwiz.mailwiz.mailwiz
      vars:
        mailwiz_prefix: "{{ prefix }}"
        mailwiz_source: "{{ source }}"
        mailwiz_python: "{{ base_python }}"
        mailwiz_pip_args: --no-compile
        mailwiz_root: "{{ system_root }}"
        mailwiz_config: "{{ system_root }}/etc/mailwiz/settings.toml"
        mailwiz_sendmail: true
        mailwiz_password: "{{ mail_password }}"
        mailwiz_test_to: ops@example.net
        mailwiz_settings:
          smtp.host: 127.0.0.1
          smtp.port: "{{ smtp_port }}"
          smtp.username: "{{ smtp_username }}"
          smtp.ca_file: "{{ ca_file }}"
          sender.address: "{{ inventory_hostname }}@example.com"
          local.admin: ops@example.net
"""


@pytest.fixture
def root_owned_folder() -> Iterator[Path]:
    """A folder whose every parent is root's and writable by nobody else (not under /tmp):
    install-mta refuses to make root run a mailwiz another user could change."""
    if os.geteuid() != 0:
        pytest.skip("the role installs a root-owned mailwiz: run as root")
    folder = Path(tempfile.mkdtemp(prefix="mailwiz-role-test-", dir="/root"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_role_installs_a_root_owned_mailwiz_configures_it_and_makes_it_the_sendmail(
    tmp_path: Path, starttls_server: SmtpServer, root_owned_folder: Path
) -> None:
    fleet = Fleet(tmp_path, starttls_server)
    prefix = root_owned_folder / "opt" / "mailwiz"
    system_root = tmp_path / "system"
    (tmp_path / "playbook.yml").write_text(ROLE_PLAYBOOK)
    extra = [
        "-e", f"prefix={prefix}", "-e", f"source={REPO}", "-e", f"system_root={system_root}",
        "-e", f"base_python={getattr(sys, '_base_executable', sys.executable)}",
    ]  # fmt: skip
    done = fleet.play("--check", "--diff", *extra)  # a new host in check mode: nothing done
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (prefix / "bin").exists() and not system_root.exists()
    done = fleet.play(*extra)
    assert done.returncode == 0, done.stdout + done.stderr
    mailwiz = prefix / "bin" / "mailwiz"
    assert mailwiz.is_file() and mailwiz.stat().st_uid == 0
    assert not mailwiz.stat().st_mode & 0o022
    settings_path = system_root / "etc/mailwiz/settings.toml"
    settings = load_settings(settings_path).settings
    assert settings.password.store == "file"  # the system settings: root's keyring is rare
    assert load_password(settings, settings_path, env={}).password == PASSWORD
    assert len(starttls_server.received) == 1  # the test send proved it
    sendmail = system_root / "usr/sbin/sendmail"
    assert sendmail.is_symlink() and Path(os.readlink(sendmail)) == mailwiz

    done = fleet.play("-vvv", *extra)  # the second run changes nothing (and shows no secret)
    assert done.returncode == 0, done.stdout + done.stderr
    assert recap(done.stdout)["host00"]["changed"] == 0


OAUTH_PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - mailwiz.mailwiz.configure:
        executable: "{{ mailwiz_executable }}"
        config: "{{ settings_root }}/settings.toml"
        store: file
        settings:
          provider: gmail
          smtp.host: smtp.gmail.com
          smtp.port: 465
          smtp.security: tls
          smtp.auth: oauth2
          smtp.username: me@example.com
          oauth.provider: google
          oauth.client_id: 123-abc.apps.googleusercontent.com
          oauth.client_secret: "%s"
          sender.address: me@example.com
"""


def test_a_persons_sign_in_fails_saying_to_run_login_and_its_client_secret_stays_hidden(
    tmp_path: Path, starttls_server: SmtpServer
) -> None:
    fleet = Fleet(tmp_path, starttls_server)
    (tmp_path / "playbook.yml").write_text(OAUTH_PLAYBOOK % CLIENT_SECRET)
    done = fleet.play("-vvv")  # Fleet.play: not the client secret either, in any form
    assert done.returncode != 0
    assert re.search(r"mailwiz --config \S+ login", done.stdout)
    settings = load_settings(fleet.settings_path("host00")).settings
    assert settings.oauth.client_secret == CLIENT_SECRET  # written, so login can use it


def test_the_example_playbook_is_valid(tmp_path: Path) -> None:
    examples = COLLECTIONS / "examples"
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "inventory.ini", "mail.yml", "--syntax-check"],
        cwd=examples, env=ansible_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
