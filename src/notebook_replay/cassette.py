"""One cassette file: how requests are matched against it, and how it is read and written."""

from __future__ import annotations

import functools
import json
import os
import tempfile
import threading
from pathlib import Path

import urllib3.connectionpool
import vcr
import vcr.stubs
import vcr.stubs.aiohttp_stubs
import vcr.stubs.httpx_stubs
import yaml
from vcr.persisters.filesystem import CassetteNotFoundError, FilesystemPersister
from vcr.serializers import yamlserializer

from .errors import CassetteCorruptError, NotebookReplayError, UnmatchedRequestError
from .scrub import Scrubber, find_secrets

# Every request must agree on all of these with a recorded one to be answered by it.
MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "json_body"]

_NOT_JSON = object()
_POOL = urllib3.connectionpool.HTTPConnectionPool  # the OCI SDK's pool subclasses it


def _parsed(request):
    body = request.body or b""
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    if not raw:
        return None, raw
    try:
        return json.loads(raw), raw
    except ValueError:
        return _NOT_JSON, raw


def _first_difference(a, b, where="body"):
    """Where two parsed JSON values first differ, as 'messages[1].content: … != …'."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                side = "recorded" if key not in b else "sent"
                return f"{where}.{key} is only in the {side} request"
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{where}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return f"{where}: sent {json.dumps(a)[:120]} but recorded {json.dumps(b)[:120]}"


def json_body(r1, r2):
    """vcrpy matcher: JSON bodies compared parsed, so key order never matters
    (ChatGradient builds its body from a set, in a different order each run)."""
    a, raw_a = _parsed(r1)
    b, raw_b = _parsed(r2)
    if a is _NOT_JSON or b is _NOT_JSON:
        if raw_a != raw_b:
            raise AssertionError("the bodies differ (not JSON)")
    elif a != b:
        raise AssertionError(_first_difference(a, b))


class CassetteFile:
    """vcrpy persister: clear errors on a broken file, and a secret scan before any write."""

    def load_cassette(self, cassette_path, serializer):
        path = Path(cassette_path)
        if not path.exists():
            raise CassetteNotFoundError()  # recording a new cassette: vcrpy starts it empty
        try:
            if not path.read_text(encoding="utf-8").strip():
                raise ValueError("the file is empty")
            requests, responses, *_ = FilesystemPersister.load_cassette(path, serializer)
        except NotebookReplayError:
            raise
        except Exception as problem:  # YAML errors, missing keys, bad encodings …
            raise CassetteCorruptError(path.stem, str(path), _one_line(problem)) from None
        return requests, responses

    def save_cassette(self, cassette_path, cassette_dict, serializer):
        path = Path(cassette_path)
        text = vcr.serialize.serialize(cassette_dict, serializer)
        leaks = find_secrets(text)
        if leaks:
            raise NotebookReplayError(
                f"Refusing to write {path}: it would contain {len(leaks)} secret-looking "
                f"value(s) ({', '.join(kind for kind, _ in leaks[:3])}). Extend the scrubber "
                "in notebook_replay/scrub.py."
            )
        write_atomically(path, text)


class _ReadableDumper(yaml.SafeDumper):
    """Multi-line bodies (server-sent event streams) as literal blocks, one event a line."""


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _represent_str)


class ReadableYaml:
    """vcrpy serializer: vcrpy's safe YAML loader, and a writer meant for code review."""

    @staticmethod
    def serialize(cassette_dict: dict) -> str:
        return yaml.dump(cassette_dict, Dumper=_ReadableDumper, allow_unicode=True, width=100)

    @staticmethod
    def deserialize(text: str) -> dict:
        return yamlserializer.deserialize(text)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _one_line(problem: Exception) -> str:
    text = " ".join(str(problem).split()) or type(problem).__name__
    return text[:200]


_one_request_at_a_time = threading.RLock()


def _serialized(urlopen):
    """vcrpy briefly puts the real connection classes back, process-wide, whenever it
    builds or uses a real connection (its force_reset; it builds one even when replaying).
    A concurrent request (batch() uses threads) could pick a real connection in that
    window and miss the cassette, so under a cassette requests go one at a time."""

    @functools.wraps(urlopen)
    def locked(pool, *args, **kwargs):
        with _one_request_at_a_time:
            return urlopen(pool, *args, **kwargs)

    return locked


def open_cassette(
    path: Path, *, recording: bool, scrubber: Scrubber, custom_patches=(), after_save=None
):
    """Enter a vcrpy cassette and return (context manager, cassette).

    Replaying: record_mode none, so an unanswered request raises UnmatchedRequestError.
    Recording: record_mode all into ``path`` (started empty), saved after every interaction,
    so a page that stops half-way still leaves what it recorded.
    """
    if recording and path.exists():
        path.unlink()
    config = vcr.VCR(
        serializer="readable-yaml",
        record_mode="all" if recording else "none",
        match_on=MATCH_ON,
        before_record_request=scrubber.request,
        before_record_response=scrubber.response,
        decode_compressed_response=True,
        custom_patches=(*custom_patches, (_POOL, "urlopen", _serialized(_POOL.urlopen))),
    )
    config.register_serializer("readable-yaml", ReadableYaml)
    config.register_matcher("json_body", json_body)
    config.register_persister(CassetteFile())
    context = config.use_cassette(str(path))
    cassette = context.__enter__()
    if recording:
        append = cassette.append

        def append_and_save(request, response):
            append(request, response)
            cassette._save(force=True)
            if after_save:
                after_save(cassette)

        cassette.append = append_and_save
    return context, cassette


# vcrpy raises this name when a replay meets a request no interaction answers; ours is a
# subclass whose message names the cassette, the request and the command that re-records.
# The urllib3/requests stubs, the aiohttp stub (the OCI SDK's async client) and the httpx
# stub (the openai SDK) each import the name for themselves.
vcr.stubs.CannotOverwriteExistingCassetteException = UnmatchedRequestError
vcr.stubs.aiohttp_stubs.CannotOverwriteExistingCassetteException = UnmatchedRequestError
vcr.stubs.httpx_stubs.CannotOverwriteExistingCassetteException = UnmatchedRequestError
