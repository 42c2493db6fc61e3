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


# Where the website's page on the emulators' evidence is, from a notebook page
# (/notebooks/<page>/ → /emulators/; the same path under /zh/ for the Chinese site).
LEDGER_PAGE = "../../emulators/"
MISSING = "missing"  # the key read() sets, instead of guessing, when a file says nothing


def read(cassette: Path) -> dict:
    """The provenance beside a cassette. A missing, unreadable or incomplete file gives
    {"missing": "<why>"}: nobody may then guess where the answers came from."""
    path = provenance_path(cassette)
    shown = f"{cassette.parent.name}/{path.name}"
    if not path.exists():
        return {MISSING: f"{shown} does not exist"}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as problem:
        reason = " ".join(str(problem).split())[:120]
        return {MISSING: f"{shown} cannot be read ({reason})"}
    if not isinstance(data, dict) or data.get("source") not in ("live", "emulated"):
        return {MISSING: f"{shown} does not say whether the answers are live or emulated"}
    return data


def describe(data: dict) -> str:
    """One phrase for the line a page prints: who answered, and when."""
    when = str(data.get("recorded_at", "an unknown date"))[:10]
    if data.get(MISSING):
        return f"of unknown origin: its provenance is missing ({data[MISSING]})"
    if data.get("source") == "live":
        return f"recorded live from {data.get('service', 'the service')} on {when}"
    by = data.get("emulator", "a local emulator")
    assumed = len(data.get("assumed") or [])
    rely = f"; {assumed} emulated behaviour(s) they rely on are assumptions" if assumed else ""
    return f"produced on {when} by {by}, not by the live service{rely}"


def banner_html(data: dict, *, service: str, cassette: str, count: int, sdks: tuple) -> str:
    """The box at the top of a replayed page, in English and Chinese (the website shows
    the reader's language; Jupyter shows both): where every output on the page came from."""
    when = escape(str(data.get("recorded_at", "?"))[:10])
    service, cassette = escape(service), escape(cassette)
    if data.get(MISSING):
        return _missing_box(escape(data[MISSING]), cassette=cassette, count=count)
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
    assumed = len(data.get("assumed") or [])
    if assumed:
        link_en = f'<a href="{LEDGER_PAGE}">what the emulators know, and how we know it</a>'
        link_zh = f'<a href="{LEDGER_PAGE}">模拟器的依据</a>'
        with_en += (
            f" {assumed} emulated behaviour{'' if assumed == 1 else 's'} these answers rely on "
            f"{'is an assumption' if assumed == 1 else 'are assumptions'}, not documented "
            f"behaviour of {service}: see {link_en}."
        )
        with_zh += (
            f"这些回答所依赖的模拟行为中有 {assumed} 项是假设，并非 {service} 有文档记载的行为："
            f"见{link_zh}。"
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


def _missing_box(why: str, *, cassette: str, count: int) -> str:
    return (
        '<div class="admonition danger replay-provenance">'
        '<p class="admonition-title" lang="en">Replayed answers of unknown origin: '
        "the provenance is missing</p>"
        '<p class="admonition-title" lang="zh-Hans">来源不明的回放回答：缺少来源记录</p>'
        f'<p lang="en">Every output on this page comes from running its code against '
        f"<code>{cassette}</code> ({count} recorded HTTP interactions), but {why}: "
        "nothing says whether a live service or an emulator produced them. Re-record the "
        "page to restore it.</p>"
        f'<p lang="zh-Hans">本页每个输出都来自针对 <code>{cassette}</code> 运行本页代码'
        f"（共 {count} 次录制的 HTTP 交互），但来源记录缺失（{why}）：无法确定这些回答来自真实服务"
        "还是模拟器。请重新录制本页。</p>"
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
        model = model_named(data)
        if model and model not in models:
            models.append(model)
    return models


def model_named(body) -> str | None:
    """The model a request body names: Gradient's and the OpenAI routes' `model`, OCI's
    `servingMode.modelId` (or a dedicated endpoint's `endpointId`)."""
    if not isinstance(body, dict):
        return None
    serving = body.get("servingMode") if isinstance(body.get("servingMode"), dict) else {}
    model = body.get("model") or serving.get("modelId") or serving.get("endpointId")
    return model if isinstance(model, str) else None
