"""Which models each emulated service knows, loaded from catalog/oci.yaml and
catalog/gradient.yaml. Each file is `models:`, a list of entries:

    - id: cohere.command-a-03-2025
      vendor: cohere              # cohere | meta | xai | google | openai | …
      family: Command A           # a family name for the pages
      api_format: COHERE          # OCI only: COHERE, COHEREV2 or GENERIC
      owned_by: meta              # Gradient only, as /v1/models says
      created: 1738780431         # Gradient only, unix seconds
      status: active              # active | deprecated | retired, as the source said when read
      deprecated_on: null         # YYYY-MM-DD the vendor deprecated it (announced retirement)
      retired_on: null            # YYYY-MM-DD it leaves (left) on-demand serving: past or planned
      dedicated_retired_on: null  # OCI: YYYY-MM-DD it leaves dedicated AI clusters
      at_risk: null               # why it may go soon when no vendor date is known (prose)
      replacement: null           # the id suggested instead
      listed_by: vendor           # vendor | third-party: who says the id is served at all
      capabilities: {tools: true, parallel_tools: false, json_schema: true, vision: false,
                     reasoning: false, reasoning_trace: false, streaming_usage: true}
      kind: chat                  # chat (default) | embedding | rerank
      dimensions: 1024            # embedding: the vector length the model answers by default
      dimension_choices: [256]    # embedding: outputDimensions it accepts (none: not settable)
      max_input_tokens: 512       # embedding: the longest input, in tokens, before truncation
      quirks: {}                  # what the integration packages do specially, as prose
      sources:                    # at least one: url (or repo path), date read, what it says
        - {url: "https://docs.oracle.com/…", read: 2026-11-22, says: "…"}

The lifecycle is read with a date: `status_on(day)` is "retired" once `retired_on` has
passed (without a date, when the source said retired), "deprecated" from `deprecated_on` on
(or, with no such date, as soon as a retirement date is announced), else "active". The
emulator asks with `today()`: the real date, or NOTEBOOK_EMULATOR_TODAY (YYYY-MM-DD) where
a test fixes it. Every lifecycle date needs the vendor's word among `sources`, or `at_risk`
saying whose it is (tests/test_model_lifecycle.py checks it, and that no page runs a model
retired today).

A model's `capabilities` drive what the emulator accepts and answers: image parts only for
`vision`, several tool calls in one reply only for `parallel_tools`, reasoning content only
for `reasoning` (marked assumed unless `reasoning_trace`), a JSON-schema response format
unless `json_schema: false`. A capability left out is unknown. An embedding model with
`images: true` embeds images (inputType IMAGE). The chat route answers only `kind: chat`
models, embedText only `embedding` and rerankText only `rerank` ones; Gradient's chat route
refuses a non-chat model too.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class Model:
    id: str
    vendor: str = ""
    family: str = ""
    status: str = "active"  # active | deprecated | retired, as the source said when read
    deprecated_on: str | None = None
    retired_on: str | None = None  # on-demand retirement, past or planned
    dedicated_retired_on: str | None = None  # OCI dedicated AI clusters
    at_risk: str | None = None
    replacement: str | None = None
    listed_by: str = "vendor"  # vendor | third-party
    api_format: str | None = None  # OCI: COHERE or GENERIC
    owned_by: str | None = None  # Gradient: as /v1/models says
    created: int | None = None  # Gradient: unix seconds, as /v1/models says
    capabilities: dict = field(default_factory=dict)
    quirks: dict = field(default_factory=dict)
    sources: tuple = ()
    kind: str = "chat"  # chat | embedding | rerank
    dimensions: int | None = None
    dimension_choices: tuple = ()
    max_input_tokens: int | None = None

    def can(self, capability: str) -> bool:
        """True only when the catalog says so (omitted means unknown, taken as no)."""
        return self.capabilities.get(capability) is True

    def refuses(self, capability: str) -> bool:
        """True only when the catalog says explicitly that the model lacks it."""
        return self.capabilities.get(capability) is False

    @property
    def kind_phrase(self) -> str:
        """'a chat model', 'an embedding model', 'a rerank model': for refusals."""
        return f"a{'n' if self.kind[0] in 'aeiou' else ''} {self.kind} model"

    def status_on(self, day: dt.date) -> str:
        """active, deprecated or retired on `day`, from the dates the vendor published."""
        if self.retired_on:  # the date decides, whatever the source said on the day read
            if self.retired_on <= day.isoformat():
                return "retired"
        elif self.status == "retired":
            return "retired"
        if self.status == "deprecated":
            return "deprecated"
        if self.deprecated_on:  # announced on that day
            return "deprecated" if self.deprecated_on <= day.isoformat() else "active"
        return "deprecated" if self.retired_on else "active"  # a retirement date is announced

    @property
    def retired(self) -> bool:
        """Retired on the emulator's today()."""
        return self.status_on(today()) == "retired"

    @property
    def deprecated(self) -> bool:
        """Deprecated (a retirement announced) but still served on the emulator's today()."""
        return self.status_on(today()) == "deprecated"


TODAY_VARIABLE = "NOTEBOOK_EMULATOR_TODAY"


def today() -> dt.date:
    """The emulator's date: the real one, or NOTEBOOK_EMULATOR_TODAY where a test fixes it."""
    fixed = os.environ.get(TODAY_VARIABLE)
    if not fixed:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(fixed)
    except ValueError:
        raise ValueError(
            f"{TODAY_VARIABLE}={fixed!r} is not a date: write it as YYYY-MM-DD, or unset it"
        ) from None


_KEYS = {f for f in Model.__dataclass_fields__}


def _load(name: str) -> dict[str, Model]:
    data = yaml.safe_load((FOLDER / name).read_text(encoding="utf-8")) or {}
    models = {}
    for i, entry in enumerate(data.get("models") or []):
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ValueError(
                f"catalog/{name} entry {i + 1} ({entry.get('id')}) has unknown keys {unknown}: "
                "the schema is in catalog/__init__.py"
            )
        known = dict(entry)
        if "id" not in known:
            raise ValueError(f"catalog/{name} entry {i + 1} has no id")
        for key in ("deprecated_on", "retired_on", "dedicated_retired_on"):
            if known.get(key) is not None:
                known[key] = str(known[key])
        known["sources"] = tuple(known.get("sources") or ())
        known["capabilities"] = dict(known.get("capabilities") or {})
        known["quirks"] = dict(known.get("quirks") or {})
        known["dimension_choices"] = tuple(known.get("dimension_choices") or ())
        models[known["id"]] = Model(**known)
    return models


@functools.cache
def oci() -> dict[str, Model]:
    return _load("oci.yaml")


@functools.cache
def gradient() -> dict[str, Model]:
    return _load("gradient.yaml")
