"""NOTEBOOK_MODE=record: call the service (or the local emulator) and write a cassette.

Never the committed one: a recording goes to a staging folder (NOTEBOOK_RECORD_INTO, set
by `make record*`; by default cassettes/.recording/), and only the page recorder
(record_pages) replaces cassettes/<page>.yaml and its provenance, after the whole page
and its translations replayed from the new recording. Everything is scrubbed before it
touches disk; the staged cassette is saved after every interaction with its provenance
beside it, so a recording that stops half-way can be inspected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
from pathlib import Path

import yaml

from .. import provenance
from ..cassette import open_cassette, write_atomically
from ..providers import Provider
from ..scrub import Scrubber
from ..session import load_dotenv_file, shown
from . import emulator_route

# Set by `make record-emulated`: where the local emulator listens, and what it is.
EMULATOR_VARIABLE = "NOTEBOOK_EMULATOR"
EMULATOR_NAME_VARIABLE = "NOTEBOOK_EMULATOR_NAME"
# Where a recording is written (the recorder's staging folder).
RECORD_INTO_VARIABLE = "NOTEBOOK_RECORD_INTO"


def recording_path(page: str, cassettes: Path) -> Path:
    folder = os.environ.get(RECORD_INTO_VARIABLE, "").strip()
    return (Path(folder) if folder else cassettes / ".recording") / f"{page}.yaml"


def begin_page(page: str, provider: Provider, cassettes: Path):
    """The record mode plug-in session.start calls (entry point notebook_replay.modes)."""
    return begin(page, provider, recording_path(page, cassettes))


def begin(page: str, provider: Provider, path: Path):
    emulator = os.environ.get(EMULATOR_VARIABLE, "").strip()
    patches = list(provider.interception())
    if emulator:
        provider.use_placeholders()
        patches += emulator_route.patches(emulator)
        secrets: list[str] = []
        about = {
            "source": "emulated",
            "emulator": os.environ.get(EMULATOR_NAME_VARIABLE, f"a local emulator at {emulator}"),
        }
    else:
        load_dotenv_file()
        provider.use_live_credentials()
        secrets = provider.secrets()
        about = {"source": "live"}
    about = {"service": provider.service, **about}
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()

    def write_provenance(cassette) -> None:
        data = {
            **about,
            "recorded_at": started,
            "cassette": path.name,
            "interactions": len(cassette.data),
            "models": provenance.models_in({"requests": cassette.requests}),
            "python": platform.python_version(),
            "packages": provenance.installed_versions(),
        }
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        write_atomically(provenance.provenance_path(path), text)

    # One context for the page: leaving it closes the cassette, then lifts the routes.
    context = contextlib.ExitStack()
    if emulator:
        context.enter_context(emulator_route.aiohttp_routed(emulator))
        context.enter_context(emulator_route.httpx_routed(emulator))
    cassette_context, _ = open_cassette(
        path,
        recording=True,
        scrubber=Scrubber(secrets),
        custom_patches=patches,
        after_save=write_provenance,
    )
    context.push(cassette_context)
    target = f"the local emulator at {emulator}" if emulator else f"live {provider.service}"
    line = f"Record mode: calling {target} and writing {shown(path)} (scrubbed)."
    return context, line
