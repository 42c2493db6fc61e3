"""The website page "What the emulators know, and how we know it", rendered from the
ledger (ledger/*.yaml) and the catalogs (catalog/*.yaml) when the site is built.

docs/emulators.md and docs/emulators.zh.md hold the prose and a `<!-- ledger -->` marker;
the MkDocs hook in tools/site_hooks.py replaces the marker with render(language), so the
page can never drift from the data the emulators run on.
"""

from __future__ import annotations

from . import VERSION, catalog, ledger

MARKER = "<!-- ledger -->"

TEXT = {
    "en": {
        "summary": "Emulator version {version}: {total} behaviours, {evidenced} evidenced, "
        "{contract} the OpenAI-compatible contract (not observed on the service), {assumed} "
        "assumed, {own} the emulator's own by design.",
        "gaps": "Only the assumed ones are gaps, guesses about a service: {assumed} remain "
        "({per_service}). The emulator's own (fixed timestamps, scripted faults, sampling "
        "that changes nothing, invented vectors) are choices, not claims about a service. "
        "`make record` against the real services writes a fidelity report beside each new "
        "cassette, naming the entries its answers are consistent with and those they "
        "contradict.",
        "per_service": "{service}: {count}",
        "separator": ", ",
        "short": {"gradient": "DigitalOcean Gradient", "oci": "OCI Generative AI"},
        "services": {
            "gradient": "DigitalOcean Gradient (ChatGradient)",
            "oci": "OCI Generative AI (ChatOCIGenAI, embeddings, rerank, guardrails)",
        },
        "groups": {
            "endpoint": "Endpoints",
            "auth": "Authentication",
            "error": "Errors",
            "validate": "Request validation",
            "control": "The request's controls",
            "response": "Responses",
            "format": "Response formats",
            "stream": "Streams",
            "serving": "Serving modes",
            "models": "Model listing",
            "catalog": "Model catalog",
            "fault": "Scripted faults",
            "embed": "Embeddings (embedText)",
            "rerank": "Rerank (rerankText)",
            "guardrails": "Guardrails (applyGuardrails)",
            "openai": "OpenAI-compatible routes (/openai/v1)",
            "script": "Reply-script problems",
        },
        "evidenced": "evidenced",
        "assumed": "assumed",
        "own": "the emulator's own",
        "contract": "OpenAI-compatible contract",
        "no_evidence": "no public evidence",
        "code": "code",
        "read": "read",
        "models": "Models the emulator knows",
        "columns": "| Model | Lifecycle | Capabilities | Source |",
        "active": {"active": "active", "deprecated": "deprecated", "retired": "retired"},
        "deprecated_on": "deprecated {date}",
        "retired_on": "on-demand retirement {date}",
        "replacement": "replacement {id}",
        "at_risk": "at risk: {why}",
        "third_party": "listed by third parties only",
        "none": "none listed",
    },
    "zh": {
        "summary": "模拟器版本 {version}：共 {total} 项行为，其中 {evidenced} 项有证据，"
        "{contract} 项依据 OpenAI 兼容契约（未在该服务上观察到），{assumed} 项为假设，"
        "{own} 项是模拟器有意为之的自有行为。",
        "gaps": "只有假设项是缺口，即对服务的猜测：还剩 {assumed} 项（{per_service}）。"
        "模拟器自有的行为（固定的时间戳、脚本化的故障、不起作用的采样参数、自造的向量）"
        "是设计选择，不是对服务的断言。对真实服务运行 `make record` 时，会在每个新录制的"
        "磁带旁写出一份保真度报告，列出真实回答与哪些条目一致、与哪些条目矛盾。",
        "per_service": "{service}：{count}",
        "separator": "，",
        "short": {"gradient": "DigitalOcean Gradient", "oci": "OCI 生成式 AI"},
        "services": {
            "gradient": "DigitalOcean Gradient（ChatGradient）",
            "oci": "OCI 生成式 AI（ChatOCIGenAI、嵌入、重排序、护栏）",
        },
        "groups": {
            "endpoint": "端点",
            "auth": "认证",
            "error": "错误",
            "validate": "请求校验",
            "control": "请求中的控制参数",
            "response": "响应",
            "format": "响应格式",
            "stream": "流式响应",
            "serving": "服务模式",
            "models": "模型列表",
            "catalog": "模型目录",
            "fault": "脚本化故障",
            "embed": "嵌入（embedText）",
            "rerank": "重排序（rerankText）",
            "guardrails": "护栏（applyGuardrails）",
            "openai": "OpenAI 兼容路由（/openai/v1）",
            "script": "回复脚本问题",
        },
        "evidenced": "有证据",
        "assumed": "假设",
        "own": "模拟器自有",
        "contract": "OpenAI 兼容契约",
        "no_evidence": "没有公开证据",
        "code": "代码",
        "read": "查阅于",
        "models": "模拟器知道的模型",
        "columns": "| 模型 | 生命周期 | 能力 | 来源 |",
        "active": {"active": "可用", "deprecated": "已弃用", "retired": "已退役"},
        "deprecated_on": "{date} 弃用",
        "retired_on": "{date} 停止按需服务",
        "replacement": "替代模型 {id}",
        "at_risk": "有退役风险：{why}",
        "third_party": "仅有第三方列出",
        "none": "未列出",
    },
}
_ORDER = list(TEXT["en"]["groups"])


def _escape(text: str) -> str:
    """Markdown-safe prose: `<` and `>` outside code spans are not HTML tags."""
    parts = str(text).split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _source(source: str) -> str:
    if source.startswith("http"):
        return f"<{source}>"
    return f"`{source}`"


def _entry(entry: dict, lang: str) -> list[str]:
    text = TEXT[lang]
    behaviour = entry["behaviour"] if lang == "en" else entry["behaviour_zh"]
    code = ", ".join(f"`{m}`" for m in ledger.code_of().get(entry["id"], ()))
    lines = [
        f"- **`{entry['id']}`** · *{text[entry['status']]}* · {_escape(behaviour)} "
        f"({text['code']}: {code})"
    ]
    for item in entry.get("evidence") or []:
        lines.append(
            f"    - {item['kind']}: {_source(str(item['source']))} "
            f"({text['read']} {item['read']}): {_escape(item['says'])}"
        )
    if not entry.get("evidence"):
        lines.append(f"    - {text['no_evidence']}")
    return lines


def _models(service: str, lang: str) -> list[str]:
    text = TEXT[lang]
    models = catalog.gradient() if service == "gradient" else catalog.oci()
    lines = [f"### {text['models']}", "", text["columns"], "| --- | --- | --- | --- |"]
    for model in sorted(models.values(), key=lambda m: m.id):
        parts = [text["active"].get(model.status, model.status)]
        if model.deprecated_on:  # "deprecated 2026-06-11" rather than "deprecated; deprecated …"
            dated = text["deprecated_on"].format(date=model.deprecated_on)
            parts = [dated] if model.status == "deprecated" else [*parts, dated]
        if model.retired_on:
            parts.append(text["retired_on"].format(date=model.retired_on))
        if model.replacement:
            parts.append(text["replacement"].format(id=f"`{model.replacement}`"))
        if model.listed_by == "third-party":
            parts.append(text["third_party"])
        if model.at_risk:
            parts.append(text["at_risk"].format(why=model.at_risk))
        capabilities = ", ".join(k for k, v in sorted(model.capabilities.items()) if v is True)
        source = next(iter(model.sources), {})
        url = source.get("url", "")
        cited = f"{_source(url)} ({text['read']} {source.get('read')})" if url else text["none"]
        cells = [f"`{model.id}`", "; ".join(parts), capabilities or text["none"], cited]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def render(lang: str = "en") -> str:
    text = TEXT[lang]
    entries = list(ledger.entries().values())
    counts = {s: sum(e["status"] == s for e in entries) for s in ledger.STATUSES}
    out = [
        text["summary"].format(version=VERSION, total=len(entries), **counts),
        "",
        text["gaps"].format(
            assumed=counts["assumed"],
            per_service=text["separator"].join(
                text["per_service"].format(
                    service=text["short"][service],
                    count=sum(
                        e["status"] == "assumed" and e["service"] == service for e in entries
                    ),
                )
                for service in ledger.SERVICES
            ),
        ),
        "",
    ]
    for service in ledger.SERVICES:
        out += [f"## {text['services'][service]}", ""]
        mine = [e for e in entries if e["service"] == service]
        for group in _ORDER:
            members = [e for e in mine if e["id"].split(".")[1] == group]
            if not members:
                continue
            out += [f"### {text['groups'][group]}", ""]
            for entry in members:
                out += _entry(entry, lang)
            out.append("")
        out += [*_models(service, lang), ""]
    return "\n".join(out)
