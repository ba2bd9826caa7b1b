"""What the web app's pages are allowed to do: one definition of their security headers.

The CloudFront distribution (infra/goodreads_stats_infra/web_frontend.py) and the one-machine
server (`goodreads-stats serve`, local_runtime/web_server.py) send these with every response;
the standalone page (web/build.mjs) carries the same image and script rules in its own
`<meta>` policy (tests/web/test_site_policy.py keeps them in step).

Standard library only: the CDK app imports it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

# The only hosts the app loads images from: where the book processor takes covers from.
COVER_ORIGINS: Final = ("https://covers.openlibrary.org", "https://books.google.com")
# Where the served app calls the HTTP API: the same origin, so no CORS is needed.
API_PATH_PREFIX: Final = "/api"

HSTS_MAX_AGE_SECONDS: Final = 2 * 365 * 24 * 3600
REFERRER_POLICY: Final = "no-referrer"  # job ids in URLs are capabilities: never in a Referer
PERMISSIONS_POLICY: Final = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def content_security_policy(connect_origins: Iterable[str] = ()) -> str:
    """The app's own scripts and styles only (no inline, no eval), images from the cover
    hosts, requests to this origin and to `connect_origins` (the data bucket, for the upload and
    a large dashboard), no frames of it anywhere, no forms, no plugins."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' {' '.join(COVER_ORIGINS)}",
            " ".join(("connect-src 'self'", *connect_origins)),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        )
    )


def security_headers(connect_origins: Iterable[str] = ()) -> dict[str, str]:
    """Every header the pages are served with, by name."""
    return {
        "Content-Security-Policy": content_security_policy(connect_origins),
        "Strict-Transport-Security": f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
        "X-Frame-Options": "DENY",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
