# Two commands on a fresh machine with Python 3.10+ and make: `make docs` (the site, served
# from the notebooks) and `make test` (the whole suite, offline). Whichever runs first creates
# the environment (.venv) from uv.lock; `make` alone lists every target.

PYTHON     ?= python3
UV_VERSION := 0.13.8
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
VENV       := .venv
BIN        := $(VENV)/bin
SYNCED     := $(VENV)/.synced
PAGE       ?=
# PAGE, NAME and SERVICE reach the Python commands through the environment, never through a
# shell command line, so a value such as 'x; rm -rf ~' is only ever an unknown page name.
export PAGE NAME SERVICE
# Spread the suite across cores (pytest-xdist, one module per worker, the longest first:
# conftest.py). Plain pytest, or `pytest -p no:xdist`, runs serially.
PYTEST_PARALLEL ?= -n auto --dist loadscope --no-loadscope-reorder
# `make bench` writes here (ignored); commit figures on purpose: make bench BENCH_OUT=bench/results.json
BENCH_OUT  ?= .artifacts/bench-results.json
LAB_PORT   ?= 8888
LAB_OPEN   ?= True
# `make lab` replays by default, as the pages do; NOTEBOOK_MODE=live make lab calls the services.
NOTEBOOK_MODE ?= replay

# A bare `make` lists the targets; it never starts a server or a long run by surprise.
.DEFAULT_GOAL := help

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS    := never
# Write .pyc files at install time: where PYTHONDONTWRITEBYTECODE is set (as on CI machines
# here), every kernel would otherwise recompile each imported module from source, a second
# or more per notebook (measured by `make bench`).
export UV_COMPILE_BYTECODE    := 1
# MkDocs and Material print end-of-life banners on every build; we know, and pin both.
export NO_MKDOCS_2_WARNING    := 1

.PHONY: help docs site lab test bench compat canary lock-upgrade lint secrets env lock record record-emulated outputs page clean

help: ## List the targets (what a bare `make` does)
	@echo "Targets (make <target>):"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

docs: $(SYNCED) ## Build the site from the notebooks and serve it on http://127.0.0.1:8000
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

site: $(SYNCED) ## Build the site into site/ (what CI deploys to GitHub Pages)
	$(BIN)/mkdocs build --strict --site-dir site

lab: $(SYNCED) ## Open the notebooks in JupyterLab on 127.0.0.1 (replay mode; LAB_PORT=8888, NOTEBOOK_MODE=live)
	@token="$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))')"; \
	echo "JupyterLab, $(NOTEBOOK_MODE) mode, notebooks/: http://127.0.0.1:$(LAB_PORT)/lab?token=$$token"; \
	echo "(Ctrl-C stops it)"; \
	NOTEBOOK_MODE=$(NOTEBOOK_MODE) exec $(BIN)/jupyter lab --ServerApp.root_dir=notebooks \
	  --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0 \
	  --IdentityProvider.token="$$token" --ServerApp.open_browser=$(LAB_OPEN) \
	  --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	  --LabApp.extension_manager=readonly $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: $(SYNCED) lint secrets ## The whole suite, offline: helper tests and every notebook under strict nbval
	tools/offline $(BIN)/python -m pytest $(PYTEST_PARALLEL)

bench: $(SYNCED) ## Benchmarks as ratios (suite vs its floor, page weight): prints a table, writes $(BENCH_OUT)
	$(BIN)/python bench/run.py --out $(BENCH_OUT)

compat: $(SYNCED) ## Replay every page with the newest releases (needs the package registry): writes compat/report.json and .md
	$(BIN)/python tools/compat.py

lint: $(SYNCED) ## ruff check and ruff format --check (notebooks included)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

secrets: $(SYNCED) ## Scan cassettes/ and notebooks/ for anything that looks like a secret
	$(BIN)/python -m notebook_replay.recording.secret_scan cassettes notebooks

env: $(SYNCED) ## Create .venv from uv.lock (bootstrapping uv into .tools/)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(UV) pyproject.toml uv.lock
	@echo "make: creating .venv from uv.lock (the first time takes a minute or two) ..."
	$(UV) sync --quiet --locked --python "$$(command -v $(PYTHON))"
	$(BIN)/python -m compileall -q src
	touch $@

lock: $(UV) ## Re-resolve uv.lock after editing pyproject.toml
	$(UV) lock

canary: $(SYNCED) ## Record the pages live into .artifacts/canary (never cassettes/) and list retired models
	$(BIN)/python tools/canary.py --out .artifacts/canary

lock-upgrade: $(UV) ## Re-resolve uv.lock to the newest releases (the weekly CI job; then re-record what changed)
	$(UV) lock --upgrade

record-emulated: $(SYNCED) ## Re-record cassettes against the local emulator: make record-emulated [PAGE=gradient]
	$(BIN)/python -m notebook_replay.recording.record_pages --emulated

record: $(SYNCED) ## Re-record cassettes against the real services (needs credentials): make record [PAGE=gradient]
	$(BIN)/python -m notebook_replay.recording.record_pages

outputs: $(SYNCED) ## Refresh the stored outputs from the cassettes as they are (after editing a page or a translation)
	$(BIN)/python -m notebook_replay.recording.record_pages --outputs-only

page: $(SYNCED) ## Scaffold a page: make page NAME=my_page SERVICE=gradient|oci (both twins, a reply script, the nav entry)
	$(BIN)/python -m notebook_replay.recording.new_page

clean: ## Remove .venv, .tools and the built site
	rm -rf $(VENV) $(TOOLS) site
