# Two commands on a fresh machine with Python 3.10+ and make: `make docs` and `make test`.
# The environment (.venv) is created from uv.lock the first time either runs.

PYTHON     ?= python3
UV_VERSION := 0.13.8
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
VENV       := .venv
BIN        := $(VENV)/bin
SYNCED     := $(VENV)/.synced
PAGE       ?=
# Spread the suite across cores (pytest-xdist, one module per worker). Plain pytest, or
# `pytest -p no:xdist`, runs serially.
PYTEST_PARALLEL ?= -n auto --dist loadscope
# `make bench` writes here (ignored); commit figures on purpose: make bench BENCH_OUT=bench/results.json
BENCH_OUT  ?= .artifacts/bench-results.json

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS    := never
# Write .pyc files at install time: where PYTHONDONTWRITEBYTECODE is set (as on CI machines
# here), every kernel would otherwise recompile each imported module from source, a second
# or more per notebook (measured by `make bench`).
export UV_COMPILE_BYTECODE    := 1
# MkDocs and Material print end-of-life banners on every build; we know, and pin both.
export NO_MKDOCS_2_WARNING    := 1

.PHONY: docs site test bench compat lock-upgrade lint secrets env lock record record-emulated outputs page clean

docs: $(SYNCED) ## Build the site from the notebooks and serve it on http://127.0.0.1:8000
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

site: $(SYNCED) ## Build the site into site/ (what CI deploys to GitHub Pages)
	$(BIN)/mkdocs build --strict --site-dir site

test: $(SYNCED) lint secrets ## The whole suite, offline: helper tests and every notebook under strict nbval
	tools/offline $(BIN)/python -m pytest $(PYTEST_PARALLEL)

bench: $(SYNCED) ## Benchmarks as ratios (suite vs its floor, page weight): prints a table, writes $(BENCH_OUT)
	$(BIN)/python bench/run.py --out $(BENCH_OUT)

compat: $(SYNCED) ## Replay every page with the newest releases (needs the package registry): writes compat/report.json and .md
	$(BIN)/python tools/compat.py

lint: $(SYNCED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

secrets: $(SYNCED)
	$(BIN)/python -m notebook_replay.recording.secret_scan cassettes notebooks

env: $(SYNCED)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(UV) pyproject.toml uv.lock
	$(UV) sync --quiet --locked --python "$$(command -v $(PYTHON))"
	$(BIN)/python -m compileall -q src
	touch $@

lock: $(UV) ## Re-resolve uv.lock after editing pyproject.toml
	$(UV) lock

lock-upgrade: $(UV) ## Re-resolve uv.lock to the newest releases (the weekly CI job; then re-record what changed)
	$(UV) lock --upgrade

record-emulated: $(SYNCED) ## Re-record cassettes against the local emulator: make record-emulated [PAGE=gradient]
	$(BIN)/python -m notebook_replay.recording.record_pages --emulated $(PAGE)

record: $(SYNCED) ## Re-record cassettes against the real services (needs credentials): make record [PAGE=gradient]
	$(BIN)/python -m notebook_replay.recording.record_pages $(PAGE)

outputs: $(SYNCED) ## Refresh the stored outputs from the cassettes as they are (after editing a page or a translation)
	$(BIN)/python -m notebook_replay.recording.record_pages --outputs-only $(PAGE)

page: $(SYNCED) ## Scaffold a page: make page NAME=my_page SERVICE=gradient|oci (both twins, a reply script, the nav entry)
	$(BIN)/python -m notebook_replay.recording.new_page "$(NAME)" "$(SERVICE)"

clean:
	rm -rf $(VENV) $(TOOLS) site
