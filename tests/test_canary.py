"""The live canary (tools/canary.py and .github/workflows/canary.yml): without credentials it
records nothing, says so and passes; with the emulator standing in for the services it runs
the path a scheduled run takes (record into a copy of cassettes/, summarise, never touch the
committed files); and the workflow wires secrets, artifacts and the issue together."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CANARY = REPO / "tools" / "canary.py"


def tree_digest(*folders: Path) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def canary(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    # As a scheduled run starts: no credentials, and none of the tests' NOTEBOOK_* settings
    # (conftest points NOTEBOOK_CASSETTES at a temporary folder).
    dropped = ("DIGITALOCEAN_INFERENCE_KEY", "OCI_COMPARTMENT_ID", "OCI_CONFIG_FILE")
    env = {
        k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("NOTEBOOK_")
    }
    env["HOME"] = str(tmp_path / "home")  # no ~/.oci/config
    return subprocess.run(
        [sys.executable, str(CANARY), "--out", str(tmp_path / "out"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_credentials_the_canary_records_nothing_says_so_and_passes(tmp_path):
    before = tree_digest(REPO / "cassettes", REPO / "notebooks")
    ran = canary(tmp_path)
    assert ran.returncode == 0, ran.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["recorded"] == [] and summary["failed"] == {}
    assert "No credentials for gradient (DIGITALOCEAN_INFERENCE_KEY) or oci" in summary["note"]
    assert "nothing was recorded live" in ran.stdout
    assert tree_digest(REPO / "cassettes", REPO / "notebooks") == before


def test_the_canary_records_into_its_own_folder_and_summarises(tmp_path):
    """--emulated: the emulator answers as the services would; the committed cassettes and
    notebooks stay byte-identical, the new cassette lands in OUT/cassettes."""
    before = tree_digest(REPO / "cassettes", REPO / "notebooks")
    ran = canary(tmp_path, "--emulated", "tutorial_extraction")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["recorded"] == ["tutorial_extraction"] and summary["failed"] == {}
    provenance = yaml.safe_load(
        (out / "cassettes" / "tutorial_extraction.provenance.yaml").read_text()
    )
    assert provenance["source"] == "emulated"
    assert "## Retired models" in (out / "summary.md").read_text()
    assert tree_digest(REPO / "cassettes", REPO / "notebooks") == before


def test_an_unknown_page_stops_the_canary_with_a_clear_message(tmp_path):
    ran = canary(tmp_path, "no_such_page")
    assert ran.returncode == 2 and "No notebook for no_such_page" in ran.stderr


def test_a_retired_model_in_a_recording_failure_is_named():
    sys.path.insert(0, str(REPO / "tools"))
    import canary as tool

    message = "cell 'x': ServiceError: {'message': 'Model xai.grok-4 1.0.0 is retired'}"
    assert tool.retired_in(message) == ["xai.grok-4"]
    gradient = "ResourceNotFoundError: The model `openai-o1` does not exist or you do not have"
    assert tool.retired_in(gradient) == ["openai-o1"]
    assert tool.retired_in("a timeout") == []


def workflow() -> dict:
    data = yaml.safe_load((REPO / ".github" / "workflows" / "canary.yml").read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_the_canary_workflow_runs_daily_with_the_secrets_and_keeps_one_issue():
    flow = workflow()
    assert flow["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]  # every day
    job = flow["jobs"]["canary"]
    text = (REPO / ".github" / "workflows" / "canary.yml").read_text()
    for secret in ("DIGITALOCEAN_INFERENCE_KEY", "OCI_COMPARTMENT_ID", "OCI_CONFIG", "OCI_KEY"):
        assert f"secrets.{secret}" in text
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "tools/canary.py --out .artifacts/canary" in runs
    upload = next(s for s in job["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == ".artifacts/canary/"
    script = next(s for s in job["steps"] if "github-script" in s.get("uses", ""))["with"]
    assert "issues.create" in script["script"] and "issues.update" in script["script"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}
