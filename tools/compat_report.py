"""The compatibility report `make compat` writes, and what is made from it.

`tools/compat.py` replays every page under strict nbval with several sets of package
versions (the lock, the newest releases, the oldest the project claims) and writes
`compat/report.json` in the format below, plus `compat/report.md` for people. The site
hook renders each notebook page's "Tested with" table from the same file. Everything here
is offline and pure: the unit tests drive it with a fixture report.

Format 1:

    {"format": 1, "tested_on": "YYYY-MM-DD", "generated_at": ISO time, "python": "3.11.7",
     "claims": "what pyproject.toml claims",
     "packages": [tracked package names],
     "newest_releases": {package: version},
     "sets": [{"name": "locked" | "newest" | "newest-released" | "oldest", "title": str,
               "how": str, "status": "ran" | "unresolvable" | "skipped",
               "problem": str | null, "versions": {package: version},
               "held_back": {package: {"newest_release": version, "why": str,
                                        "pinned": true if another package's bound holds it}}}],
     "pages": {page: {"notebooks": [file names], "packages": [package names],
                      "results": {set name: {"result": "passed" | "failed" | "not-run",
                                             "cells": [cell failure]}}}}}

A cell failure: {"notebook": file name, "cell": nbval's cell number, "id": cell id,
"kind": "unmatched-request" | "output-changed" | "exception", "field": str | null (for an
unmatched request, what the closest recorded request differs in: the matcher, such as
`path` or `query`, or for a body the JSON path, such as `body.messages[0].content`), "detail": str}.
"""

from __future__ import annotations

import re
from html import escape

FORMAT = 1
SET_NAMES = ("locked", "oldest", "newest", "newest-released")
SET_STATUSES = ("ran", "unresolvable", "skipped")
RESULTS = ("passed", "failed", "not-run")
KINDS = ("unmatched-request", "output-changed", "exception")
# Where a failure's text names why the closest recorded request did not answer
# (notebook_replay.errors.UnmatchedRequestError).
_UNMATCHED = re.compile(r"No interaction in the cassette|CannotOverwriteExistingCassette")
_DIFFERS = re.compile(r"The closest recorded request differs in (?P<field>[^:\n]+):(?P<how>[^\n]*)")
_ALREADY_PLAYED = "already played"
DETAIL_LIMIT = 600


class ReportError(ValueError):
    """The report does not have the format this module reads."""


# --- Classifying one failed cell -----------------------------------------------------


def classify(record: dict) -> dict:
    """One nbval cell failure, as recorded by tools/compat_nbval.py, in the report's terms.

    An error whose text is the helper's UnmatchedRequestError means the page now sends a
    request the cassette cannot answer (the SDK or LangChain changed what goes on the
    wire); its `field` is what the closest recorded request differs in. Any other error in
    a cell that should not raise is an `exception`; a cell that ran but printed something
    else (including a different error in a cell that shows one on purpose) is
    `output-changed`.
    """
    errors = record.get("errors") or []
    error_text = "\n".join(f"{e.get('ename')}: {e.get('evalue')}" for e in errors)
    text = "\n".join(filter(None, [error_text, record.get("message") or ""]))
    base = {"notebook": record["notebook"], "cell": record.get("cell"), "id": record.get("id")}
    if _UNMATCHED.search(text):
        differs = _DIFFERS.search(text)
        if differs:
            # The vcrpy matcher that failed (method, host, path, query, json_body); for a
            # body, the JSON path the helper names (body.messages[0].content).
            field = differs["field"].strip()
            path = re.match(r"\s*(body[^\s:]*)", differs["how"])
            field = path[1] if path else field
            how = f"{differs['field'].strip()}:{differs['how']}".strip()
        elif _ALREADY_PLAYED in text:
            field, how = "order", "the request was already answered once (it is sent twice now)"
        else:
            field, how = None, _first_line(text)
        return {**base, "kind": "unmatched-request", "field": field, "detail": _cut(how)}
    if (record.get("message") or "").startswith("Cell outputs differ"):
        detail = record.get("comparison") or ""
        if errors:
            detail = f"{error_text}\n{detail}"
        return {**base, "kind": "output-changed", "field": None, "detail": _cut(detail.strip())}
    return {
        **base,
        "kind": "exception",
        "field": None,
        "detail": _cut(error_text or record.get("message") or "the cell failed"),
    }


def short_why(why: str) -> str:
    """A held-back reason without the resolver's concluding clauses or a final stop."""
    return why.split(", we can conclude")[0].rstrip(". ")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _cut(text: str) -> str:
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 2] + " …"


def page_result(records: list[dict]) -> dict:
    """A page's result for one version set, from its notebooks' cell records."""
    failed = [classify(r) for r in records if r.get("outcome") == "failed"]
    ran = any(r.get("outcome") in ("passed", "failed") for r in records)
    return {
        "result": "failed" if failed else ("passed" if ran else "not-run"),
        "cells": failed,
    }


# --- Checking a report ---------------------------------------------------------------


def validate(report: object) -> dict:
    """Return the report if it has format 1, else raise ReportError saying what is wrong."""

    def need(condition: bool, what: str) -> None:
        if not condition:
            raise ReportError(f"compat report: {what}")

    need(isinstance(report, dict), "not a JSON object")
    need(report.get("format") == FORMAT, f"format is {report.get('format')!r}, not {FORMAT}")
    need(
        isinstance(report.get("tested_on"), str)
        and re.fullmatch(r"\d{4}-\d{2}-\d{2}", report["tested_on"]),
        "tested_on is not a YYYY-MM-DD date",
    )
    for key in ("packages", "sets"):
        need(isinstance(report.get(key), list), f"{key} is not a list")
    need(isinstance(report.get("pages"), dict), "pages is not an object")
    names = []
    for s in report["sets"]:
        need(isinstance(s, dict) and s.get("name") in SET_NAMES, f"unknown set {s!r:.80}")
        need(s.get("status") in SET_STATUSES, f"set {s['name']}: status {s.get('status')!r}")
        need(isinstance(s.get("versions"), dict), f"set {s['name']}: versions is not an object")
        names.append(s["name"])
    need("locked" in names, "no locked set")
    for page, entry in report["pages"].items():
        need(isinstance(entry.get("packages"), list), f"page {page}: packages is not a list")
        for name, result in (entry.get("results") or {}).items():
            need(name in names, f"page {page}: result for unknown set {name!r}")
            need(result.get("result") in RESULTS, f"page {page}/{name}: {result.get('result')!r}")
            for cell in result.get("cells", []):
                need(cell.get("kind") in KINDS, f"page {page}/{name}: kind {cell.get('kind')!r}")
    return report


def ran_sets(report: dict) -> list[dict]:
    order = {name: i for i, name in enumerate(SET_NAMES)}
    return sorted(
        (s for s in report["sets"] if s["status"] == "ran"), key=lambda s: order[s["name"]]
    )


def failing_sets(report: dict, page: str) -> list[str]:
    """The version sets, other than the lock, that a page does not replay with."""
    results = report["pages"].get(page, {}).get("results", {})
    return [
        s["name"]
        for s in ran_sets(report)
        if s["name"] != "locked" and results.get(s["name"], {}).get("result") == "failed"
    ]


# --- For people: the Markdown report -------------------------------------------------

_TITLES = {
    "en": {
        "locked": "Locked",
        "oldest": "Oldest claimed",
        "newest": "Newest",
        "newest-released": "Newest, pins lifted",
    },
    "zh": {
        "locked": "锁定版本",
        "oldest": "声明支持的最旧版本",
        "newest": "最新版本",
        "newest-released": "最新（解除上限）",
    },
}


def markdown(report: dict) -> str:
    """compat/report.md: what was tried, and per page what held and what broke."""
    sets = ran_sets(report)
    lines = [
        f"# Compatibility report, {report['tested_on']}",
        "",
        f"Written by `make compat` with Python {report.get('python', '?')}: every page, in "
        "every language, replayed against its committed cassette under strict nbval (as "
        "`make test` does) with each set of package versions below.",
        "",
        f"What the project claims: {report.get('claims', '(not recorded)')}",
        "",
        "## Version sets",
        "",
    ]
    for s in report["sets"]:
        state = "" if s["status"] == "ran" else f" ({s['status']}: {s.get('problem') or ''})"
        lines.append(f"- **{s['name']}**: {s.get('how', '')}{state}")
    lines += ["", "| Package | " + " | ".join(s["name"] for s in sets) + " | newest release |"]
    lines.append("| --- " * (len(sets) + 2) + "|")
    for package in report["packages"]:
        row = [s["versions"].get(package, "–") for s in sets]
        release = report.get("newest_releases", {}).get(package, "?")
        lines.append(f"| {package} | " + " | ".join(row) + f" | {release} |")
    held: dict[tuple, list[str]] = {}
    for s in sets:
        for p, h in (s.get("held_back") or {}).items():
            held.setdefault((p, h["newest_release"], h["why"]), []).append(s["name"])
    if held:
        lines += ["", "Newest releases not installed, and why:", ""]
        lines += [
            f"- {p} {release} (in {', '.join(names)}): {short_why(why)}"
            for (p, release, why), names in held.items()
        ]
    lines += ["", "## Pages", ""]
    for page, entry in report["pages"].items():
        lines += [f"### {page}", ""]
        for s in sets:
            result = entry.get("results", {}).get(s["name"], {"result": "not-run", "cells": []})
            cells = result.get("cells", [])
            summary = result["result"] + (f", {len(cells)} cell failures" if cells else "")
            lines.append(f"- **{s['name']}**: {summary}")
            shown = [
                c for n in entry["notebooks"] for c in [x for x in cells if x["notebook"] == n][:4]
            ]
            for cell in shown:
                field = f" ({cell['field']})" if cell.get("field") else ""
                detail = " ".join(cell["detail"].split())[:300]
                lines.append(
                    f"  - `{cell['notebook']}` cell {cell['cell']} `{cell.get('id')}`: "
                    f"{cell['kind']}{field}: {detail}"
                )
            if len(shown) < len(cells):
                lines.append(
                    f"  - and {len(cells) - len(shown)} more after the first four of each "
                    "notebook (a first failure often cascades); all are in report.json"
                )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- On the site: the "Tested with" box ----------------------------------------------

_PHRASES = {
    "en": {
        "oldest": "the oldest versions pyproject.toml allows",
        "newest": "the newest releases",
        "newest-released": "the newest releases (upper bounds overridden)",
    },
    "zh": {
        "oldest": "pyproject.toml 允许的最旧版本",
        "newest": "最新发布的版本",
        "newest-released": "最新发布的版本（忽略版本上限）",
    },
}

# The packages a page's one-line summary names (the rest are in the folded table).
HEADLINE_PACKAGES = ("langchain-gradient", "langchain-oci")

_TEXT = {
    "en": {
        "title": "Tested with",
        "broken": "This page does not replay as shown with the newest releases",
        "ahead_broken": "This page does not replay once releases that other packages still "
        "hold back are forced in",
        "oldest_broken": "This page does not replay with the oldest versions the project "
        "claims to support",
        "broken_body": "Replayed on {date} with {sets}, {n} cell(s) of this page differ from "
        "what is shown here, first cell <code>{cell}</code>: {kind}. The page shows what "
        "the locked versions produce.",
        "package": "Package",
        "result": "Result",
        "passed": "✅ replays as shown",
        "failed": "❌ {n} cell(s) differ",
        "not-run": "not run",
        "date": "Every page replayed against its cassette under strict nbval by "
        "<code>make compat</code> on {date}.",
        "held": "{package} {release} is released but was not installed: {why}.",
        "untested": "This page is newer than the last <code>make compat</code> report "
        "({date}): it has not been replayed with other versions yet.",
        "stale": "The lock has changed since this report ({changes}): run "
        "<code>make compat</code> again.",
        "kinds": {
            "unmatched-request": "the request no longer matches the cassette",
            "output-changed": "the output changed",
            "exception": "an exception",
        },
    },
    "zh": {
        "title": "测试所用版本",
        "broken": "使用最新发布的版本时，本页无法按所示内容回放",
        "ahead_broken": "强制装入仍被其他包的版本上限挡住的新版本后，本页无法回放",
        "oldest_broken": "使用项目声明支持的最旧版本时，本页无法回放",
        "broken_body": "{date} 使用{sets}回放时，本页有 {n} 个单元格与此处所示不同，"
        "首个为 <code>{cell}</code>：{kind}。本页显示的是锁定版本产生的结果。",
        "package": "包",
        "result": "结果",
        "passed": "✅ 回放结果与页面一致",
        "failed": "❌ {n} 个单元格不同",
        "not-run": "未运行",
        "date": "{date} 由 <code>make compat</code> 在严格 nbval 下"
        "针对录制的 cassette 回放了每个页面。",
        "held": "{package} {release} 已发布但未被安装：{why}。",
        "untested": "本页晚于上一次 <code>make compat</code> 报告（{date}）："
        "尚未用其他版本回放过。",
        "stale": "此报告之后锁定版本已改变（{changes}）：请重新运行 <code>make compat</code>。",
        "kinds": {
            "unmatched-request": "请求已与 cassette 不匹配",
            "output-changed": "输出已改变",
            "exception": "抛出了异常",
        },
    },
}


_SHORT = {
    "en": {
        "locked": "locked",
        "oldest": "oldest",
        "newest": "newest",
        "newest-released": "newest past pins",
    },
    "zh": {
        "locked": "锁定",
        "oldest": "最旧",
        "newest": "最新",
        "newest-released": "解除上限的最新",
    },
}


def _listed(names: list[str], language: str) -> str:
    """'locked, oldest, newest' / '锁定、最旧、最新': a summary line's set names (the
    folded table says what each set installed)."""
    return ("、" if language == "zh" else ", ").join(_SHORT[language][n] for n in names)


def lock_changes(report: dict, page: str, installed: dict[str, str]) -> dict[str, tuple]:
    """The page's packages whose installed (locked) version is not the one the report
    tested as `locked`: {package: (in the report, installed now)}."""
    locked = next((s["versions"] for s in report["sets"] if s["name"] == "locked"), {})
    packages = report["pages"].get(page, {}).get("packages", [])
    return {
        p: (locked.get(p), installed[p])
        for p in packages
        if p in installed and locked.get(p) != installed[p]
    }


def tested_with_html(
    report: dict, page: str, language: str, installed: dict[str, str] | None = None
) -> str:
    """The box a notebook page shows under its provenance box, in the page's language.

    A table of the page's packages by version set (locked, oldest claimed, newest...) with
    a result row and the date; when a set other than the lock fails, a failure box that
    says so and names the first cell that differs. Given the versions installed now, it
    also says when the lock has moved since the report was made."""
    text, titles = _TEXT[language], _TITLES[language]
    entry = report["pages"].get(page)
    lang = "zh-Hans" if language == "zh" else "en"
    if entry is None:  # a page added since the last run
        return (
            f'<details class="info tested-with" lang="{lang}">'
            f'<summary class="admonition-title"><strong>{text["title"]}</strong></summary>'
            f"<p>{text['untested'].format(date=escape(report['tested_on']))}</p></details>"
        )
    sets = ran_sets(report)
    results = entry.get("results", {})
    head = "".join(f"<th>{escape(titles[s['name']])}</th>" for s in sets)
    rows = []
    for package in entry["packages"]:
        locked = sets[0]["versions"].get(package) if sets else None
        cells = []
        for s in sets:
            version = s["versions"].get(package, "–")
            newer = s["name"] != "locked" and version != locked
            cells.append(
                f"<td>{'<strong>' if newer else ''}{escape(version)}"
                f"{'</strong>' if newer else ''}</td>"
            )
        rows.append(f"<tr><td><code>{escape(package)}</code></td>{''.join(cells)}</tr>")
    outcome = []
    for s in sets:
        result = results.get(s["name"], {"result": "not-run", "cells": []})
        label = text[result["result"]].format(n=len(result.get("cells", [])))
        outcome.append(f'<td class="compat-{result["result"]}">{label}</td>')
    rows.append(f"<tr><th>{text['result']}</th>{''.join(outcome)}</tr>")
    notes = [
        text["held"].format(
            package=escape(p), release=escape(h["newest_release"]), why=escape(short_why(h["why"]))
        )
        for s in sets
        if s["name"] == "newest"
        for p, h in (s.get("held_back") or {}).items()
        if p in entry["packages"]
    ]
    date = escape(report["tested_on"])
    table = (
        f"<table><thead><tr><th>{text['package']}</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    footer = "".join(f"<p>{note}</p>" for note in dict.fromkeys(notes))
    footer += f'<p class="compat-date">{text["date"].format(date=date)}</p>'
    moved = lock_changes(report, page, installed or {})
    if moved:
        changes = ", ".join(
            f"{escape(p)} {escape(str(a))} → {escape(b)}" for p, (a, b) in moved.items()
        )
        footer += f'<p class="compat-stale">{text["stale"].format(changes=changes)}</p>'
    failing = failing_sets(report, page)
    # What a reader's install gets today (newest) failing is a failure; releases no
    # resolver installs yet (newest-released, past other packages' bounds) and the oldest
    # claimed versions are warnings.
    newest = [name for name in failing if name == "newest"]
    kind = "failure" if newest else ("warning" if failing else "info")
    passed = [s["name"] for s in sets if results.get(s["name"], {}).get("result") == "passed"]
    joiner = "、" if language == "zh" else ", "
    # One line: what replays as shown (✅) and, if any, what differs (❌).
    result = " · ".join(
        f"{mark} {_listed(names, language)}"
        for mark, names in (("✅", passed), ("❌", failing))
        if names
    )
    versions = joiner.join(
        f"{escape(p)} {escape(sets[0]['versions'].get(p, '–'))}"
        for p in HEADLINE_PACKAGES
        if p in entry["packages"] and sets
    )
    summary = " · ".join(part for part in (versions, result, date) if part)
    # Folded: one line on the page; a failure with the newest releases opens itself.
    html = (
        f'<details class="{kind} tested-with" lang="{lang}"{" open" if newest else ""}>'
        f'<summary class="admonition-title"><strong>{text["title"]}</strong> · '
        f"{summary}</summary>"
    )
    for names, css, headline in (
        (newest, "compat-broken", text["broken"]),
        ([n for n in failing if n == "newest-released"], "compat-ahead", text["ahead_broken"]),
        ([n for n in failing if n == "oldest"], "compat-oldest", text["oldest_broken"]),
    ):
        if not names:
            continue
        cells = results[names[0]]["cells"]
        first = cells[0] if cells else {"id": "?", "kind": "exception", "detail": ""}
        what = text["kinds"][first["kind"]]
        if first.get("detail"):
            what += f" ({' '.join(first['detail'].split())[:160]})"
        html += (
            f'<p class="{css}"><strong>{headline}</strong>. '
            + text["broken_body"].format(
                date=date,
                sets=joiner.join(_PHRASES[language][n] for n in names),
                n=max(len(results[n]["cells"]) for n in names),
                cell=escape(str(first.get("id"))),
                kind=escape(what),
            )
            + "</p>"
        )
    return html + table + footer + "</details>"


def broken_pages(report: dict) -> list[str]:
    """The pages that do not replay with the newest releases readers install."""
    return [
        page
        for page, entry in report["pages"].items()
        if entry.get("results", {}).get("newest", {}).get("result") == "failed"
    ]


def main(argv: list[str]) -> int:
    """`python tools/compat_report.py broken compat/report.json` prints `broken=<pages>`
    (comma-separated, empty when none) for a CI step's $GITHUB_OUTPUT."""
    import json
    import sys

    if len(argv) != 2 or argv[0] != "broken":
        print("usage: compat_report.py broken REPORT.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        report = validate(json.load(file))
    print(f"broken={','.join(broken_pages(report))}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
