"""Where a cassette's answers came from, kept beside it as <page>.provenance.yaml."""

from __future__ import annotations

import json
from html import escape
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
    "langchain",
    "langchain-openai",
    "openai",
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


def banner_html(data: dict, *, service: str, cassette: str, count: int, sdks: tuple) -> str:
    """The box at the top of a replayed page, in English and Chinese (the website shows
    the reader's language; Jupyter shows both): where every output on the page came from."""
    when = escape(str(data.get("recorded_at", "?"))[:10])
    service, cassette = escape(service), escape(cassette)
    packages = data.get("packages") or {}
    versions = [f"{escape(p)} {escape(str(packages[p]))}" for p in sdks if p in packages]
    with_en = f" Recorded with {', '.join(versions)}." if versions else ""
    with_zh = f"录制时的版本：{'、'.join(versions)}。" if versions else ""
    if data.get("source") == "live":
        kind = "info"
        title_en = f"Replayed answers, recorded live from {service} on {when}"
        title_zh = f"回放的回答：{when} 从 {service} 真实服务录制"
        origin_en = f"recorded live from {service} on {when}"
        origin_zh = f"{when} 从 {service} 真实服务录制"
    else:
        kind = "warning"
        by = escape(str(data.get("emulator", "a local emulator")))
        title_en = f"Replayed answers, produced by a local emulator, not by {service}"
        title_zh = f"回放的回答：由本地模拟器生成，并非来自 {service}"
        origin_en = f"produced on {when} by {by}, <strong>not by {service}</strong>"
        origin_zh = (
            f"由本地模拟器于 {when} 生成（{by}），<strong>并非来自 {service} 真实服务</strong>"
        )
    return (
        f'<div class="admonition {kind} replay-provenance">'
        f'<p class="admonition-title" lang="en">{title_en}</p>'
        f'<p class="admonition-title" lang="zh-Hans">{title_zh}</p>'
        f'<p lang="en">Every output on this page comes from running its code against '
        f"<code>{cassette}</code>: {count} recorded HTTP interactions, {origin_en}."
        f"{with_en} Set <code>NOTEBOOK_MODE=live</code> to call the real service.</p>"
        f'<p lang="zh-Hans">本页每个输出都来自针对 <code>{cassette}</code> 运行本页代码：'
        f"共 {count} 次录制的 HTTP 交互，{origin_zh}。{with_zh}"
        f"设置 <code>NOTEBOOK_MODE=live</code> 即可调用真实服务。</p>"
        "</div>"
    )


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
