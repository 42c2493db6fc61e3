"""The errors a reader can meet, each saying what is wrong and what to do."""

from __future__ import annotations

import functools
from pathlib import Path

from vcr.errors import CannotOverwriteExistingCassetteException


def rerecord_command(page: str) -> str:
    """The command that re-records one page's cassette (emulator first: it needs no keys)."""
    return (
        f"make record-emulated PAGE={page}   (or, with real credentials: make record PAGE={page})"
    )


class NotebookReplayError(RuntimeError):
    """Base class of every error the helper raises on purpose."""


class UnknownModeError(NotebookReplayError):
    def __init__(self, value: str, variable: str, modes: tuple[str, ...]):
        super().__init__(f"{variable}={value!r} is not a mode; use one of: {', '.join(modes)}.")


class ModeNotInstalledError(NotebookReplayError):
    def __init__(self, mode: str, group: str):
        super().__init__(
            f"NOTEBOOK_MODE={mode} needs a plug-in that no installed package provides "
            f"(entry-point group {group!r}). Record mode comes with this project: run "
            "`make env` in the repository (it installs the project), or use replay or live."
        )


class UnknownPageError(NotebookReplayError):
    def __init__(self, page: str, known: list[str]):
        super().__init__(
            f"There is no page {page!r}: notebooks/{page}.ipynb does not exist. "
            f"Known pages: {', '.join(known)}."
        )


class CassetteMissingError(NotebookReplayError):
    def __init__(self, page: str, path: str):
        super().__init__(
            f"No cassette for page {page!r}: {path} does not exist. Record it with\n"
            f"  {rerecord_command(page)}\n"
            "or run the page against the real service with NOTEBOOK_MODE=live."
        )


class CassetteCorruptError(NotebookReplayError):
    def __init__(self, page: str, path: str, problem: str):
        super().__init__(
            f"The cassette {path} cannot be read ({problem}). Restore it from git "
            f"(git checkout -- {path}) or re-record it with\n  {rerecord_command(page)}"
        )


class MissingCredentialError(NotebookReplayError):
    def __init__(self, variable: str, what: str):
        super().__init__(
            f"{variable} is not set, and nobody is at the keyboard to type it. {what} "
            f"Set {variable} in the environment or in a .env file at the repository root, "
            "or run the page in replay mode (the default: unset NOTEBOOK_MODE)."
        )


class ConfigFileMissingError(NotebookReplayError):
    """A credentials file that a live run needs is not where it was said to be."""

    def __init__(self, path: str, named_by: str | None, how_to_get: str):
        where = (
            f"{named_by} names {path}, which does not exist."
            if named_by
            else (f"{path} does not exist.")
        )
        super().__init__(
            f"{where} {how_to_get} Or run the page in replay mode (the default: unset "
            "NOTEBOOK_MODE)."
        )


class ProvenanceMissingError(NotebookReplayError):
    """Raised by the recorder's checks; a replay shows the problem in its box instead."""


class CassetteWriteError(NotebookReplayError):
    def __init__(self, path: str, problem: OSError):
        reason = problem.strerror or str(problem)
        super().__init__(
            f"Could not write {path}: {reason} (errno {problem.errno}). Nothing was "
            "half-written: the file is as it was. Free space or fix permissions, then "
            "record again."
        )
        self.errno = problem.errno


class NetworkBlockedError(NotebookReplayError):
    """Not a ConnectionError on purpose: SDK retry policies (OCI retries those 8 times)
    must give up at once."""

    def __init__(self, address: object):
        super().__init__(
            f"Replay mode never uses the network, but something tried to reach {address!r}. "
            "A request the cassette cannot answer should have been caught earlier: please "
            "report this, or run the page with NOTEBOOK_MODE=live."
        )


class UnmatchedRequestError(CannotOverwriteExistingCassetteException, NotebookReplayError):
    """A replayed page sent a request that no interaction in its cassette answers.

    It subclasses vcrpy's own error so that anything that handles that one handles this one.
    """

    def __init__(self, *args, cassette=None, failed_request=None, **kwargs):
        self.cassette = cassette
        self.failed_request = failed_request
        Exception.__init__(self, self._describe(cassette, failed_request))

    @staticmethod
    def _describe(cassette, request) -> str:
        path = str(getattr(cassette, "_path", "<cassette>"))
        page = Path(path).stem  # a page's cassette is named after the page
        if request is None:
            return f"A request was not found in the cassette {path}."
        body = request.body or b""
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        start = body[:300] + (" …" if len(body) > 300 else "")
        return (
            f"No interaction in the cassette {path} answers this request:\n"
            f"  {request.method} {request.uri}\n"
            f"  body: {start or '(empty)'}\n"
            f"{_closest(cassette, request)}"
            "Re-record with\n"
            f"  {rerecord_command(page)}\n"
            "Nothing was sent over the network."
        )


def _closest(cassette, request) -> str:
    """Why the nearest recorded request did not answer, in one or two lines."""
    try:
        candidates = cassette.find_requests_with_most_matches(request)
    except Exception:  # the description must never hide the error it describes
        return ""
    if not candidates:
        return "The cassette has no interactions at all.\n"
    _, _, failures = candidates[0]
    if not failures:
        return (
            "A recorded interaction matches, but it was already played: each recorded answer "
            "plays once per run. Restart the kernel and run the page from the top.\n"
        )
    reasons = "; ".join(f"{name}: {message}" for name, message in failures)
    return (
        f"The closest recorded request differs in {reasons[:400]}\n"
        "The page's code or an SDK version changed since the cassette was recorded. "
    )


@functools.cache
def unmatched_for_openai() -> type:
    """UnmatchedRequestError as the openai SDK (ChatOpenAI) must see it. That SDK retries
    any exception its transport raises, then wraps it in APIConnectionError("Connection
    error."), except its own OpenAIError, which it passes on at once. This subclass is both,
    so a replay's unmatched request surfaces as itself, on the first attempt."""
    from openai import OpenAIError

    return type(
        "UnmatchedRequestError",
        (UnmatchedRequestError, OpenAIError),
        {"__module__": __name__, "__doc__": UnmatchedRequestError.__doc__},
    )
