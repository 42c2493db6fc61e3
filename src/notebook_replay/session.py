"""start(): the one call at the top of every page."""

from __future__ import annotations

import os
from pathlib import Path

from . import network_guard, provenance, warning_paths
from .cassette import open_cassette
from .errors import CassetteMissingError, ModeNotInstalledError, UnknownModeError
from .pages import REPO_ROOT
from .providers import Provider, any_replay_only, provider_for
from .scrub import Scrubber

MODE_VARIABLE = "NOTEBOOK_MODE"
CASSETTES_VARIABLE = "NOTEBOOK_CASSETTES"
MODES = ("replay", "live", "record")
# Modes beyond replay and live are plug-ins: a package registers a function under this
# entry-point group (pyproject.toml: record = notebook_replay.recording.record_mode:begin_page),
# so the runtime a page imports never imports recording or the emulators itself.
MODE_PLUGINS = "notebook_replay.modes"

_running: list = []  # the open cassette context of this process, if any


def cassette_dir(override: str | os.PathLike | None = None) -> Path:
    return Path(override or os.environ.get(CASSETTES_VARIABLE) or REPO_ROOT / "cassettes")


def shown(path: Path) -> str:
    """A path as a reader should see it: relative to the repository when inside it. A
    cassette replayed from the recorder's staging folder (cassettes/.recording/<run>/)
    is shown where it is about to be committed, as the page will show it from there."""
    if path.parent.parent.name == ".recording" and path.suffix == ".yaml":
        path = path.parent.parent.parent / path.name
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def current_mode() -> str:
    mode = os.environ.get(MODE_VARIABLE, "").strip().lower() or "replay"
    if mode not in MODES:
        raise UnknownModeError(mode, MODE_VARIABLE, MODES)
    return mode


def start(page: str, *, cassettes: str | os.PathLike | None = None) -> None:
    """Prepare this process to run one page, and print one line saying how it runs.

    NOTEBOOK_MODE chooses: replay (the default) answers every request from
    cassettes/<page>.yaml without credentials or network; live calls the real service
    with your credentials; record calls it (or the local emulator) and writes the cassette.
    """
    stop()
    warning_paths.install()  # stored outputs name no temp folder or install prefix
    mode = current_mode()
    provider = provider_for(page)
    path = cassette_dir(cassettes) / f"{page}.yaml"
    html = None
    if mode == "replay":
        line, html = _replay(page, provider, path)
    elif mode == "live":
        line = _live(provider)
    else:
        context, line = mode_plugin(mode)(page, provider, path.parent)
        _running.append(context)
    _show(line, html)


def mode_plugin(mode: str):
    """The function a plug-in registered for `mode`: (page, provider, cassettes folder) ->
    (an open context, the line to show)."""
    from importlib.metadata import entry_points

    for point in entry_points(group=MODE_PLUGINS, name=mode):
        return point.load()
    raise ModeNotInstalledError(mode, MODE_PLUGINS)


def _show(line: str, html: str | None) -> None:
    """In Jupyter a replay shows its provenance box (the website keeps it, hiding the
    cell's code); elsewhere, and in the other modes, one line of text."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is not None:
        # An error shows as its type and message, not forty frames of library internals
        # (and this machine's install paths). `%xmode Context` brings the frames back.
        shell.InteractiveTB.set_mode(mode="Minimal")
    if html and shell is not None:
        from IPython.display import display

        display({"text/plain": line, "text/html": html}, raw=True)
    else:
        print(line)


def stop() -> None:
    """Close the page's cassette and lift the network guard (tests; re-running start)."""
    while _running:
        _running.pop().__exit__(None, None, None)
    network_guard.unblock()


def _replay(page: str, provider: Provider, path: Path) -> tuple[str, str]:
    if not path.exists():
        raise CassetteMissingError(page, shown(path))
    provider.use_placeholders()
    _no_tracing()
    context, cassette = open_cassette(
        path,
        recording=False,
        scrubber=Scrubber(),
        custom_patches=[*provider.interception(), *provider.replay_only(), *any_replay_only()],
    )
    _running.append(context)
    network_guard.block()
    about = provenance.read(path)
    line = (
        f"Replay mode: {provider.service} answers come from {shown(path)} "
        f"({_count(len(cassette.data))}, {provenance.describe(about)}). "
        f"Set {MODE_VARIABLE}=live to call the real service."
    )
    html = provenance.banner_html(
        about,
        service=provider.service,
        cassette=shown(path),
        count=len(cassette.data),
        sdks=provider.sdks,
    )
    return line, html


def _live(provider: Provider) -> str:
    load_dotenv_file()
    provider.use_live_credentials()
    return (
        f"Live mode: calling {provider.service} with your credentials; "
        "no cassette is read or written."
    )


def load_dotenv_file() -> None:
    from dotenv import find_dotenv, load_dotenv

    load_dotenv(find_dotenv(usecwd=True) or REPO_ROOT / ".env", override=False)


def _no_tracing() -> None:
    """A replay must not send traces to LangSmith, whatever the reader's shell exports."""
    os.environ["LANGSMITH_TRACING"] = "false"
    os.environ["LANGCHAIN_TRACING_V2"] = "false"


def _count(n: int) -> str:
    return f"{n} recorded interaction{'' if n == 1 else 's'}"
