"""The web front end on one machine: what CloudFront does in AWS, on 127.0.0.1.

    with LocalPipeline(out_dir, options) as pipeline:
        pipeline.start_workers()
        with WebServer(pipeline, site_dir) as server:
            print(server.url)        # http://127.0.0.1:<port>/
            server.serve_forever()   # until Ctrl-C

One origin, three parts, as the distribution in infra/goodreads_stats_infra/web_frontend.py:

- `/api/…` goes to the API function (the unchanged `services.api.handler`, through LocalApi:
  an API Gateway payload-2.0 event), with the prefix removed as the CloudFront Function does;
- `/s3/…` goes to the embedded S3 (moto's server). The API function reaches S3 through this
  path (AWS_ENDPOINT_URL_S3), so the forms and links it signs point here, and the reader's
  browser uploads to the same origin. When S3 stores an upload, S3's part follows: the
  ObjectCreated notification to the orchestrator, as in AWS (asynchronously, after the answer);
- anything else is the built app (web/dist/site), with the headers CloudFront adds
  (contracts/site.py), but HSTS, which means nothing over http://127.0.0.1.
"""

from __future__ import annotations

import concurrent.futures
import email.message
import email.parser
import email.policy
import http.server
import logging
import mimetypes
import threading
import urllib.parse
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import requests

from contracts import site
from contracts.storage import UPLOAD_PREFIX
from local_runtime.api_flow import LocalApi
from local_runtime.event_sources import notify_object_created
from local_runtime.functions import ORCHESTRATOR
from local_runtime.pipeline import LocalPipeline

log = logging.getLogger("local_runtime")

S3_PATH_PREFIX: Final = "/s3"
# What a proxy must not pass on (RFC 9110 section 7.6.1), and what the server sets itself.
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "expect",
    }
)
# The app's files, as CloudFront's cache policy would have them: hashed assets for good,
# everything else revalidated.
_ASSET_CACHE: Final = "public, max-age=31536000, immutable"
_PAGE_CACHE: Final = "no-cache"


def page_headers() -> dict[str, str]:
    """contracts/site.py's headers, but HSTS (a browser ignores it over http)."""
    headers = site.security_headers()
    headers.pop("Strict-Transport-Security")
    return headers


def default_site_dir() -> Path:
    """The built app in this checkout, or in the pex or Pants sandbox (the web:app resource)."""
    return Path(__file__).resolve().parent.parent / "web" / "dist" / "site"


class SiteNotBuilt(FileNotFoundError):
    pass


class WebServer:
    """The app, the API and the upload path on one loopback port; stop() or leave the context
    to stop it (the pipeline it serves is the caller's)."""

    def __init__(
        self,
        pipeline: LocalPipeline,
        site_dir: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.pipeline = pipeline
        self.site_dir = (site_dir or default_site_dir()).resolve()
        if not (self.site_dir / "index.html").is_file():
            raise SiteNotBuilt(
                f"the web app is not built ({self.site_dir}/index.html is missing): run "
                "`./pants run :goodreads-stats -- serve`, or `cd web && npm ci && npm run build`"
            )
        if pipeline.aws_endpoint is None:
            raise ValueError("serving the web app needs the emulator as a server (--aws server)")
        self.s3_endpoint: str = pipeline.aws_endpoint
        self._httpd = http.server.ThreadingHTTPServer((host, port), _handler_class(self))
        self._httpd.daemon_threads = True
        address = self._httpd.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self.url = f"http://{self.host}:{self.port}/"
        self.api = LocalApi(
            pipeline,
            # The API signs its upload forms and dashboard links for the path the browser uses.
            environment={"AWS_ENDPOINT_URL_S3": f"http://{self.host}:{self.port}{S3_PATH_PREFIX}"},
        )
        self._session = requests.Session()
        self._notifications = concurrent.futures.ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="s3-notification"
        )
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WebServer:
        self.api.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self.api.__exit__(exc_type, exc, traceback)

    def start(self) -> None:
        """Serves on a thread of its own (tests); `serve_forever` serves on the caller's."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="web-server", daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self._notifications.shutdown(wait=True)
        self._session.close()

    # --- S3's part ---------------------------------------------------------------------------

    def forward_to_s3(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> requests.Response:
        response = self._session.request(
            method,
            self.s3_endpoint.rstrip("/") + path,
            headers={k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP},
            data=body,
            allow_redirects=False,
            timeout=60,
        )
        if method == "POST" and response.status_code in (200, 201, 204):
            self._notify_upload(path, headers.get("Content-Type", ""), body)
        return response

    def _notify_upload(self, path: str, content_type: str, body: bytes) -> None:
        """S3's ObjectCreated notification for a form POST it stored under uploads/."""
        bucket = urllib.parse.unquote(path.strip("/").split("/", 1)[0])
        fields = _form_fields(content_type, body)
        key = fields.get("key", "")
        if bucket != self.pipeline.environment.data_bucket or not key.startswith(UPLOAD_PREFIX):
            return
        size = len(fields.get("file", b""))
        self._notifications.submit(
            notify_object_created,
            self.pipeline.functions[ORCHESTRATOR],
            bucket=bucket,
            key=key,
            size=size,
        )


def _form_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body's fields: text values, and the file's bytes as `file`."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    )
    fields: dict[str, Any] = {}
    if not isinstance(message, email.message.EmailMessage) or not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = data if part.get_filename() else data.decode("utf-8", "replace")
    return fields


def _handler_class(server: WebServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "goodreads-stats"
        sys_version = ""

        # Paths hold job ids (capabilities): the log has the method and status only, as the
        # HTTP API's access logs do.
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            log.debug("web: %s %s", self.command, code)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, headers: dict[str, str], body: bytes, *, page: bool) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if page:
                for name, value in page_headers().items():
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _dispatch(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if path == site.API_PATH_PREFIX or path.startswith(site.API_PATH_PREFIX + "/"):
                self._api()
            elif path.startswith(S3_PATH_PREFIX + "/"):
                self._s3()
            elif self.command in ("GET", "HEAD"):
                self._file(path)
            else:
                self._send(405, {"Allow": "GET, HEAD"}, b"", page=True)

        def _api(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            response = server.api.request(
                self.command,
                parts.path[len(site.API_PATH_PREFIX) :] or "/",
                headers=dict(self.headers.items()),
                body=self._body() or None,
                query=dict(urllib.parse.parse_qsl(parts.query)) or None,
            )
            headers = {
                name: value
                for name, value in response.headers.items()
                if name.lower() not in _HOP_BY_HOP
            }
            self._send(response.status, headers, response.wire_body, page=True)

        def _s3(self) -> None:
            path = self.path[len(S3_PATH_PREFIX) :]
            response = server.forward_to_s3(
                self.command, path, dict(self.headers.items()), self._body()
            )
            headers = {
                name: value
                for name, value in response.headers.items()
                if name.lower() not in _HOP_BY_HOP | {"content-encoding"}
            }
            self._send(response.status_code, headers, response.content, page=False)

        def _file(self, path: str) -> None:
            relative = urllib.parse.unquote(path).lstrip("/") or "index.html"
            target = (server.site_dir / relative).resolve()
            if not target.is_relative_to(server.site_dir) or not target.is_file():
                self._send(
                    404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found\n", page=True
                )
                return
            content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type in (
                "application/javascript",
                "application/json",
            ):
                content_type += "; charset=utf-8"
            cache = _ASSET_CACHE if relative.startswith("assets/") else _PAGE_CACHE
            self._send(
                200,
                {"Content-Type": content_type, "Cache-Control": cache},
                target.read_bytes(),
                page=True,
            )

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _dispatch

    return Handler
