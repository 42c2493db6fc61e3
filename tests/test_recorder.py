"""The page recorder (`make record-emulated`, `make outputs`, `make page`), run as a
maintainer runs it, in a copy of the repository: a page added with only `make page`
passes the suite's checks; a recording killed, failing mid-page or hitting a full disk
leaves the committed cassette and provenance byte-identical; outputs do not churn."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from test_cassette_files import tiny_filesystem

from notebook_replay.emulators import server
from notebook_replay.recording import new_page, record_pages

REPO = Path(__file__).resolve().parents[1]
# About 40 s of recordings and kernels: started before the short modules (conftest.py).
pytestmark = pytest.mark.starts_first
PAGE = "scratch"
PROMPT = new_page.prompt(PAGE)
# Cells the fixture adds to the scaffolded page: a stream printed chunk by chunk (the
# kernel splits such output differently run to run) and a message whose repr holds a run id.
EXTRA_CELLS = [
    (
        "stream",
        f"for chunk in llm.stream({PROMPT!r}):\n    print(chunk.content, end='|', flush=True)",
    ),
    ("message", f"llm.invoke({PROMPT!r})"),
]


def run(root: Path, *args: str, env: dict | None = None, **kwargs):
    """A command in the copy, importing the copy's helper (kernels inherit PYTHONPATH)."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("NOTEBOOK_", "KEEP_PARTIAL"))
    }
    environment.update(PYTHONPATH=str(root / "src"), **(env or {}))
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        **kwargs,
    )


def record(root: Path, env: dict | None = None):
    return run(root, "-m", "notebook_replay.recording.record_pages", "--emulated", PAGE, env=env)


def add_cells(root: Path, cells: list[tuple[str, str]], after: str = "invoke") -> None:
    """The same code cells in both twins, after the cell `after`."""
    for path in (root / "notebooks").glob(f"{PAGE}*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        at = next(i for i, c in enumerate(notebook.cells) if c.id == after) + 1
        for offset, (cell_id, source) in enumerate(cells):
            notebook.cells.insert(at + offset, nbformat.v4.new_code_cell(source, id=cell_id))
        nbformat.write(notebook, path)


def committed(root: Path, folder: Path | None = None) -> dict[str, bytes]:
    folder = folder or root / "cassettes"
    files = [folder / f"{PAGE}.yaml", folder / f"{PAGE}.provenance.yaml"]
    files += sorted((root / "notebooks").glob(f"{PAGE}*.ipynb"))
    return {f.name: f.read_bytes() for f in files}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A copy of the repository with a page added by `make page` only, then recorded."""
    root = tmp_path_factory.mktemp("repo")
    skip = shutil.ignore_patterns("__pycache__", ".recording", "*.pyc")
    for name in ("src", "notebooks", "cassettes", "tests"):
        shutil.copytree(REPO / name, root / name, ignore=skip, symlinks=True)
    for name in ("pyproject.toml", "mkdocs.yml", "conftest.py"):
        shutil.copy(REPO / name, root / name)
    before = {p.relative_to(root) for p in root.rglob("*") if p.is_file()}

    made = run(root, "-m", "notebook_replay.recording.new_page", PAGE, "gradient")
    assert made.returncode == 0, made.stderr
    add_cells(root, EXTRA_CELLS)
    recorded = record(root)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr

    after = {p.relative_to(root) for p in root.rglob("*") if p.is_file()}
    added = {str(p) for p in after - before if "__pycache__" not in p.parts}
    assert added == {
        f"notebooks/{PAGE}.ipynb",
        f"notebooks/{PAGE}.zh.ipynb",
        f"src/notebook_replay/emulators/replies/{PAGE}.yaml",
        f"cassettes/{PAGE}.yaml",
        f"cassettes/{PAGE}.provenance.yaml",
    }, "adding a page needed more than its notebooks, reply script and recording"
    return root


def test_a_page_added_with_make_page_passes_the_suites_checks_without_test_edits(repo):
    # The site's nav is derived from the notebooks: mkdocs.yml is not touched.
    assert (repo / "mkdocs.yml").read_text() == (REPO / "mkdocs.yml").read_text()
    provenance = (repo / "cassettes" / f"{PAGE}.provenance.yaml").read_text()
    assert "source: emulated" in provenance and "interactions: 3" in provenance
    checks = run(
        repo,
        "-m",
        "pytest",
        "-p",
        "no:randomly",
        "-p",
        "no:xdist",
        "-q",
        "tests/test_notebooks.py",
        "tests/test_feature_tables.py",
        "tests/test_errors.py",
        f"notebooks/{PAGE}.ipynb",  # nbval, as the suite runs it (not on the twin)
        "-k",
        f"{PAGE} or unknown_mode_or_page",
    )
    assert checks.returncode == 0, checks.stdout[-3000:]
    assert " passed" in checks.stdout and "failed" not in checks.stdout


def test_refreshing_the_outputs_of_an_unchanged_page_changes_no_byte(repo):
    before = committed(repo)
    refreshed = run(repo, "-m", "notebook_replay.recording.record_pages", "--outputs-only", PAGE)
    assert refreshed.returncode == 0, refreshed.stderr
    assert committed(repo) == before
    stream = next(
        c for c in nbformat.read(repo / "notebooks" / f"{PAGE}.ipynb", as_version=4).cells
        if c.id == "stream"
    )  # fmt: skip
    assert len(stream.outputs) == 1  # one stream output, however the kernel split it
    assert "lc_run--<run-id>" in json.dumps(committed(repo)[f"{PAGE}.ipynb"].decode())


def test_a_cell_failing_mid_page_changes_nothing_and_keeps_the_partial_on_request(repo):
    before = committed(repo)
    add_cells(repo, [("boom", "raise RuntimeError('a cell failing mid-page')")])
    edited = committed(repo)
    try:
        failed = record(repo, env={"KEEP_PARTIAL": "1"})
        assert failed.returncode == 1
        message = failed.stderr
        assert f"Recording {PAGE} failed" in message
        assert "cell 'boom'" in message and "RuntimeError: a cell failing mid-page" in message
        assert f"Nothing was changed: cassettes/{PAGE}.yaml, its provenance and the notebooks" in (
            message
        )
        assert f"The partial recording is kept in cassettes/.recording/{PAGE}-" in message
        assert committed(repo) == edited
        kept = next((repo / "cassettes" / ".recording").glob(f"{PAGE}-*/{PAGE}.yaml"))
        assert kept.read_text().count("- request:") == 1  # what was recorded before the cell
    finally:
        shutil.rmtree(repo / "cassettes" / ".recording", ignore_errors=True)
        for path in (repo / "notebooks").glob(f"{PAGE}*.ipynb"):
            path.write_bytes(before[path.name])


def test_an_error_streamed_as_an_answer_is_refused_naming_page_cell_and_code(repo):
    before = committed(repo)
    code = 'ChatGradient(model="llama-99b-instruct").stream("Hello from scratch?")'
    add_cells(repo, [("error-chunk", f"for chunk in {code}:\n    print(chunk.content)")])
    edited = committed(repo)
    try:
        failed = record(repo)
        assert failed.returncode == 1
        assert f"{PAGE}, cell 'error-chunk': an output holds an [ERROR] chunk" in failed.stderr
        assert "Hello from scratch?" in failed.stderr and "expected-error" in failed.stderr
        assert "The partial recording was deleted (KEEP_PARTIAL=1 keeps it)" in failed.stderr
        assert committed(repo) == edited
        assert not (repo / "cassettes" / ".recording").exists()
    finally:
        for path in (repo / "notebooks").glob(f"{PAGE}*.ipynb"):
            path.write_bytes(before[path.name])


def _descendants(pid: int) -> list[int]:
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_a_recording_killed_half_way_leaves_the_committed_pair_byte_identical(repo):
    before = committed(repo)
    add_cells(repo, [("slow", "import time\n\ntime.sleep(300)")])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NOTEBOOK_")}
    environment["PYTHONPATH"] = str(repo / "src")
    recorder = subprocess.Popen(
        [sys.executable, "-m", "notebook_replay.recording.record_pages", "--emulated", PAGE],
        cwd=repo,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not any(
            p.read_text().count("- request:") >= 1
            for p in (repo / "cassettes").glob(f".recording/{PAGE}-*/{PAGE}.yaml")
        ):
            assert recorder.poll() is None, "the recorder ended before it could be killed"
            assert time.monotonic() < deadline, "nothing was recorded in 300 s"
            time.sleep(0.2)
    finally:
        for pid in [recorder.pid, *_descendants(recorder.pid)]:  # the recorder and its kernel
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        recorder.wait()
    try:
        assert (repo / "cassettes" / f"{PAGE}.yaml").read_bytes() == before[f"{PAGE}.yaml"]
        provenance = f"{PAGE}.provenance.yaml"
        assert (repo / "cassettes" / provenance).read_bytes() == before[provenance]
    finally:
        shutil.rmtree(repo / "cassettes" / ".recording", ignore_errors=True)
        for path in (repo / "notebooks").glob(f"{PAGE}*.ipynb"):
            path.write_bytes(before[path.name])


def test_a_full_disk_fails_the_recording_naming_the_file_and_changes_nothing(repo, tmp_path):
    disk = tiny_filesystem(tmp_path / "disk", size="64k")
    try:
        for name in (f"{PAGE}.yaml", f"{PAGE}.provenance.yaml"):
            shutil.copy(repo / "cassettes" / name, disk / name)
        before = committed(repo, disk)
        with open(disk / "filler", "wb") as filler:  # leave about two pages free
            free = shutil.disk_usage(disk).free
            filler.write(b"\0" * max(0, free - 8192))
        failed = record(repo, env={"NOTEBOOK_CASSETTES": str(disk)})
        assert failed.returncode == 1
        assert "No space left on device" in failed.stderr
        assert f"Could not write {disk}/.recording/{PAGE}-" in failed.stderr
        assert "Nothing was changed" in failed.stderr
        assert committed(repo, disk) == before
        left = sorted(p.name for p in disk.rglob("*"))
        assert left == sorted([f"{PAGE}.yaml", f"{PAGE}.provenance.yaml", "filler"]), left
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _notebooks_on_a_tmpfs(repo: Path, tmp_path: Path, free: int, read_only: bool = False):
    """The copy's notebooks/ on a tmpfs of its own: `free` bytes left, or mounted read-only
    (root writes through a mode of 0555, not through a read-only mount)."""
    folder = repo / "notebooks"
    saved = tmp_path / "saved"
    shutil.copytree(folder, saved)
    used = sum(p.stat().st_size for p in saved.rglob("*") if p.is_file())
    size = used + free + 256 * 1024
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    ).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root): the notebooks/ faults are not checked")
    shutil.copytree(saved, folder, dirs_exist_ok=True)
    with open(folder / ".filler", "wb") as filler:
        filler.write(b"\0" * max(0, shutil.disk_usage(folder).free - free))
    if read_only:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    return folder


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_notebooks_folder_that_cannot_take_the_outputs_changes_nothing(repo, tmp_path, fault):
    """The cassette, its provenance and both notebooks are one swap: the notebooks are
    written beside their targets before anything is renamed, so a full or read-only
    notebooks/ leaves the committed cassette as it was too."""
    before = committed(repo)
    folder = _notebooks_on_a_tmpfs(repo, tmp_path, free=4096, read_only=fault == "read-only")
    try:
        failed = record(repo)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        reason = "No space left on device" if fault == "full" else "Read-only file system"
        assert reason in failed.stderr
        assert f"Could not write {folder}/{PAGE}" in failed.stderr
        assert "Nothing was changed" in failed.stderr
        assert committed(repo) == before
        litter = [p.name for p in folder.iterdir() if p.name.startswith(f".{PAGE}")]
        litter += [p.name for p in (repo / "cassettes").iterdir() if p.name.startswith(".")]
        assert litter in ([], [".recording"]), litter
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_cassettes_folder_is_named_in_one_clear_line(repo, tmp_path):
    folder = tmp_path / "cassettes"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        shutil.copytree(repo / "cassettes", folder, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        failed = record(repo, env={"NOTEBOOK_CASSETTES": str(folder)})
        assert failed.returncode == 1
        assert f"Recording {PAGE} cannot start: {folder} is not writable" in failed.stderr
        assert "Traceback" not in failed.stderr
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_translation_whose_code_differs_is_refused_before_anything_is_recorded(repo):
    twin = repo / "notebooks" / f"{PAGE}.zh.ipynb"
    original = twin.read_bytes()
    notebook = nbformat.read(twin, as_version=4)
    next(c for c in notebook.cells if c.id == "invoke").source += "  # changed"
    nbformat.write(notebook, twin)
    try:
        started = time.monotonic()
        failed = record(repo)
        assert failed.returncode == 1
        assert f"notebooks/{PAGE}.zh.ipynb does not match notebooks/{PAGE}.ipynb" in failed.stderr
        assert "cell 5 (id 'invoke') differs in its code" in failed.stderr
        assert "Nothing was recorded" in failed.stderr
        assert "recording" not in failed.stdout  # no kernel was started
        assert time.monotonic() - started < 60
    finally:
        twin.write_bytes(original)


def test_the_cell_check_refuses_new_reply_script_problems_unless_the_cell_expects_errors():
    """The emulator's contract: problems it met are appended to app.state.problems."""
    application = server.app([])
    check = record_pages.cell_checker("a_page", application)
    cell = {"id": "ask", "source": "llm.invoke('x')", "metadata": {}, "outputs": []}
    check(cell)  # nothing new: fine
    application.state.problems = [
        {"kind": "unscripted", "service": "gradient", "model": "m", "prompt": "Why?", "detail": ""}
    ]
    with pytest.raises(record_pages.RecordingFailed) as raised:
        check(cell)
    assert "a_page, cell 'ask'" in str(raised.value) and "prompt 'Why?'" in str(raised.value)
    assert "replies/a_page.yaml" in str(raised.value)
    application.state.problems.append(dict(application.state.problems[0]))
    check({**cell, "metadata": {"tags": ["expected-error"]}})  # tagged: allowed
    check(cell)  # and already seen
    chunk = {"output_type": "stream", "name": "stdout", "text": "'[ERROR] (boom) no'\n"}
    for tags in (["raises-exception"], ["expected-error"]):
        check({**cell, "metadata": {"tags": tags}, "outputs": [chunk]})
    with pytest.raises(record_pages.RecordingFailed, match=r"\[ERROR\] chunk"):
        check({**cell, "outputs": [chunk]})


def test_the_next_recording_removes_what_a_killed_one_left_but_not_what_was_kept(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f"{PAGE}-{gone}-abc"
    running = tmp_path / f"{PAGE}-{os.getpid()}-def"  # a recorder still at work
    kept = tmp_path / f"{PAGE}-kept-ghi"
    other = tmp_path / f"other-{gone}-jkl"
    for folder in (stale, running, kept, other):
        folder.mkdir()
        (folder / "x.yaml").write_text("partial")
    assert record_pages.remove_stale_recordings(tmp_path, PAGE) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (running, kept, other)
    )
