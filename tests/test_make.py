"""The Makefile as a reader meets it: `make` and `make help` list every target, and
`make lab` serves the notebooks in JupyterLab, in replay mode, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAKEFILE = REPO / "Makefile"


def make(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def declared_targets() -> list[str]:
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE.read_text(), re.M)
    assert phony, "the Makefile declares no .PHONY targets"
    return phony.group(1).split()


def test_make_help_lists_every_target_with_what_it_does():
    listed = make("help")
    assert listed.returncode == 0, listed.stderr
    described = dict(
        re.findall(r"^\s+([a-z-]+)\s{2,}(\S.*)$", listed.stdout, re.M),
    )
    missing = [target for target in declared_targets() if not described.get(target)]
    assert not missing, f"targets without a line in `make help`: {missing}"


def test_a_bare_make_prints_the_help_and_starts_nothing():
    bare = make(timeout=20)
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout == make("help").stdout
    assert "mkdocs" not in bare.stdout + bare.stderr  # no server, no build


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return 0, b""


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in found.read_text().split()] if found.exists() else []


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_make_lab_serves_a_notebook_in_replay_mode_on_loopback():
    port = free_port()
    lab = subprocess.Popen(
        ["make", "--no-print-directory", "-s", "lab", f"LAB_PORT={port}", "LAB_OPEN=False"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, stopped as one below
        env={k: v for k, v in os.environ.items() if k != "NOTEBOOK_MODE"},
    )
    deadline = time.monotonic() + 90
    printed: list[str] = []
    try:
        watch = selectors.DefaultSelector()
        watch.register(lab.stdout, selectors.EVENT_READ)
        url = None
        while url is None and time.monotonic() < deadline and lab.poll() is None:
            if watch.select(timeout=1):
                line = lab.stdout.readline()
                printed.append(line)
                found = re.search(r"http://\S+", line)
                url = found.group(0) if found else None
        assert url, "make lab printed no URL:\n" + "".join(printed)
        assert url.startswith(f"http://127.0.0.1:{port}/lab?token="), url
        assert "replay mode" in printed[-1], printed[-1]
        token = url.split("token=", 1)[1]

        base = f"http://127.0.0.1:{port}"
        status = 0
        while status != 200 and time.monotonic() < deadline and lab.poll() is None:
            time.sleep(0.5)
            status, body = get(f"{base}/api/contents/gradient.ipynb?token={token}")
        assert status == 200, f"the notebook was not served (HTTP {status})"
        notebook = json.loads(body)["content"]
        assert any('start("gradient")' in cell["source"] for cell in notebook["cells"])
        status, page = get(f"{base}/lab/tree/gradient.ipynb?token={token}")
        assert status == 200 and b"JupyterLab" in page
        assert get(f"{base}/api/contents/gradient.ipynb")[0] == 403, "no token, no notebook"

        servers = children(lab.pid)
        assert servers, "make started no server process"
        assert environment_of(servers[0]).get("NOTEBOOK_MODE") == "replay"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait(timeout=5)
        lab.stdout.close()


@pytest.mark.parametrize("target", ["record-emulated", "record", "outputs"])
def test_a_page_name_never_reaches_a_shell(tmp_path, target):
    """PAGE travels through the environment: a value with shell syntax in it is only an
    unknown page name, refused before anything is recorded."""
    planted = tmp_path / "ran"
    refused = make(target, f"PAGE=x; touch {planted}", timeout=60)
    assert refused.returncode != 0
    assert "No notebook for x;" in refused.stderr
    assert not planted.exists()


def test_a_scaffolded_page_name_never_reaches_a_shell(tmp_path):
    planted = tmp_path / "ran"
    refused = make("page", f"NAME=x; touch {planted}", "SERVICE=oci", timeout=60)
    assert refused.returncode != 0 and "use lower case letters" in refused.stderr
    assert not planted.exists()
