"""Property tests (hypothesis) of the settings loader and the address and header checks:
no crash other than the documented errors, and nothing unsafe accepted or printed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.commands.base import emit, printable
from tui.core import addresses
from tui.core.settings import (
    Settings,
    SettingsFileError,
    parse_settings,
    timeout_ok,
    to_toml,
    validate,
)

PATH = Path("/nonexistent/settings.toml")
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = {
    "": ["version", "protocol", "provider"],
    "smtp": ["host", "port", "security", "username", "verify_certificate", "ca_file", "timeout"],
    "http": ["url", "timeout", "api", "domain"],
    "sender": ["address", "name", "reply_to", "copy_to"],
    "password": ["store"],
    "local": ["admin", "aliases"],
}
scalars = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["smtp", "http", "tls", "starttls", "none", "keyring", "file", "relay"]),
)
values = st.one_of(
    scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=8), scalars)
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """TOML documents close to a settings file: known and unknown keys, any value types."""
    data: dict[str, Any] = {}
    if draw(st.booleans()):
        data["version"] = draw(st.one_of(st.just(1), scalars))
    for key in draw(st.lists(st.sampled_from(KEYS[""] + ["bogus"]), max_size=3)):
        data[key] = draw(values)
    for table in draw(st.lists(st.sampled_from([*[*KEYS][1:], "oauth", "nope"]), max_size=4)):
        names = [*KEYS.get(table, ["x"]), "unknown"]
        data[table] = {name: draw(values) for name in draw(st.lists(st.sampled_from(names)))}
    return data


@SLOW
@given(st.text(max_size=400))
def test_any_text_parses_or_raises_the_documented_error(text: str) -> None:
    try:
        loaded = parse_settings(text, PATH)
    except SettingsFileError as error:
        assert str(error).startswith(str(PATH))
        return
    validate(loaded)


@SLOW
@given(documents())
def test_any_settings_like_document_parses_or_names_the_problem(data: dict[str, Any]) -> None:
    text = tomli_w.dumps(data)
    try:
        loaded = parse_settings(text, PATH)
    except SettingsFileError as error:
        assert "line" in str(error) or "version" in str(error) or error.key
        return
    problems = validate(loaded)  # never raises, whatever the values
    assert all(problem.field and problem.message for problem in problems)
    if not math.isnan(loaded.smtp.timeout) and not timeout_ok(loaded.smtp.timeout):
        assert loaded.protocol != "smtp" or any(p.field == "smtp.timeout" for p in problems)


@SLOW
@given(documents())
def test_a_file_mailwiz_wrote_reads_back_the_same(data: dict[str, Any]) -> None:
    try:
        loaded = parse_settings(tomli_w.dumps(data), PATH)
    except SettingsFileError:
        return
    again = parse_settings(to_toml(loaded), PATH)
    table = "smtp" if loaded.protocol == "smtp" else "http"
    assert vars(getattr(again, table)) == vars(getattr(loaded, table)) or math.isnan(
        getattr(loaded, table).timeout
    )
    assert again.sender == loaded.sender and again.password == loaded.password


UNSAFE = ("\r", "\n", "\x00", "\x1b", "\x85", "\u2028", "=?")


@SLOW
@given(st.text(max_size=80))
def test_a_header_value_accepted_holds_nothing_that_could_add_a_header(text: str) -> None:
    if addresses.header_problem(text) is None:
        assert not any(marker in text for marker in UNSAFE)


address_texts = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.text(max_size=20),
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(["localhost", "nas.local", "corp.internal", "example.test", "x.com"]),
        ),
    ),
)


@SLOW
@given(address_texts)
def test_address_problem_never_crashes_and_accepts_only_one_clean_address(text: str) -> None:
    problem = addresses.address_problem(text)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        clean = text.strip()
        assert "@" in clean and not any(marker in clean for marker in UNSAFE)
        assert "," not in clean and ";" not in clean and len(clean.split()) == 1
    note = addresses.address_note(text)
    assert note is None or "refuse" in note


ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
plain_addresses = st.builds(
    lambda local, labels: f"{local}@{'.'.join(labels)}",
    st.text(alphabet=ATEXT + ".", min_size=1, max_size=30),
    st.lists(st.text(alphabet="abz09-", min_size=1, max_size=12), min_size=1, max_size=4),
)


@SLOW
@given(plain_addresses)
def test_the_cheap_check_agrees_with_email_validator(text: str) -> None:
    # The pre-check skips email-validator only where the library would accept too.
    if addresses._is_plain(text):
        assert addresses._email_validator_problem(text) is None, text


@SLOW
@given(st.text(max_size=200))
def test_printable_never_lets_a_control_character_through(text: str) -> None:
    shown = printable(text).replace("\t", "")  # a tab moves the cursor, harmlessly
    assert shown.isprintable()
    assert printable(text, newlines=True).replace("\n", "").replace("\t", "").isprintable()


@SLOW
@given(st.text(max_size=100))
def test_json_lines_have_no_raw_terminal_controls(text: str) -> None:
    import io
    import json

    out = io.StringIO()
    emit({"reply": text}, out)
    line = out.getvalue()
    assert json.loads(line) == {"reply": text}
    assert not any(0x7F <= ord(ch) <= 0x9F or ord(ch) < 0x20 for ch in line.rstrip("\n"))


def test_settings_defaults_are_valid_toml() -> None:
    parse_settings(to_toml(Settings()), PATH)
