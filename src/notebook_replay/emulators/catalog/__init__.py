"""Which models each emulated service knows, loaded from catalog/oci.yaml and
catalog/gradient.yaml. Each file is `models:`, a list of entries:

    - id: cohere.command-a-03-2025
      vendor: cohere              # cohere | meta | xai | google | openai | …
      family: Command A           # a family name for the pages
      api_format: COHERE          # OCI only: COHERE, COHEREV2 or GENERIC
      owned_by: meta              # Gradient only, as /v1/models says
      created: 1738780431         # Gradient only, unix seconds
      status: active              # active | deprecated | retired
      retired_on: null            # YYYY-MM-DD once retired from on-demand serving
      replacement: null           # the id suggested instead
      capabilities: {tools: true, parallel_tools: false, json_schema: true, vision: false,
                     reasoning: false, reasoning_trace: false, streaming_usage: true}
      kind: chat                  # OCI: chat (default) | embedding | rerank
      dimensions: 1024            # embedding: the vector length the model answers by default
      dimension_choices: [256]    # embedding: outputDimensions it accepts (none: not settable)
      max_input_tokens: 512       # embedding: the longest input, in tokens, before truncation
      quirks: {}                  # what the integration packages do specially, as prose
      sources:                    # at least one: url (or repo path), date read, what it says
        - {url: "https://docs.oracle.com/…", read: 2026-11-22, says: "…"}

A model's `capabilities` drive what the emulator accepts and answers: image parts only for
`vision`, several tool calls in one reply only for `parallel_tools`, reasoning content only
for `reasoning` (marked assumed unless `reasoning_trace`), a JSON-schema response format
unless `json_schema: false`. A capability left out is unknown. An embedding model with
`images: true` embeds images (inputType IMAGE). The chat route answers only `kind: chat`
models, embedText only `embedding` and rerankText only `rerank` ones.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class Model:
    id: str
    vendor: str = ""
    family: str = ""
    status: str = "active"  # active | deprecated | retired
    retired_on: str | None = None
    replacement: str | None = None
    api_format: str | None = None  # OCI: COHERE or GENERIC
    owned_by: str | None = None  # Gradient: as /v1/models says
    created: int | None = None  # Gradient: unix seconds, as /v1/models says
    capabilities: dict = field(default_factory=dict)
    quirks: dict = field(default_factory=dict)
    sources: tuple = ()
    kind: str = "chat"  # OCI: chat | embedding | rerank
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
    def retired(self) -> bool:
        return self.status == "retired"


_KEYS = {f for f in Model.__dataclass_fields__}


def _load(name: str) -> dict[str, Model]:
    data = yaml.safe_load((FOLDER / name).read_text(encoding="utf-8")) or {}
    models = {}
    for i, entry in enumerate(data.get("models") or []):
        known = {k: v for k, v in entry.items() if k in _KEYS}
        if "id" not in known:
            raise ValueError(f"catalog/{name} entry {i + 1} has no id")
        for key in ("retired_on",):
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
