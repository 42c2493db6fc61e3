"""Where a cassette's answers came from, kept beside it as <page>.provenance.yaml."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

# The packages whose request bytes a cassette depends on.
PACKAGES = (
    "langchain-core",
    "langchain-gradient",
    "pydo",
    "azure-core",
    "langchain-community",
    "langchain-oci",
    "oci",
    "vcrpy",
)


def provenance_path(cassette: Path) -> Path:
    return cassette.with_name(cassette.stem + ".provenance.yaml")


def read(cassette: Path) -> dict:
    path = provenance_path(cassette)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def describe(data: dict) -> str:
    """One phrase for the line a page prints: who answered, and when."""
    when = str(data.get("recorded_at", "an unknown date"))[:10]
    if data.get("source") == "live":
        return f"recorded live from {data.get('service', 'the service')} on {when}"
    if data.get("source") == "emulated":
        by = data.get("emulator", "a local emulator")
        return f"produced on {when} by {by}, not by the live service"
    return "of unknown provenance (no provenance file)"


def installed_versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def models_in(cassette_dict: dict) -> list[str]:
    """Model ids named by the recorded requests (Gradient `model`, OCI `servingMode`)."""
    models = []
    for request in cassette_dict.get("requests", []):
        body = request.body or b""
        try:
            data = json.loads(body)
        except (ValueError, TypeError):
            continue
        serving = data.get("servingMode") or {}
        model = data.get("model") or serving.get("modelId") or serving.get("endpointId")
        if model and model not in models:
            models.append(model)
    return models
