"""`make bench`: how close the replay suite runs to its floor, how fast the site builds, and
how heavy its notebook pages are. Ratios measured side by side in one run; every figure is
the median of several runs (BENCH_RUNS, default 5). Writes .artifacts/bench-results.json
(ignored), or the file --out names (`make bench BENCH_OUT=bench/results.json` to commit).

- notebooks: each page run as CI runs it (pytest --nbval, one process), against its floor:
  a notebook on the same kernel that imports the same packages and does nothing else.
- suite: every page in parallel as `make test` runs them (pytest-xdist, --dist loadscope),
  serially, and the floor notebooks in parallel the same way.
- docs_build: `mkdocs build --strict` into a clean folder, cold (mkdocs-jupyter's cache
  emptied) and warm.
- page_weight: each notebook page's HTML against the same notebook exported to Markdown
  (nbconvert) and built as a plain page with the same theme.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import nbclient
import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import site_weight  # noqa: E402

from notebook_replay import pages  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# The originals, as `make test` runs them (a translation is checked equal, not replayed).
NOTEBOOKS = [pages.notebook(page) for page in pages.pages()]
HELPER = "notebook_replay"
NBVAL = [
    sys.executable,
    "-m",
    "pytest",
    "-q",
    "-o",
    "addopts=",
    "-p",
    "no:cacheprovider",
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    str(REPO / "tests" / "sanitize.cfg"),
]
PARALLEL = ["-n", "auto", "--dist", "loadscope"]
SERIAL = ["-p", "no:xdist"]


def imports_of(notebook: Path) -> list[str]:
    """The page's import statements, in order, without the helper's: what a reader's
    kernel must load to run the page at all."""
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell  # %pip (even inside an if) becomes a call
    lines: list[str] = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        source = python(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError:  # top-level await is valid in a notebook, not in a module
            tree = ast.parse(f"async def _cell():\n{_indent(source)}").body[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                statement = ast.unparse(node)
                if HELPER not in statement and statement not in lines:
                    lines.append(statement)
    return lines


def _indent(source: str) -> str:
    return "\n".join("    " + line for line in source.splitlines())


def floor_notebook(notebook: Path, folder: Path) -> Path:
    floor = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("\n".join(imports_of(notebook)))],
        metadata=nbformat.read(notebook, as_version=4).metadata,
    )
    floor.cells[0].id = "imports"
    # Store what the cell prints (an import may warn), so nbval has outputs to compare.
    nbclient.NotebookClient(floor, resources={"metadata": {"path": str(REPO)}}).execute()
    path = folder / f"{notebook.stem}.floor.ipynb"
    nbformat.write(floor, path)
    return path


def timed(command: list[str], *, setup=None) -> float:
    if setup:
        setup()
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=REPO, env=site_weight.BUILD_ENV, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return seconds


def median_of(command: list[str], *, setup=None) -> float:
    return round(statistics.median(timed(command, setup=setup) for _ in range(RUNS)), 3)


def side_by_side(a: list[str], b: list[str]) -> tuple[float, float]:
    """Alternate the two commands run by run, so drift in the machine's load hits both."""
    first, second = [], []
    for _ in range(RUNS):
        first.append(timed(a))
        second.append(timed(b))
    return round(statistics.median(first), 3), round(statistics.median(second), 3)


def bench_notebooks(floors: dict[str, Path]) -> dict:
    results = {}
    for notebook in NOTEBOOKS:
        seconds, floor = side_by_side(
            [*NBVAL, *SERIAL, str(notebook)], [*NBVAL, *SERIAL, str(floors[notebook.stem])]
        )
        results[notebook.stem] = {
            "seconds": seconds,
            "floor_seconds": floor,
            "ratio": round(seconds / floor, 3),
        }
    return results


def bench_suite(floors: dict[str, Path]) -> dict:
    pages = [str(n) for n in NOTEBOOKS]
    parallel, floor = side_by_side(
        [*NBVAL, *PARALLEL, *pages], [*NBVAL, *PARALLEL, *map(str, floors.values())]
    )
    serial = median_of([*NBVAL, *SERIAL, *pages])
    return {
        "pages": len(pages),
        "workers": os.cpu_count(),
        "serial_seconds": serial,
        "parallel_seconds": parallel,
        "floor_seconds": floor,
        "ratio": round(parallel / floor, 3),
    }


def bench_docs_build(out: Path) -> dict:
    cache = REPO / ".cache" / "mkdocs-jupyter"
    command = site_weight.build_command(out)

    def clean_output():
        shutil.rmtree(out, ignore_errors=True)

    def cold():
        clean_output()
        shutil.rmtree(cache, ignore_errors=True)

    return {
        "cold_seconds": median_of(command, setup=cold),
        "warm_seconds": median_of(command, setup=clean_output),
    }


def bench_page_weight(site: Path, work: Path) -> dict:
    twin = site_weight.markdown_twin_site(NOTEBOOKS, work)
    results = {}
    for notebook in NOTEBOOKS:
        stem, _, language = notebook.stem.partition(".")
        ours = site / (f"{language}/" if language else "") / "notebooks" / stem / "index.html"
        plain = site_weight.page_bytes(twin, notebook.stem)
        size = ours.stat().st_size
        results[f"{language or 'en'}/{stem}"] = {
            "bytes": size,
            "markdown_equivalent_bytes": plain,
            "ratio": round(size / plain, 3),
        }
    return results


def environment() -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "when": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "commit": commit,
        "runs_per_figure": RUNS,
        "statistic": "median",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: version(name) for name in PACKAGES},
    }


PACKAGES = (
    "pytest",
    "pytest-xdist",
    "nbval",
    "ipykernel",
    "mkdocs",
    "mkdocs-material",
    "mkdocs-jupyter",
    "vcrpy",
)


LARGE_CASSETTE_MB = 50
_START = (
    "import time, notebook_replay as n; t, c = time.perf_counter(), time.process_time(); "
    "n.start('gradient'); print(time.perf_counter() - t, time.process_time() - c)"
)


def bench_large_cassette(tmp: Path) -> dict:
    """start() on a 50 MB cassette (the gradient page's interactions repeated), in a fresh
    process as a cold CI clone runs it: wall and CPU seconds, the median of RUNS runs."""
    text = (REPO / "cassettes" / "gradient.yaml").read_text(encoding="utf-8")
    body = text.split("interactions:\n", 1)[1].split("\nversion: 1", 1)[0].rstrip("\n") + "\n"
    copies = LARGE_CASSETTE_MB * 1_000_000 // len(body) + 1
    folder = tmp / "large"
    folder.mkdir()
    (folder / "gradient.yaml").write_text(f"interactions:\n{body * copies}version: 1\n")
    env = {**os.environ, "NOTEBOOK_CASSETTES": str(folder)}

    def once() -> tuple[float, float]:
        run = subprocess.run(
            [sys.executable, "-c", _START], env=env, capture_output=True, text=True, check=True
        )
        wall, cpu = run.stdout.strip().splitlines()[-1].split()
        return float(wall), float(cpu)

    runs = [once() for _ in range(RUNS)]
    return {
        "bytes": (folder / "gradient.yaml").stat().st_size,
        "start_seconds": round(statistics.median(wall for wall, _ in runs), 3),
        "start_cpu_seconds": round(statistics.median(cpu for _, cpu in runs), 3),
    }


def table(results: dict) -> str:
    rows = [("what", "measured", "floor / markdown", "ratio")]
    for stem, r in results["notebooks"].items():
        rows.append((f"notebook {stem}", f"{r['seconds']:.2f} s", f"{r['floor_seconds']:.2f} s",
                     f"{r['ratio']:.2f}"))  # fmt: skip
    suite = results["suite"]
    rows.append((f"suite, {suite['workers']} workers", f"{suite['parallel_seconds']:.2f} s",
                 f"{suite['floor_seconds']:.2f} s", f"{suite['ratio']:.2f}"))  # fmt: skip
    rows.append(("suite, serial", f"{suite['serial_seconds']:.2f} s", "", ""))
    docs = results["docs_build"]
    rows.append(("docs build, cold", f"{docs['cold_seconds']:.2f} s", "", ""))
    rows.append(("docs build, warm", f"{docs['warm_seconds']:.2f} s", "", ""))
    for page, r in results["page_weight"].items():
        rows.append((f"page {page}", f"{r['bytes']} B", f"{r['markdown_equivalent_bytes']} B",
                     f"{r['ratio']:.2f}"))  # fmt: skip
    large = results["large_cassette"]
    mb = large["bytes"] / 1e6
    rows.append((f"start(), {mb:.0f} MB cassette", f"{large['start_seconds']:.2f} s", "", ""))
    rows.append((f"start(), {mb:.0f} MB cassette, CPU", f"{large['start_cpu_seconds']:.2f} s",
                 "", ""))  # fmt: skip
    lines = [f"{a:<36}{b:>14}{c:>18}{d:>8}" for a, b, c, d in rows]
    lines.append(f"medians of {RUNS} runs; the shared notebook stylesheet "
                 f"({results['shared_stylesheet_bytes']} B) is fetched once")  # fmt: skip
    return "\n".join(lines)


README = REPO / "README.md"
README_BEGIN = "<!-- bench: written by `make bench BENCH_OUT=bench/results.json` -->"
README_END = "<!-- /bench -->"


def _spread(values: list[float], fmt: str) -> str:
    low, high = min(values), max(values)
    return (
        fmt.format(low)
        if fmt.format(low) == fmt.format(high)
        else (fmt.format(low) + "–" + fmt.format(high))
    )


def readme_table(results: dict) -> str:
    """The README's Performance table, from the committed figures (never typed by hand)."""
    pages = {k: v for k, v in results["notebooks"].items() if "." not in k}
    suite = results["suite"]
    weights = results["page_weight"].values()
    docs = results["docs_build"]
    rows = [
        "| Figure | Measured | Against | Ratio | Goal |",
        "| --- | --- | --- | --- | --- |",
        f"| replay suite, {suite['pages']} pages on {suite['workers']} workers (pytest-xdist) "
        f"| {suite['parallel_seconds']:.1f} s | its floor, {suite['floor_seconds']:.1f} s "
        f"| {suite['ratio']:.2f} | ≤ 1.2 |",
        f"| each page alone (pytest --nbval) "
        f"| {_spread([r['seconds'] for r in pages.values()], '{:.1f}')} s "
        f"| its floor, {_spread([r['floor_seconds'] for r in pages.values()], '{:.1f}')} s "
        f"| {_spread([r['ratio'] for r in pages.values()], '{:.2f}')} | |",
        f"| notebook pages' HTML "
        f"| {_spread([w['bytes'] / 1000 for w in weights], '{:.0f}')} KB "
        f"| the Markdown twin, "
        f"{_spread([w['markdown_equivalent_bytes'] / 1000 for w in weights], '{:.0f}')} KB "
        f"| {_spread([w['ratio'] for w in weights], '{:.2f}')} | ≤ 2 (aim 1.5) |",
        f"| docs build, cold / warm | {docs['cold_seconds']:.1f} s / {docs['warm_seconds']:.1f} s"
        " | | | |",
    ]
    when = results.get("environment", {}).get("when", "")[:10]
    return "\n".join([*rows, "", f"Measured on {when}, {_machine(results)}."])


def _machine(results: dict) -> str:
    env = results.get("environment", {})
    return (f"{env.get('cpus', '?')} cores, Python {env.get('python', '?')}, the median of "
            f"{env.get('runs_per_figure', '?')} runs each")  # fmt: skip


def write_readme_table(results: dict, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)
    readme.write_text(text[:start] + "\n" + readme_table(results) + "\n" + text[end:])


# Inside the repository, so pytest gives each floor its own node id (and xdist its own
# scope), exactly as it does the pages.
FLOORS = REPO / "bench" / ".floors"


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / ".artifacts" / "bench-results.json",
        help="where to write the figures (commit bench/results.json on purpose)",
    )
    out = parser.parse_args(argv).out
    out = out if out.is_absolute() else Path.cwd() / out
    shutil.rmtree(FLOORS, ignore_errors=True)
    FLOORS.mkdir()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        floors = {n.stem: floor_notebook(n, FLOORS) for n in NOTEBOOKS}
        results = {
            "notebooks": bench_notebooks(floors),
            "suite": bench_suite(floors),
            "docs_build": bench_docs_build(tmp / "site"),
        }
        site = tmp / "site"  # the last warm build
        results["page_weight"] = bench_page_weight(site, tmp / "twin")
        results["large_cassette"] = bench_large_cassette(tmp)
        results["shared_stylesheet_bytes"] = sum(
            p.stat().st_size for p in (site / "assets" / "notebook").glob("*.css")
        )
        results["environment"] = environment()
    shutil.rmtree(FLOORS, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(results))
    print(f"wrote {out}")
    if out.resolve() == (REPO / "bench" / "results.json").resolve():
        write_readme_table(results)
        print(f"wrote the Performance table in {README.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
