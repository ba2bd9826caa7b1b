"""moto's server in a process of its own, as AWS is a service apart from the functions.

    python -m local_runtime.moto_server

Prints its endpoint (`http://127.0.0.1:<port>`) on the first line of stdout, then serves until
its stdin closes: the parent holds the other end, so the server ends with the parent, however
the parent ends. In its own process moto's work runs on another core than the pipeline's.
"""

from __future__ import annotations

import logging
import sys

from local_runtime.emulator_fixes import apply_emulator_fixes


def main() -> None:
    apply_emulator_fixes()
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request at INFO on stderr; only errors are worth reading.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    try:
        sys.stdin.buffer.read()  # returns at end of file: the parent closed it, or exited
    finally:
        server.stop()


if __name__ == "__main__":
    main()
