"""Models have a lifecycle: no page runs a retired one, and every date has a vendor's word.

The first test is the only one in the suite that reads the calendar: it fails on the day a
model a page runs retires (and warns 30 days before). Every other test here fixes the date,
so that nothing else changes on a day when a model retires.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from urllib.parse import urlparse

import pytest

from notebook_replay.emulators import catalog
from notebook_replay.recording import lifecycle

# Who may date a model's lifecycle: the service's vendor, or the model's maker for a model
# the service proxies (OpenAI's shutdown of gpt-5 ends it on DigitalOcean too).
VENDOR_HOSTS = {
    "oci": (
        "docs.oracle.com",
        "blogs.oracle.com",
        "docs.public.oneportal.content.oci.oraclecloud.com",  # Oracle's own docs host
        "oracle.hydrogen.sagittarius.connect.product.adaptavist.com",  # a copy of docs.oracle.com
    ),
    "gradient": ("docs.digitalocean.com", "www.digitalocean.com", "digitalocean.com"),
}
MAKER_HOSTS = (
    "platform.openai.com",
    "developers.openai.com",
    "openai.com",
    "docs.anthropic.com",
    "docs.claude.com",
    "platform.claude.com",
    "docs.x.ai",
    "ai.google.dev",
    "cloud.google.com",
    "docs.cohere.com",
)


class ModelRetiresSoon(UserWarning):
    """A page runs a model whose retirement date is less than 30 days away."""


def test_no_page_runs_a_model_retired_today_and_those_retiring_soon_are_named():
    today = dt.date.today()
    problems, soon = lifecycle.findings(today)
    for finding in soon:
        warnings.warn(ModelRetiresSoon(str(finding)), stacklevel=1)
    assert not problems, (
        f"On {today} these pages run retired models (move the cells to the replacement and "
        "re-record, or tag a cell that shows the retirement error on purpose "
        f"'{lifecycle.DECLARED_TAG}'):\n" + "\n".join(str(f) for f in problems)
    )


# --- The check itself, on a page of its own and fixed dates ----------------------------


def _model(**fields) -> catalog.Model:
    return catalog.Model(**{"id": "acme.model-1", "status": "active", **fields})


def _page(
    tmp_path: Path, model: str, tags=(), status: int = 200, headers="{}"
) -> tuple[Path, Path]:
    notebooks, cassettes = tmp_path / "notebooks", tmp_path / "cassettes"
    notebooks.mkdir()
    cassettes.mkdir()
    cell = {
        "cell_type": "code",
        "id": "ask",
        "metadata": {"tags": list(tags)},
        "source": [f'llm = Chat(model="{model}")\n', 'llm.invoke("Hi")'],
        "outputs": [],
        "execution_count": None,
    }
    (notebooks / "demo.ipynb").write_text(json.dumps({"cells": [cell]}))
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hi"}]})
    (cassettes / "demo.yaml").write_text(
        "interactions:\n- request:\n"
        f"    body: '{body}'\n    headers: {{}}\n    method: POST\n"
        "    uri: https://example.invalid/v1/chat/completions\n"
        f"  response:\n    body:\n      string: '{{}}'\n    headers: {headers}\n"
        f"    status:\n      code: {status}\n      message: X\nversion: 1\n"
    )
    return notebooks, cassettes


def _findings(tmp_path, day, model, **page):
    notebooks, cassettes = _page(tmp_path, model.id, **page)
    return lifecycle.findings(
        day, notebooks=notebooks, cassettes=cassettes, models={model.id: model}
    )


RETIRING = _model(retired_on="2026-12-11", replacement="acme.model-2")


def test_a_model_retiring_within_30_days_is_named_with_its_cell_and_replacement(tmp_path):
    problems, soon = _findings(tmp_path, dt.date(2026, 12, 10), RETIRING)
    assert problems == []
    assert [str(f) for f in soon] == [
        "demo: acme.model-1 retires on 2026-12-11 (cell ask); use acme.model-2 instead"
    ]


def test_a_model_retiring_later_than_30_days_is_not_named(tmp_path):
    assert _findings(tmp_path, dt.date(2026, 11, 10), RETIRING) == ([], [])


def test_a_page_running_a_model_on_its_retirement_day_fails(tmp_path):
    problems, soon = _findings(tmp_path, dt.date(2026, 12, 11), RETIRING)
    assert [str(f) for f in problems] == [
        "demo: acme.model-1 retired on 2026-12-11 (cell ask); use acme.model-2 instead"
    ]
    assert soon == []


def test_a_cell_showing_the_retirement_error_on_purpose_declares_it(tmp_path):
    tagged = {"tags": [lifecycle.DECLARED_TAG], "status": 400}
    assert _findings(tmp_path, dt.date(2027, 1, 1), RETIRING, **tagged) == ([], [])


def test_a_declared_cell_recorded_while_the_model_was_deprecated_shows_the_notice(tmp_path):
    """OCI's model-retirement-info header in the recorded answer: the cell is about it."""
    notice = "{model-retirement-info: ['2026-12-11T00:00:00.000Z']}"
    tagged = {"tags": [lifecycle.DECLARED_TAG], "status": 200, "headers": notice}
    assert _findings(tmp_path, dt.date(2027, 1, 1), RETIRING, **tagged) == ([], [])


def test_a_declared_cell_whose_answer_was_not_an_error_still_fails(tmp_path):
    tagged = {"tags": [lifecycle.DECLARED_TAG], "status": 200}
    problems, _ = _findings(tmp_path, dt.date(2027, 1, 1), RETIRING, **tagged)
    assert [f.model for f in problems] == ["acme.model-1"]


def test_a_model_the_vendor_already_called_retired_fails_without_a_date(tmp_path):
    gone = _model(status="retired")
    problems, _ = _findings(tmp_path, dt.date(2020, 1, 1), gone)
    assert "(date not published)" in str(problems[0])


@pytest.mark.parametrize(
    ("day", "status"),
    [("2026-10-31", "active"), ("2026-11-01", "deprecated"), ("2026-12-11", "retired")],
)
def test_a_models_status_follows_its_dates(day, status):
    model = _model(deprecated_on="2026-11-01")
    dated = _model(deprecated_on="2026-11-01", retired_on="2026-12-11")
    announced = _model(retired_on="2026-12-11")  # no deprecation date: deprecated until then
    assert dated.status_on(dt.date.fromisoformat(day)) == status
    assert model.status_on(dt.date.fromisoformat(day)) == (
        "active" if status == "active" else "deprecated"
    )
    assert announced.status_on(dt.date.fromisoformat(day)) == (
        "retired" if status == "retired" else "deprecated"
    )


def test_the_emulators_calendar_is_fixed_in_tests_and_a_bad_date_is_named(monkeypatch):
    assert catalog.today() == dt.date(2026, 12, 8)
    monkeypatch.setenv(catalog.TODAY_VARIABLE, "8 Dec")
    with pytest.raises(ValueError, match="NOTEBOOK_EMULATOR_TODAY='8 Dec' is not a date"):
        catalog.today()


# --- The catalogs' evidence -----------------------------------------------------------


def _catalogs():
    for service, models in (("oci", catalog.oci()), ("gradient", catalog.gradient())):
        for model in models.values():
            yield service, model


# The vendor's own code speaks for it too: its GitHub organisation and its packages.
VENDOR_CODE = {
    "oci": ("oracle/", "https://github.com/oracle/", "langchain_oci/"),
    "gradient": ("digitalocean/", "https://github.com/digitalocean/", "langchain_gradient/"),
}


def _host(url: str) -> str:
    return urlparse(url).netloc.lower() if "://" in url else ""


def _vendors(service: str, model: catalog.Model, makers: bool = False) -> list[dict]:
    hosts = VENDOR_HOSTS[service] + (MAKER_HOSTS if makers else ())
    return [
        s
        for s in model.sources
        if _host(s["url"]) in hosts or s["url"].startswith(VENDOR_CODE[service])
    ]


@pytest.mark.parametrize(("service", "model"), list(_catalogs()), ids=lambda v: getattr(v, "id", v))
def test_every_lifecycle_date_cites_a_vendor_page_read_on_a_date(service, model):
    assert model.sources, f"{model.id} cites no source"
    for source in model.sources:
        assert {"url", "read", "says"} <= set(source), (model.id, source)
        assert isinstance(source["read"], dt.date), (model.id, source)
    dated = any((model.deprecated_on, model.retired_on, model.dedicated_retired_on))
    if dated or model.status != "active":
        assert _vendors(service, model, makers=True) or model.at_risk, (
            f"{model.id}: a lifecycle date or status needs the vendor's word "
            f"({VENDOR_HOSTS[service][0]} or the model's maker), or at_risk saying whose it is"
        )


@pytest.mark.parametrize(("service", "model"), list(_catalogs()), ids=lambda v: getattr(v, "id", v))
def test_an_id_called_current_has_the_vendors_word_or_says_it_has_not(service, model):
    assert model.listed_by in ("vendor", "third-party"), model.id
    if model.listed_by == "vendor" and model.status_on(dt.date(2026, 12, 8)) != "retired":
        assert _vendors(service, model), (
            f"{model.id} is listed_by: vendor but cites no {VENDOR_HOSTS[service][0]} page "
            "nor the vendor's own code; cite one or set listed_by: third-party"
        )


@pytest.mark.parametrize(("service", "model"), list(_catalogs()), ids=lambda v: getattr(v, "id", v))
def test_a_replacement_is_a_model_the_catalog_knows(service, model):
    models = catalog.oci() if service == "oci" else catalog.gradient()
    if model.replacement:
        assert model.replacement in models, f"{model.id} → unknown {model.replacement}"
        assert model.replacement != model.id
