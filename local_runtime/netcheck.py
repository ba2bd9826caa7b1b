"""Can this machine reach the enrichment sources? Answered in about a second, before a run.

A TCP connection to the host (or to the proxy that requests would use) is enough to tell
"offline" from "online"; nothing is sent, so the probe costs the APIs nothing.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import socket
import urllib.parse
import urllib.request

DEFAULT_BASE_URLS = {
    "openlibrary": "https://openlibrary.org",
    "google_books": "https://www.googleapis.com",
}
BASE_URL_VARIABLES = {
    "openlibrary": "OPENLIBRARY_BASE_URL",
    "google_books": "GOOGLE_BOOKS_BASE_URL",
}


@dataclasses.dataclass(frozen=True)
class Reachability:
    source: str
    url: str
    reachable: bool
    detail: str  # "" when reachable, else why not ("DNS lookup failed", "connection refused")


def _connect_target(url: str) -> tuple[str, int, str]:
    """The host and port a client would connect to for `url`, honouring proxy variables."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        proxy_url = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return proxy_url.hostname or "", proxy_url.port or 80, f"proxy {proxy_url.hostname}"
    return host, port, host


def probe(source: str, url: str, timeout_seconds: float = 2.0) -> Reachability:
    host, port, label = _connect_target(url)
    if not host:
        return Reachability(source, url, False, "no host in the URL")
    try:
        with socket.create_connection((host, port), timeout=timeout_seconds):
            return Reachability(source, url, True, "")
    except socket.gaierror:
        return Reachability(source, url, False, f"DNS lookup of {label} failed")
    except ConnectionRefusedError:
        return Reachability(source, url, False, f"{label}:{port} refused the connection")
    except TimeoutError:
        return Reachability(source, url, False, f"{label}:{port} did not answer")
    except OSError as exc:
        return Reachability(source, url, False, f"{label}:{port}: {exc.strerror or exc}")


def probe_sources(base_urls: dict[str, str], timeout_seconds: float = 2.0) -> list[Reachability]:
    """Probes every source in parallel; the whole check takes at most `timeout_seconds`."""
    if not base_urls:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(base_urls)) as pool:
        futures = [
            pool.submit(probe, source, url, timeout_seconds) for source, url in base_urls.items()
        ]
        return [future.result() for future in futures]
