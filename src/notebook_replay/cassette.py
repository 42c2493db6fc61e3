"""One cassette file: how requests are matched against it, and how it is read and written."""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import stat
import tempfile
import threading
from pathlib import Path

import urllib3.connectionpool
import vcr
import vcr.stubs
import vcr.stubs.aiohttp_stubs
import vcr.stubs.httpx_stubs
import yaml
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request
from vcr.serializers import compat

from . import cassette_yaml
from .errors import (
    CassetteCorruptError,
    CassetteWriteError,
    NotebookReplayError,
    UnmatchedRequestError,
)
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
            raw = path.read_bytes()
            if not raw.strip():
                raise ValueError("the file is empty")
            data = ReadableYaml.deserialize(raw.decode("utf-8"))
        except NotebookReplayError:
            raise
        except Exception as problem:  # YAML errors, bad encodings …
            raise CassetteCorruptError(path.stem, str(path), _one_line(problem)) from None
        problem = structure_problem(data)
        if problem:
            raise CassetteCorruptError(path.stem, str(path), problem)
        interactions = data["interactions"]
        requests = [Request._from_dict(i["request"]) for i in interactions]
        responses = [compat.convert_to_bytes(i["response"]) for i in interactions]
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


_REQUIRED = {
    "request": ("method", "uri", "body", "headers"),
    "response": ("status", "headers", "body"),
}


def structure_problem(data) -> str | None:
    """What is missing from a parsed cassette, naming the first incomplete interaction
    (a file cut inside a block scalar is still valid YAML, only shorter)."""
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        return "it is not a cassette: no list of interactions"
    interactions = data["interactions"]
    for number, interaction in enumerate(interactions, start=1):
        where = f"interaction {number} of {len(interactions)}"
        if not isinstance(interaction, dict):
            return f"{where} is not a request and its response"
        request = interaction.get("request")
        if isinstance(request, dict) and request.get("uri"):
            where += f" ({request.get('method', '?')} {request['uri']})"
        for part, keys in _REQUIRED.items():
            value = interaction.get(part)
            if not isinstance(value, dict):
                return f"{where} has no {part}; the file looks cut short or edited"
            missing = [key for key in keys if key not in value]
            if missing:
                return (
                    f"{where}: its {part} has no {', '.join(missing)}; the file looks cut "
                    "short or edited"
                )
        if not isinstance(interaction["response"]["status"], dict):
            return f"{where}: its response status is not a code and a message"
    return None


class _ReadableDumper(yaml.SafeDumper):
    """Multi-line bodies (server-sent event streams) as literal blocks, one event a line."""


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _represent_str)

# libyaml's parser when PyYAML has it (wheels do), else the pure-Python one.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ReadableYaml:
    """vcrpy serializer: a writer meant for code review, and a reader that knows exactly
    what the writer writes (cassette_yaml), with PyYAML's safe loader (libyaml when
    present) for anything else, such as a hand-edited cassette."""

    @staticmethod
    def serialize(cassette_dict: dict) -> str:
        return yaml.dump(cassette_dict, Dumper=_ReadableDumper, allow_unicode=True, width=100)

    @staticmethod
    def deserialize(text: str) -> dict:
        try:
            return cassette_yaml.load(text, YAML_LOADER.yaml_implicit_resolvers)
        except cassette_yaml.NotOurSubset:
            return yaml.load(text, Loader=YAML_LOADER)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename:
    a reader sees the old file or the new one, never half of one. The new file keeps the
    old one's permissions (a new file gets the umask's). The temporary file never stays
    behind, and a failure (a full disk, say) raises CassetteWriteError naming ``path``."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as problem:
        raise CassetteWriteError(str(path), problem) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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


@contextlib.contextmanager
def _no_copies_while_loading():
    """vcrpy deep-copies every interaction it loads, to protect a live response from the
    recording hooks; freshly parsed ones belong to nobody else. For a large cassette the
    copies were most of the start-up time."""
    import vcr.cassette
    import vcr.config

    class _Shallow:
        def __getattr__(self, name):
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value, memo=None):
            return value

    vcr.cassette.copy = vcr.config.copy = _Shallow()
    try:
        yield
    finally:
        vcr.cassette.copy = vcr.config.copy = copy


def open_cassette(
    path: Path, *, recording: bool, scrubber: Scrubber, custom_patches=(), after_save=None
):
    """Enter a vcrpy cassette and return (context manager, cassette).

    Replaying: record_mode none, so an unanswered request raises UnmatchedRequestError.
    The recorded interactions were scrubbed when they were written: loading them skips
    the scrubber (it still cleans every request being matched).
    Recording: record_mode all into ``path`` (started empty; the recorder gives a staging
    file, never a committed cassette), saved after every interaction, so a page that stops
    half-way leaves what it recorded for inspection.
    """
    if recording and path.exists():
        path.unlink()
    loading = not recording

    def request_hook(request):
        return request if loading else scrubber.request(request)

    def response_hook(response):
        return response if loading else scrubber.response(response)

    config = vcr.VCR(
        serializer="readable-yaml",
        record_mode="all" if recording else "none",
        match_on=MATCH_ON,
        before_record_request=request_hook,
        before_record_response=response_hook,
        decode_compressed_response=recording,  # stored decoded
        custom_patches=(*custom_patches, (_POOL, "urlopen", _serialized(_POOL.urlopen))),
    )
    config.register_serializer("readable-yaml", ReadableYaml)
    config.register_matcher("json_body", json_body)
    config.register_persister(CassetteFile())
    context = config.use_cassette(str(path))
    with contextlib.nullcontext() if recording else _no_copies_while_loading():
        cassette = context.__enter__()
    loading = False
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
