"""The local command as a new user meets it: an empty export, a large library (issue 14, bugs 2
and 3). Each test holds a fix."""

from __future__ import annotations

import logging
import socket
import urllib.parse
from pathlib import Path

import boto3
import pytest

from contracts.messages import JobStatus
from local_runtime import cli
from local_runtime.emulator import ServerEmulator, scoped_environ
from local_runtime.pipeline import LocalPipeline, RunOptions
from tests.support.exports import synthetic_export

EMPTY_FILE_MESSAGE = "The file is empty."


def test_an_empty_export_fails_with_the_orchestrators_message_through_the_server_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The emulator's server answered "100 Continue" to the empty PutObject and then nothing:
    # the command waited about three minutes and blamed the output directory.
    export = tmp_path / "goodreads_library_export.csv"
    export.write_bytes(b"")

    exit_code = cli.main([str(export), "--out", str(tmp_path / "out"), "--offline"])

    assert exit_code == 1
    stderr = capsys.readouterr().err
    assert f"the job FAILED: {EMPTY_FILE_MESSAGE}" in stderr
    assert str(tmp_path / "out") not in stderr


def test_the_emulators_server_answers_a_bodiless_request_that_expects_100_continue_at_once() -> (
    None
):
    emulator = ServerEmulator()
    emulator.launch()
    with scoped_environ(emulator.environment()):
        emulator.start()
        try:
            boto3.client("s3").create_bucket(Bucket="expect-continue")
            endpoint = urllib.parse.urlsplit(emulator.environment()["AWS_ENDPOINT_URL"] or "")
            request = (
                "PUT /expect-continue/empty HTTP/1.1\r\n"
                f"Host: {endpoint.netloc}\r\n"
                "Expect: 100-continue\r\n"
                "Content-Length: 0\r\n"
                "\r\n"
            ).encode()
            address = (endpoint.hostname, endpoint.port or 80)
            with socket.create_connection(address, timeout=20) as conn:
                conn.sendall(request)
                # A socket timeout here fails the test: the server waited for a body.
                first_line = conn.recv(4096).split(b"\r\n", 1)[0]
            assert first_line == b"HTTP/1.1 200 OK"
            head = boto3.client("s3").head_object(Bucket="expect-continue", Key="empty")
            assert head["ContentLength"] == 0
        finally:
            emulator.stop()


def test_with_a_thousand_books_stdout_carries_only_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Powertools' metrics print their CloudWatch EMF blob to stdout once 100 values are
    # buffered, even with metrics off; 1,200 books make more than 100 batches.
    export = tmp_path / "goodreads_library_export.csv"
    export.write_bytes(synthetic_export(1_200, seed=14).data)
    out = tmp_path / "out"

    exit_code = cli.main([str(export), "--out", str(out), "--offline", "--no-html"])

    assert exit_code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("COMPLETE in ")
    labels = [line.split()[0] for line in lines[1:]]
    assert labels == ["books", "read", "enrichment", "dashboard", "logs"]
    assert '"_aws"' in (out / "pipeline.log").read_text()  # the blobs went to the log


def test_after_a_run_the_services_loggers_write_where_they_wrote_before(tmp_path: Path) -> None:
    # While a run lasts stdout is pipeline.log, so a logger created during it found the file
    # there; after the run it must not be left with the closed file, or with no stream at all.
    export = tmp_path / "goodreads_library_export.csv"
    export.write_bytes(synthetic_export(5, seed=15).data)

    assert cli.main([str(export), "--out", str(tmp_path / "out"), "--offline", "--no-html"]) == 0

    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger) and getattr(logger, "init", False):
            for handler in logger.handlers:
                if isinstance(handler, logging.StreamHandler):
                    assert handler.stream is not None, logger.name
                    assert not getattr(handler.stream, "closed", False), logger.name


def test_during_a_run_only_what_the_functions_print_goes_to_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalPipeline(tmp_path, RunOptions(offline=True)) as pipeline:
        print("the caller's own line")
        pipeline.start_workers()
        outcome = pipeline.wait(pipeline.submit(synthetic_export(5, seed=16).data))

    assert outcome.status == JobStatus.COMPLETE
    assert capsys.readouterr().out == "the caller's own line\n"
    log = (tmp_path / "pipeline.log").read_text()
    assert "the caller's own line" not in log and '"_aws"' in log
