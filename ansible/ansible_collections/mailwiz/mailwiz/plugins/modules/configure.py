#!/usr/bin/python
# Copyright: mailwiz contributors
# MIT License (see the repository's pyproject.toml)
"""Ansible module: run `mailwiz configure` on the target and report what it did."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: configure
short_description: Set up outgoing mail with mailwiz, and prove it with a live test send
version_added: "0.1.0"
description:
  - Runs C(mailwiz configure) on the target. The settings are checked by the same rules as
    mailwiz's wizard; nothing is written when they are invalid.
  - Idempotent. The task is C(changed) only when a setting or the password changed; a second
    identical run changes nothing (the settings file is not even rewritten).
  - Supports check mode (says what would change, changes nothing and sends nothing) and diff
    mode (the settings file before and after, secrets masked).
  - With O(test_to), a live test message is sent with the new settings before anything is
    written. When it fails, the task fails with the diagnosis in plain words (what happened,
    what to do) and the host keeps its previous settings and password.
  - The password is never put on a command line; it goes to mailwiz on standard input.
options:
  settings:
    description:
      - The settings, by the settings file's dotted keys (V(smtp.host), V(smtp.port),
        V(smtp.security), V(smtp.username), V(sender.address), V(protocol), V(http.api), ...)
        mapped to their values. Keys left out keep their current value on the host.
      - C(local.aliases) takes a mapping of local names to addresses.
      - C(oauth.client_secret) is treated as a secret (never on a command line, never shown).
    type: dict
    default: {}
  password:
    description:
      - The password (or HTTP API key). Never logged. Left out, the one stored on the host
        is kept.
    type: str
  store:
    description:
      - Where mailwiz keeps the password on the host. V(file) is a 0600 file beside the
        settings (servers usually have no keyring); V(none) stores nothing (give
        C(MAILWIZ_PASSWORD) at each use). Left out, the host's current choice (on a new host
        V(keyring), or V(file) with O(system)).
    type: str
    choices: [keyring, file, none]
  test_to:
    description:
      - Send a live test message to this address with the new settings, before writing them.
    type: str
  keep_on_failure:
    description:
      - Write the new settings even when the test send fails (the task still fails).
    type: bool
    default: false
  config:
    description:
      - The settings file on the host. Default, the user's settings, or with O(system) the
        system settings C(/etc/mailwiz/settings.toml).
    type: path
  system:
    description:
      - Configure the system-wide settings that C(mailwiz install-mta) (the host's sendmail)
        uses. Needs root (C(become)).
    type: bool
    default: false
  executable:
    description:
      - The mailwiz command to run. Default, C(mailwiz) on the PATH, else
        C(/opt/mailwiz/bin/mailwiz) (where the C(mailwiz.mailwiz.mailwiz) role installs it),
        else beside the Python the module runs with.
    type: str
    default: mailwiz
attributes:
  check_mode:
    support: full
    description: Says what would change; writes nothing and sends nothing.
  diff_mode:
    support: full
    description: The settings file before and after; secrets masked.
notes:
  - A Microsoft or Google sign-in as a person (C(smtp.auth=oauth2)) cannot be done by a
    program; the task writes the settings and fails saying to run C(mailwiz login) on that
    host (mailwiz's exit code 4).
seealso:
  - name: mailwiz configure
    description: The command this module runs (C(mailwiz configure --help)).
    link: https://github.com/mailwiz/mailwiz#many-servers-mailwiz-configure
author:
  - mailwiz contributors
"""

EXAMPLES = r"""
- name: Send through the company's relay, proven by a test message
  mailwiz.mailwiz.configure:
    settings:
      smtp.host: smtp.example.com
      smtp.port: 587
      smtp.security: starttls
      smtp.username: alerts@example.com
      sender.address: alerts@example.com
    password: "{{ vault_mail_password }}"
    store: file
    test_to: ops@example.com

- name: The system's own mail (cron, mail, PHP), for mailwiz install-mta
  become: true
  mailwiz.mailwiz.configure:
    system: true
    settings:
      smtp.host: smtp.example.com
      sender.address: "{{ inventory_hostname }}@example.com"
      local.admin: ops@example.com
    password: "{{ vault_mail_password }}"
"""

RETURN = r"""
changed:
  description: Whether a setting or the password changed (in check mode, would change).
  returned: always
  type: bool
changes:
  description: Each changed key with its old and new value; secrets as C(********).
  returned: always
  type: list
  elements: dict
  sample:
    - {"key": "smtp.port", "old": 25, "new": 587}
    - {"key": "password", "old": null, "new": "********"}
diff:
  description: The settings file before and after (diff mode), secrets masked.
  returned: when diff mode is on
  type: dict
test:
  description:
    - The test send. C(result) is V(sent), V(failed) or V(skipped); C(exit) is mailwiz's exit
      code (0 sent, 16 authentication rejected, ...); C(diagnosis) says what happened and
      what to do.
  returned: always
  type: dict
  sample: {"result": "sent", "exit": 0}
secret:
  description: Where the password is kept on the host (never the password).
  returned: always
  type: dict
  sample:
    store: file
    where: the password file /root/.config/mailwiz/settings.toml.password (readable only by you)
    changed: false
path:
  description: The settings file on the host.
  returned: always
  type: str
"""

import json  # noqa: E402 (ansible-doc reads the blocks above; imports follow them)
import os  # noqa: E402
import sys  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

DEFAULT_INSTALL = "/opt/mailwiz/bin"
# Settings that are secrets although the settings file holds them: never on mailwiz's command
# line (another user could read it in ps), never in any output (as if they were no_log).
SECRET_SETTINGS = ("oauth.client_secret",)


def toml_value(value):
    """A --set value: booleans as true/false, mappings as a TOML inline table."""
    if value is None:  # `smtp.ca_file:` left empty in YAML
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(str(k))} = {json.dumps(str(v))}" for k, v in value.items())
        return "{ " + items + " }"
    return str(value)


def command_line(module, executable):
    params = module.params
    cmd = [executable, "configure", "--json", "--diff"]
    for key, value in sorted((params["settings"] or {}).items()):
        if key not in SECRET_SETTINGS:
            cmd += ["--set", f"{key}={toml_value(value)}"]
    if params["config"]:
        cmd += ["--config", params["config"]]
    if params["system"]:
        cmd.append("--system")
    if params["store"]:
        cmd += ["--store", params["store"]]
    if params["test_to"]:
        cmd += ["--test-to", params["test_to"]]
    if params["keep_on_failure"]:
        cmd.append("--keep-on-failure")
    if params["password"] is not None:
        cmd.append("--password-stdin")
    if module.check_mode:
        cmd.append("--check")
    return cmd


def find_executable(module):
    name = module.params["executable"]
    if os.path.isabs(name):
        if not os.access(name, os.X_OK):
            module.fail_json(msg=f"mailwiz was not found at {name} (executable).")
        return name
    # Beside the interpreter too: ansible_python_interpreter set to mailwiz's own venv.
    beside = os.path.dirname(sys.executable)
    dirs = [DEFAULT_INSTALL, beside, "/usr/local/bin"]
    return module.get_bin_path(name, required=True, opt_dirs=dirs)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type="dict", default={}),
            password=dict(type="str", no_log=True),
            store=dict(type="str", choices=["keyring", "file", "none"]),
            test_to=dict(type="str"),
            keep_on_failure=dict(type="bool", default=False),
            config=dict(type="path"),
            system=dict(type="bool", default=False),
            executable=dict(type="str", default="mailwiz"),
        ),
        supports_check_mode=True,
    )
    environ = {"NO_COLOR": "1"}
    for key in SECRET_SETTINGS:
        value = (module.params["settings"] or {}).get(key)
        if value is not None:
            module.no_log_values.add(str(value))
            # MAILWIZ_<SECTION>_<KEY>: configure reads the settings from the environment too.
            environ["MAILWIZ_" + key.replace(".", "_").upper()] = toml_value(value)
    cmd = command_line(module, find_executable(module))
    password = module.params["password"]
    rc, out, err = module.run_command(cmd, data=password, environ_update=environ, check_rc=False)
    try:
        record = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        module.fail_json(msg="mailwiz configure failed: %s" % (err.strip() or out.strip()), rc=rc)
    result = dict(
        changed=bool(record.get("changed")),
        changes=record.get("changes", []),
        test=record.get("test", {"result": "skipped", "exit": 0}),
        secret=record.get("secret", {}),
        path=record.get("path", ""),
        warnings_from_mailwiz=record.get("warnings", []),
        rc=rc,
    )
    if module._diff and "diff" in record:
        result["diff"] = dict(
            before=record["diff"]["before"],
            after=record["diff"]["after"],
            before_header=result["path"],
            after_header=result["path"],
        )
    for warning in record.get("warnings", []):
        module.warn(warning)
    if rc == 0:
        module.exit_json(**result)
    test = result["test"]
    if test.get("result") == "failed":
        msg = (
            f"The test send failed (mailwiz exit {test.get('exit')}): "
            f"{test.get('diagnosis', '')} {record.get('message', '')}"
        )
    else:
        msg = record.get("error") or record.get("message") or err.strip()
    module.fail_json(msg=msg.strip(), **result)


if __name__ == "__main__":
    main()
