"""The web app's test set-up: its datasets as self-contained pages, and one Chromium for all."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from contracts.dashboard import Dashboard
from local_runtime.viewer import render_viewer
from tests.support import dashboards
from tests.support.browser import chromium


@dataclasses.dataclass(frozen=True)
class Dataset:
    name: str
    dashboard: Dashboard
    data: dict[str, Any]  # the JSON as the page receives it
    page: Path  # the self-contained page with it

    @property
    def url(self) -> str:
        return self.page.as_uri()


def _dataset(directory: Path, name: str, dashboard: Dashboard) -> Dataset:
    encoded = dashboards.encode_dashboard(dashboard)
    page = directory / f"{name}.html"
    page.write_text(render_viewer(encoded), "utf-8")
    return Dataset(name=name, dashboard=dashboard, data=json.loads(encoded), page=page)


@pytest.fixture(scope="session")
def pages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pages")


@pytest.fixture(scope="session")
def cc0(pages_dir: Path) -> Dataset:
    """The committed sample dashboard: the CC0 export through the local pipeline, offline."""
    data = json.loads(dashboards.SAMPLE_DASHBOARD.read_bytes())
    from contracts.codec import dashboard_decoder

    dashboard = dashboard_decoder.decode(dashboards.SAMPLE_DASHBOARD.read_bytes())
    dataset = _dataset(pages_dir, "cc0", dashboard)
    assert dataset.data == data
    return dataset


@pytest.fixture(scope="session")
def library(pages_dir: Path) -> Dataset:
    """A realistic 564-book library, enriched, every status represented."""
    return _dataset(pages_dir, "library", dashboards.synthetic(564, seed=11))


@pytest.fixture(scope="session")
def big(pages_dir: Path) -> Dataset:
    return _dataset(pages_dir, "big", dashboards.synthetic(10_000, seed=5, reject_rate=0.0))


@pytest.fixture(scope="session")
def empty(pages_dir: Path) -> Dataset:
    return _dataset(pages_dir, "empty", dashboards.empty())


@pytest.fixture(scope="session")
def partial(pages_dir: Path) -> Dataset:
    dataset = _dataset(pages_dir, "partial", dashboards.synthetic(300, seed=3, missing_rate=0.1))
    assert dataset.data["status"] == "PARTIAL" and dataset.data["counts"]["missing"] > 0
    return dataset


@pytest.fixture(scope="session")
def hostile(pages_dir: Path) -> Dataset:
    return _dataset(pages_dir, "hostile", dashboards.hostile())


DATASETS = ("cc0", "library", "big", "empty", "partial", "hostile")


@pytest.fixture(params=DATASETS)
def dataset(request: pytest.FixtureRequest) -> Dataset:
    value: Dataset = request.getfixturevalue(request.param)
    return value


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched
