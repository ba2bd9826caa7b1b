"""The web app's copies of server-side rules agree with the originals: the standalone page's
image hosts with contracts/site.py (which CloudFront's and `serve`'s headers come from), and the
upload page's checks with the API's size limit and the orchestrator's required columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

from contracts import site
from contracts.storage import MAX_UPLOAD_BYTES
from local_runtime.viewer import render_viewer
from services.orchestrator.export_format import REQUIRED_COLUMNS

WEB = Path(__file__).resolve().parents[2] / "web"


def _policy(page: str) -> dict[str, str]:
    match = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert match is not None
    return dict(part.strip().split(" ", 1) for part in match.group(1).split(";"))


def test_the_standalone_page_loads_images_from_the_sites_cover_hosts_only() -> None:
    directives = _policy(render_viewer(b'{"type": "dashboard.v1"}'))
    assert directives["img-src"].split() == list(site.COVER_ORIGINS)
    served = dict(part.split(" ", 1) for part in site.content_security_policy().split("; "))
    assert served["img-src"].split() == ["'self'", *site.COVER_ORIGINS]


def test_the_app_checks_covers_against_the_same_hosts() -> None:
    links = (WEB / "src/data/links.ts").read_text()
    hosts = re.search(r"COVER_HOSTS = new Set\(\[([^\]]*)\]\)", links)
    assert hosts is not None
    assert json.loads(f"[{hosts.group(1)}]") == [
        origin.removeprefix("https://") for origin in site.COVER_ORIGINS
    ]


def test_the_upload_page_refuses_what_the_api_and_the_orchestrator_would() -> None:
    upload = (WEB / "src/data/upload.ts").read_text()
    limit = re.search(r"MAX_UPLOAD_BYTES = (\d+) \* (\d+) \* (\d+);", upload)
    assert limit is not None
    assert int(limit.group(1)) * int(limit.group(2)) * int(limit.group(3)) == MAX_UPLOAD_BYTES
    columns = re.search(r"REQUIRED_COLUMNS = \[([^\]]*)\] as const", upload)
    assert columns is not None
    assert tuple(json.loads(f"[{columns.group(1)}]")) == REQUIRED_COLUMNS
