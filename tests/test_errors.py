"""Bad input gets a clear error that says what is wrong and what to do."""

from __future__ import annotations

import socket

import pytest

import notebook_replay
from conftest import cassette_path, gradient, in_mode
from notebook_replay import pages
from notebook_replay.errors import (
    CassetteCorruptError,
    CassetteMissingError,
    ConfigFileMissingError,
    MissingCredentialError,
    NetworkBlockedError,
    UnknownModeError,
    UnknownPageError,
)
from notebook_replay.providers import person_at_keyboard


def test_a_missing_cassette_says_how_to_record_it(monkeypatch):
    with pytest.raises(CassetteMissingError) as raised:
        in_mode(monkeypatch, "replay", "gradient")
    assert "gradient.yaml does not exist" in str(raised.value)
    assert "make record-emulated PAGE=gradient" in str(raised.value)


@pytest.mark.parametrize(
    "content, problem",
    [
        ("interactions: [\n  - {request: ", "while parsing"),
        ("- just\n- a list\n", ""),
        ("interactions:\n- request: {uri: 'https://x'}\n", ""),
        ("   \n", "the file is empty"),
    ],
    ids=["broken YAML", "not a cassette", "interaction without response", "empty file"],
)
def test_a_corrupt_cassette_says_which_file_and_how_to_restore_it(monkeypatch, content, problem):
    path = cassette_path("gradient")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(CassetteCorruptError) as raised:
        in_mode(monkeypatch, "replay", "gradient")
    message = str(raised.value)
    assert f"{path} cannot be read" in message and problem in message
    assert "git checkout --" in message and "make record-emulated PAGE=gradient" in message


@pytest.mark.parametrize(
    "page, variable",
    [("gradient", "DIGITALOCEAN_INFERENCE_KEY"), ("oci_generative_ai", "OCI_COMPARTMENT_ID")],
)
def test_live_mode_without_credentials_in_a_non_interactive_run_names_the_variable(
    monkeypatch, page, variable
):
    monkeypatch.setenv("CI", "true")
    assert not person_at_keyboard()
    with pytest.raises(MissingCredentialError, match=f"^{variable} is not set"):
        in_mode(monkeypatch, "live", page)


def test_live_oci_without_a_config_file_says_that_file_does_not_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("OCI_COMPARTMENT_ID", "ocid1.compartment.oc1..replay-placeholder")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.oci/config here
    with pytest.raises(ConfigFileMissingError) as raised:
        in_mode(monkeypatch, "live", "oci_generative_ai")
    message = str(raised.value)
    assert message.startswith(f"{tmp_path}/.oci/config does not exist.")
    assert "oci setup config" in message and "OCI_CONFIG_FILE" in message
    assert "type" not in message and "is not set" not in message


def test_live_oci_with_oci_config_file_naming_a_missing_file_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("OCI_COMPARTMENT_ID", "ocid1.compartment.oc1..replay-placeholder")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OCI_CONFIG_FILE", str(tmp_path / "nowhere" / "config"))
    with pytest.raises(ConfigFileMissingError) as raised:
        in_mode(monkeypatch, "live", "oci_generative_ai")
    assert str(raised.value).startswith(
        f"OCI_CONFIG_FILE names {tmp_path}/nowhere/config, which does not exist."
    )
    assert "is not set" not in str(raised.value)


def test_live_mode_reads_credentials_from_a_dotenv_file(monkeypatch, tmp_path, capsys):
    (tmp_path / ".env").write_text("DIGITALOCEAN_INFERENCE_KEY=from-the-dotenv-file\n")
    in_mode(monkeypatch, "live", "gradient")
    assert __import__("os").environ["DIGITALOCEAN_INFERENCE_KEY"] == "from-the-dotenv-file"
    assert capsys.readouterr().out.startswith("Live mode: calling DigitalOcean Gradient")


def test_an_unknown_mode_or_page_is_refused(monkeypatch):
    with pytest.raises(UnknownModeError, match="use one of: replay, live, record"):
        in_mode(monkeypatch, "replays", "gradient")
    monkeypatch.delenv("NOTEBOOK_MODE")
    with pytest.raises(UnknownPageError) as raised:
        notebook_replay.start("bedrock")
    assert "notebooks/bedrock.ipynb does not exist" in str(raised.value)
    assert f"Known pages: {', '.join(pages.pages())}." in str(raised.value)


def test_replay_blocks_any_connection_beyond_this_machine(monkeypatch, emulator):
    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("lighthouse")
    in_mode(monkeypatch, "replay", "gradient")

    with pytest.raises(NetworkBlockedError, match="never uses the network"):
        socket.getaddrinfo("inference.do-ai.run", 443)
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("api.smith.langchain.com", 443))
    host, port = address.split(":")
    socket.create_connection((host, int(port))).close()  # loopback stays open

    notebook_replay.stop()
    assert socket.getaddrinfo("localhost", 80)  # the guard is lifted with the cassette


def test_replay_blocks_name_lookups_udp_and_the_c_level_socket(monkeypatch, emulator):
    """Every way this process can resolve or reach an outside host is refused: the
    gethostby* lookups, a UDP datagram (a DNS query, say), and _socket.socket used
    directly. Loopback stays open for each."""
    import _socket

    _, address = emulator
    in_mode(monkeypatch, "record", "gradient", address)
    gradient().invoke("lighthouse")
    in_mode(monkeypatch, "replay", "gradient")

    for lookup in (socket.gethostbyname, socket.gethostbyname_ex, _socket.gethostbyname):
        with pytest.raises(NetworkBlockedError):
            lookup("inference.do-ai.run")
    with pytest.raises(NetworkBlockedError):
        socket.gethostbyaddr("192.0.2.1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with pytest.raises(NetworkBlockedError):
            udp.sendto(b"dns?", ("192.0.2.53", 53))
        with pytest.raises(NetworkBlockedError):
            udp.sendto(b"dns?", 0, ("192.0.2.53", 53))
        with pytest.raises(NetworkBlockedError):
            udp.sendmsg([b"dns?"], [], 0, ("192.0.2.53", 53))
        udp.sendto(b"to myself", ("127.0.0.1", 9))  # loopback stays open
    raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlockedError):
            raw.connect(("192.0.2.1", 443))
        with pytest.raises(NetworkBlockedError):
            raw.connect_ex(("192.0.2.1", 443))
    finally:
        raw.close()
    assert socket.gethostbyname("localhost") == "127.0.0.1"

    notebook_replay.stop()
    assert _socket.socket is socket.socket.__mro__[1]  # the C-level class is back
