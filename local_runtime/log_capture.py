"""The run's log file: the runtime's and the services' logs, away from the terminal."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from local_runtime import instrumentation

log = logging.getLogger("local_runtime")


class LogCapture:
    """Sends the runtime's and the services' logs to a file for the duration of a run.

    Powertools loggers write to the stdout they found at import; the terminal is for
    progress and the summary, so their handlers are pointed at the file and restored after.
    What the functions print goes there too, as Lambda sends a function's stdout to its log
    stream: Powertools' metrics print CloudWatch EMF blobs (at the end of each invocation, and
    whenever 100 values are buffered, even with POWERTOOLS_METRICS_DISABLED). While the run
    lasts, `sys.stdout` sends what an invocation's thread writes to the file and everything
    else where it went before (`_FunctionsToFile`).
    """

    def __init__(self, path: Path, service_level: str) -> None:
        self.path = path
        self._service_level = service_level
        self._stream: TextIO | None = None
        self._handler: logging.Handler | None = None
        self._redirected: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._levels: list[tuple[logging.Logger, int]] = []
        self._runtime_level = log.level
        self._stdout: TextIO | None = None

    def start(self) -> None:
        """Opens the file and sends the runtime's logs (and library warnings) to it."""
        self._stream = self.path.open("a", encoding="utf-8", buffering=1)
        self._handler = logging.StreamHandler(self._stream)
        self._handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s %(message)s")
        )
        log.setLevel(logging.INFO)
        logging.getLogger().addHandler(self._handler)
        # Library warnings (Powertools warns about empty metrics) belong in the log too.
        logging.captureWarnings(True)
        self._stdout = sys.stdout
        sys.stdout = _FunctionsToFile(self._stream, self._stdout)

    def redirect_service_loggers(self) -> None:
        assert self._stream is not None, "start() first"
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if not isinstance(logger, logging.Logger) or not getattr(logger, "init", False):
                continue  # only Powertools loggers mark themselves "init"
            self._levels.append((logger, logger.level))
            logger.setLevel(self._service_level)
            for handler in logger.handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is not None:
                    # A logger created during the run found the run's stdout: after the run it
                    # writes to the process's.
                    previous: Any = handler.stream
                    if isinstance(previous, _FunctionsToFile):
                        previous = sys.__stdout__
                    _point(handler, self._stream)
                    self._redirected.append((handler, previous))

    def close(self) -> None:
        if self._stdout is not None:
            sys.stdout, self._stdout = self._stdout, None
        for handler, previous in reversed(self._redirected):
            _point(handler, previous)
        for logger, level in reversed(self._levels):
            logger.setLevel(level)
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
        logging.captureWarnings(False)
        log.setLevel(self._runtime_level)
        if self._stream is not None:
            self._stream.close()


def _point(handler: logging.StreamHandler[Any], stream: Any) -> None:
    """`handler.setStream(stream)`, except that a stream closed meanwhile (a test's captured
    stdout, say) is not flushed first."""
    handler.acquire()
    try:
        with contextlib.suppress(ValueError):  # "I/O operation on closed file"
            handler.flush()
        handler.stream = stream
    finally:
        handler.release()


class _FunctionsToFile(io.TextIOBase):
    """stdout during a run: what an invocation's thread writes goes to the run's log (as
    Lambda sends a function's stdout to CloudWatch Logs), anything else to `elsewhere`."""

    def __init__(self, log_file: TextIO, elsewhere: TextIO) -> None:
        self._log_file = log_file
        self._elsewhere = elsewhere

    def _target(self) -> TextIO:
        return self._log_file if instrumentation.current_caller() else self._elsewhere

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        for stream in (self._elsewhere, self._log_file):
            with contextlib.suppress(ValueError):  # closed since (the run ended)
                stream.flush()

    def isatty(self) -> bool:
        return self._elsewhere.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._elsewhere.encoding
