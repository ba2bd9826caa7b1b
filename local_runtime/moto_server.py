"""moto's server in a process of its own, as AWS is a service apart from the functions.

    python -m local_runtime.moto_server

Prints its endpoint (`http://127.0.0.1:<port>`) on the first line of stdout, then serves until
its stdin closes: the parent holds the other end, so the server ends with the parent, however
the parent ends. In its own process moto's work runs on another core than the pipeline's.

moto's WSGI application is served by waitress rather than werkzeug's development server, which
closes the connection after every response: a TCP connection and a server thread per request.
waitress keeps connections alive and serves them from a fixed pool of threads.

One fault of waitress 3.0.2 is mended here (`channel_class`): to a request with
`Expect: 100-continue` and `Content-Length: 0` (botocore's PutObject of an empty file) it
answered `100 Continue`, and sending that marked the complete request incomplete again: the
client, which has nothing more to send, then waited for the response until it timed out
(three minutes of retries for an empty export). A request without a body has nothing to
continue with, and RFC 9110 (10.1.1) lets a server that has the whole request answer it at
once: so it is.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from local_runtime.emulator_fixes import apply_emulator_fixes

THREADS = 8  # requests in progress at once; more wait on their connections
# Every execution environment keeps its clients' connections open; environments of finished
# runs are dropped without closing them. Idle connections are closed after a minute (a client
# opens a new one when it needs it), and the limit leaves room for a few runs of 50 at once.
IDLE_CONNECTION_SECONDS = 60
MAX_CONNECTIONS = 4000


def channel_class() -> type[Any]:
    """waitress's connection, which honours `Expect: 100-continue` only when a body is still
    to come (imported here: the parent process never needs waitress)."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser

    class ContinueOnlyForABody(HTTPRequestParser):  # type: ignore[misc]
        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            parsed: Any = self  # waitress is untyped
            if parsed.expect_continue and not parsed.chunked and parsed.content_length == 0:
                parsed.expect_continue = False

    class Channel(HTTPChannel):  # type: ignore[misc]
        parser_class = ContinueOnlyForABody

    return Channel


def main() -> None:
    apply_emulator_fixes()
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    logging.getLogger("waitress").setLevel(logging.ERROR)  # e.g. "task queue depth" notices
    app = DomainDispatcherApplication(create_backend_app)
    server = waitress.create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=THREADS,
        connection_limit=MAX_CONNECTIONS,
        channel_timeout=IDLE_CONNECTION_SECONDS,
    )
    server.channel_class = channel_class()
    threading.Thread(target=server.run, name="moto-server", daemon=True).start()
    print(f"http://127.0.0.1:{server.effective_port}", flush=True)
    try:
        sys.stdin.buffer.read()  # returns at end of file: the parent closed it, or exited
    finally:
        server.close()


if __name__ == "__main__":
    main()
