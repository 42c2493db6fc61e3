"""`make compat`: replay every page with the newest releases of its packages (and the oldest
the project claims), against the committed cassettes, under strict nbval as `make test`.

For each version set it resolves and installs, with the project's own uv, a temporary
environment (the lock's set uses .venv itself), then runs pytest --nbval on every notebook
inside the loopback-only namespace (tools/offline), with the plugin tools/compat_nbval.py
recording each failed cell. It writes compat/report.json (format: tools/compat_report.py)
and compat/report.md, each replaced whole only once every set has run.

It needs the package registry, so it is not part of `make test`.

    .venv/bin/python tools/compat.py [--sets newest,oldest] [--out compat]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as metadata
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import compat_report  # noqa: E402

from notebook_replay import provenance  # noqa: E402
from notebook_replay.providers import provider_for  # noqa: E402

UV = REPO / ".tools" / "bin" / "uv"
LOCKED_PYTHON = REPO / ".venv" / "bin" / "python"
PROJECT = "notebook-replay"
# The pages' packages: those whose request bytes a cassette depends on (the provenance
# list, langchain-openai included: langchain-oci's ChatOCIGenAI builds on it).
TRACKED = provenance.PACKAGES
# The test harness stays at the lock's versions in every set: only the pages' stack moves.
# pytest-benchmark and pytest-asyncio are there because pyproject.toml's pytest options name
# them (--benchmark-disable, asyncio_mode), for the standard tests.
HARNESS = ("pytest", "pytest-xdist", "nbval", "pytest-benchmark", "pytest-asyncio")
TIMEOUT = 1800


class CompatError(RuntimeError):
    pass


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return canonical(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)[1])


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=TIMEOUT, **kwargs
    )


def uv(*args, **kwargs) -> subprocess.CompletedProcess:
    if not UV.exists():
        raise CompatError(f"{UV} is missing: run `make env` first (it bootstraps uv)")
    return run([UV, *args], **kwargs)


# --- What the project declares --------------------------------------------------------


def declared() -> list[str]:
    """The project's run-time requirements, as pyproject.toml states them."""
    return [r for r in metadata.requires(PROJECT) or [] if "extra ==" not in r]


def claims() -> str:
    tracked = [r for r in declared() if requirement_name(r) in TRACKED]
    pinned = [r for r in tracked if "==" in r]
    floors = [r for r in tracked if "==" not in r]
    return (
        f"pyproject.toml pins {', '.join(pinned) or 'nothing'} exactly and sets only lower "
        f"bounds for {', '.join(floors) or 'nothing'}; pydo, azure-core and langchain-openai "
        "come with the integrations. The oldest set installs each declared lower bound "
        "(uv's lowest-direct resolution); the lock is what the pages are recorded with."
    )


def installed(python: Path) -> dict[str, str]:
    """Versions of every distribution in the environment of `python`."""
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    found = run([python, "-c", code])
    if found.returncode:
        raise CompatError(f"cannot list the packages of {python}: {found.stderr[-500:]}")
    return {canonical(k): v for k, v in json.loads(found.stdout).items()}


def newest_releases(python_version: str) -> dict[str, str]:
    """The newest release of each tracked package, whatever anything else requires."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as names:
        names.write("\n".join(TRACKED) + "\n")
    try:
        found = uv(
            "pip", "compile", "--no-deps", "--no-header", "--no-annotate", "--quiet",
            "--python-version", python_version, names.name,
        )  # fmt: skip
    finally:
        os.unlink(names.name)
    if found.returncode:
        raise CompatError(
            "make compat needs the package registry, and asking it for the newest releases "
            f"failed:\n{found.stderr.strip()[-1500:]}"
        )
    pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", found.stdout, re.M))
    return {canonical(k): v for k, v in pins.items()}


def page_packages(page: str) -> list[str]:
    """The tracked packages a page's requests go through: langchain-core, vcrpy, the
    provider's SDKs and whatever tracked package those require."""
    todo = ["langchain-core", "vcrpy", *provider_for(page).sdks]
    found: list[str] = []
    while todo:
        name = canonical(todo.pop(0))
        if name in found or name not in TRACKED:
            continue
        found.append(name)
        try:
            todo += [requirement_name(r) for r in metadata.requires(name) or [] if "extra" not in r]
        except metadata.PackageNotFoundError:
            pass
    return [p for p in TRACKED if p in found]


# --- Version sets ---------------------------------------------------------------------


def requirements(kind: str, locked: dict[str, str]) -> tuple[list[str], list[str]]:
    """(requirements, extra uv arguments) of a version set other than the lock."""
    harness = [f"{name}=={locked[name]}" for name in HARNESS]
    if kind == "oldest":
        # The pages' packages at the bounds pyproject.toml declares; the rest as locked.
        reqs = []
        for r in declared():
            name = requirement_name(r)
            reqs.append(r if name in TRACKED else f"{name}=={locked[name]}")
        return reqs + harness, ["--resolution", "lowest-direct"]
    # newest: every tracked package asked for by name, with no bound of ours.
    others = [r for r in declared() if requirement_name(r) not in TRACKED]
    return others + list(TRACKED) + harness, []


def held_back(site: Path, versions: dict, releases: dict, python_version: str) -> dict:
    """Tracked packages installed below their newest release, and why: the installed
    distribution whose requirement excludes the release (`pinned_by`), or else uv's own
    explanation of why the release cannot be installed (say, a dependency of it that the
    registry does not have)."""
    from packaging.requirements import Requirement

    held = {}
    for package in TRACKED:
        release, got = releases.get(package), versions.get(package)
        if not release or not got or release == got:
            continue
        pinned_by = []
        for dist in metadata.distributions(path=[str(site)]):
            for text in dist.requires or []:
                req = Requirement(text)
                if canonical(req.name) != package:
                    continue
                if req.marker and not req.marker.evaluate({"extra": ""}):
                    continue
                if req.specifier and not req.specifier.contains(release, prereleases=True):
                    name = f"{dist.metadata['Name']} {dist.version}"
                    pinned_by.append(f"{name} requires {package}{req.specifier}")
        why = "; ".join(sorted(set(pinned_by))) or uv_explains(package, release, python_version)
        held[package] = {"newest_release": release, "why": why, "pinned": bool(pinned_by)}
    return held


def uv_explains(package: str, release: str, python_version: str) -> str:
    """uv's reason why `package==release` does not install on its own, in one line."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as wanted:
        wanted.write(f"{package}=={release}\n")
    try:
        tried = uv("pip", "compile", "--quiet", "--python-version", python_version, wanted.name)
    finally:
        os.unlink(wanted.name)
    if tried.returncode == 0:
        return "it installs on its own; the resolver preferred an older release with the others"
    cause = re.search(r"cause: (.*?)(?:\n\s*\n|$)", tried.stderr, re.S)
    text = " ".join((cause[1] if cause else tried.stderr).split())
    return f"uv: {text[:400]}"


def build_environment(name: str, folder: Path, locked: dict, releases: dict, base: dict | None):
    """Create and fill a temporary environment; return (python, set description)."""
    reqs, extra = requirements("oldest" if name == "oldest" else "newest", locked)
    how = {
        "oldest": "each page package at the lowest version pyproject.toml allows "
        "(exact pins stay), everything else as locked",
        "newest": "the newest releases that install together, as a reader's "
        "`pip install` of the integrations gets them today",
        "newest-released": "every page package at its newest release, overriding the upper "
        "bounds other packages declare (what the next resolvable set will hold)",
    }[name]
    if name == "newest-released":
        # Only what another package's upper bound holds back can be forced; a release that
        # cannot install at all (see its `why`) stays out.
        held = {p: h for p, h in ((base or {}).get("held_back") or {}).items() if h["pinned"]}
        if not held:
            return None, {
                "how": how,
                "status": "skipped",
                "problem": "no release is held back by a pin",
            }
        overrides = folder / "overrides.txt"
        overrides.write_text("".join(f"{p}=={h['newest_release']}\n" for p, h in held.items()))
        forced = ", ".join(f"{p} {h['newest_release']}" for p, h in held.items())
        how += f": {forced}"
        extra = ["--override", str(overrides)]
    (folder / "requirements.txt").write_text("\n".join(reqs) + "\n")
    venv = folder / "venv"
    made = uv("venv", "--quiet", "--python", sys.executable, venv)
    if made.returncode:
        raise CompatError(f"uv venv failed: {made.stderr.strip()[-1000:]}")
    python = venv / "bin" / "python"
    done = uv(
        "pip", "install", "--quiet", "--python", python, "-r", folder / "requirements.txt", *extra
    )
    if done.returncode:
        return None, {"how": how, "status": "unresolvable", "problem": done.stderr.strip()[-1500:]}
    return python, {"how": how, "status": "ran", "problem": None}


# --- Replaying ------------------------------------------------------------------------


def notebooks() -> dict[str, list[Path]]:
    pages: dict[str, list[Path]] = {}
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        pages.setdefault(path.name.split(".")[0], []).append(path)
    return pages


def replay(python: Path, paths: list[Path], results: Path) -> subprocess.CompletedProcess:
    """pytest --nbval on the notebooks, with pyproject.toml's options as `make test` has them,
    in the loopback-only namespace."""
    results.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "COMPAT_RESULTS": str(results),
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tools")]),
    }
    env.pop("NOTEBOOK_MODE", None)
    env.pop("NOTEBOOK_CASSETTES", None)
    command = [REPO / "tools" / "offline", python, "-m", "pytest", "-p", "compat_nbval"]
    parallel = ["-n", "auto", "--dist", "loadscope"]  # as `make test` runs (PYTEST_PARALLEL)
    return run([*command, *parallel, "--color=no", "-q", *paths], cwd=REPO, env=env)


def records_in(results: Path) -> list[dict]:
    return [
        json.loads(line)
        for file in sorted(results.glob("*.jsonl"))
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def page_results(pages: dict, records: list[dict], finished) -> dict:
    out = {}
    for page, paths in pages.items():
        names = {p.name for p in paths}
        result = compat_report.page_result([r for r in records if r["notebook"] in names])
        if result["result"] == "not-run" and finished.returncode not in (0, 1):
            result = {
                "result": "failed",
                "cells": [
                    {
                        "notebook": paths[0].name,
                        "cell": None,
                        "id": None,
                        "kind": "exception",
                        "field": None,
                        "detail": compat_report._cut(
                            f"pytest exited {finished.returncode}: "
                            + (finished.stdout + finished.stderr).strip()[-500:]
                        ),
                    }
                ],
            }
        out[page] = result
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="locked,oldest,newest,newest-released")
    parser.add_argument("--out", type=Path, default=REPO / "compat")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(wanted) - set(compat_report.SET_NAMES)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}; choose from {compat_report.SET_NAMES}")
    if "locked" not in wanted:
        wanted.insert(0, "locked")  # the table's first column, and the baseline

    python_version = ".".join(platform.python_version_tuple()[:2])
    releases = newest_releases(python_version)
    locked = installed(LOCKED_PYTHON)
    pages = notebooks()
    report = {
        "format": compat_report.FORMAT,
        "tested_on": dt.date.today().isoformat(),
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "claims": claims(),
        "packages": list(TRACKED),
        "newest_releases": {p: releases[p] for p in TRACKED if p in releases},
        "sets": [],
        "pages": {
            page: {
                "notebooks": [p.name for p in paths],
                "packages": page_packages(page),
                "results": {},
            }
            for page, paths in pages.items()
        },
    }
    all_paths = [p for paths in pages.values() for p in paths]
    by_name: dict[str, dict] = {}
    order = [s for s in compat_report.SET_NAMES if s in wanted]
    with tempfile.TemporaryDirectory(prefix="compat-") as scratch:
        for name in order:
            folder = Path(scratch) / name
            folder.mkdir()
            print(f"compat: {name}: preparing the environment", flush=True)
            if name == "locked":
                python, info = (
                    LOCKED_PYTHON,
                    {
                        "how": "uv.lock, as `make test` runs (.venv)",
                        "status": "ran",
                        "problem": None,
                    },
                )
            else:
                python, info = build_environment(
                    name, folder, locked, releases, by_name.get("newest")
                )
            entry = {"name": name, "title": compat_report._TITLES["en"][name], **info}
            entry["versions"] = {}
            entry["held_back"] = {}
            if python is not None:
                versions = installed(python)
                entry["versions"] = {p: versions[p] for p in TRACKED if p in versions}
                site = next((python.parent.parent / "lib").glob("python*/site-packages"))
                entry["held_back"] = held_back(site, entry["versions"], releases, python_version)
                print(f"compat: {name}: replaying {len(all_paths)} notebooks", flush=True)
                finished = replay(python, all_paths, folder / "results")
                results = page_results(pages, records_in(folder / "results"), finished)
                for page, result in results.items():
                    report["pages"][page]["results"][name] = result
                    print(f"compat: {name}: {page}: {result['result']}", flush=True)
            else:
                print(f"compat: {name}: {info['status']}: {info['problem'][:300]}", flush=True)
            by_name[name] = entry
            report["sets"].append(entry)
        # Written before the temporary environments go (removing them takes a while).
        compat_report.validate(report)
        write(args.out, report)
        print(f"compat: wrote {args.out / 'report.json'} and report.md", flush=True)
    return 0


def write(folder: Path, report: dict) -> None:
    """Both files, each replaced whole (never a half-written report where a good one stood)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n"),
        ("report.md", compat_report.markdown(report)),
    ):
        partial = folder / f".{name}.partial"
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, folder / name)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CompatError as error:
        print(f"compat: {error}", file=sys.stderr)
        sys.exit(2)
