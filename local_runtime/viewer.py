"""dashboard.html: the web app (web/) as one self-contained page, with a dashboard inside.

The page is the app's `standalone.html` build: its script and stylesheet are inline, allowed by
hash in the page's own Content-Security-Policy, so it opens from `file://` without a server or a
network. The dashboard's JSON goes into an inert `application/json` element, with `<`, `>` and
`&` written as JSON escapes so that no string can end the element; the app shows every value
as text.

The template is a build product of web/ (`./pants package web:site` or `npm run build` in web/),
carried by the pex and the Pants sandbox as the resource `web/dist/standalone.html`.
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

VIEWER_FILE = "dashboard.html"
# Where the web build puts the page, as a resource of the namespace package `web`.
TEMPLATE_PACKAGE = "web"
TEMPLATE_PATH = "dist/standalone.html"
# The web build's placeholder for the data (web/build.mjs, DATA_MARKER).
DATA_MARKER = "<!--goodreads-stats:dashboard-data-->"


class ViewerUnavailable(RuntimeError):
    """The web app is not built here, so there is no page to put the dashboard in."""


@functools.cache
def load_template() -> str:
    try:
        template = (
            importlib.resources.files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_PATH).read_text("utf-8")
        )
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as exc:
        raise ViewerUnavailable(
            "the web app is not built (no web/dist/standalone.html): run "
            "`cd web && npm ci && npm run build`, or use `./pants run :goodreads-stats`"
        ) from exc
    if template.count(DATA_MARKER) != 1:
        raise ViewerUnavailable(f"{TEMPLATE_PATH} does not hold exactly one data marker")
    return template


def _embed(json_bytes: bytes) -> str:
    # '<', '>' and '&' only occur inside JSON strings, where \\u escapes mean the same text.
    text = json_bytes.decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_viewer(json_bytes: bytes) -> str:
    return load_template().replace(DATA_MARKER, _embed(json_bytes))


def write_viewer(out_dir: Path, dashboard_file: str = "dashboard.json") -> Path:
    """Writes OUT_DIR/dashboard.html from OUT_DIR/dashboard.json."""
    path = Path(out_dir) / VIEWER_FILE
    path.write_text(render_viewer((Path(out_dir) / dashboard_file).read_bytes()), "utf-8")
    return path
