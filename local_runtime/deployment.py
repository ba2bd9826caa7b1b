"""A local deployment's lifecycle: the embedded AWS, the deployment's resources, the three
functions cold-started with the environment Lambda would give them, what AWS runs around them
(the SQS event source mappings, the schedule), and the upload that starts a job.

`LocalPipeline` (local_runtime/pipeline.py) adds the monitoring of jobs to this.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import boto3

from contracts import layout, storage
from local_runtime import faults, instrumentation
from local_runtime.clocks import Clocks, processor_batching_window_seconds
from local_runtime.emulator import fresh_default_session, make_emulator, scoped_environ
from local_runtime.event_sources import Schedule, SqsEventSourceMapping, notify_object_created
from local_runtime.functions import (
    AGGREGATOR,
    BOOK_PROCESSOR,
    HANDLER_MODULES,
    ORCHESTRATOR,
    Invocation,
    LocalFunction,
    cold_start_handlers,
    new_environment_loader,
    warm_up_handler_imports,
)
from local_runtime.lambda_events import REGION
from local_runtime.log_capture import LogCapture
from local_runtime.options import DEFAULT_FILE_NAME, RunOptions
from local_runtime.resources import ServiceEnvironment, create_resources
from local_runtime.service_environment import function_environment

log = logging.getLogger("local_runtime")

LOG_FILE = "pipeline.log"

# What the local pollers consume and how: the event source mappings infra deploys.
LOCAL_MAPPINGS: dict[str, layout.EventSourceMapping] = {
    BOOK_PROCESSOR: layout.PROCESSOR_MAPPING,
    AGGREGATOR: layout.AGGREGATOR_MAPPING,
}

# A run is one deployment with fixed resource names and the process environment: one at a time.
_one_run_at_a_time = threading.Lock()


def safe_file_name(name: str) -> str:
    """The object name under uploads/{job id}/: a plain file name, never a path."""
    base = re.split(r"[/\\]", name)[-1]
    base = "".join("_" if ord(char) < 32 or char == "\x7f" else char for char in base)[:255]
    return base if base.strip(". ") else DEFAULT_FILE_NAME


class LocalDeployment:
    """One local deployment, entered as a context manager (nothing starts before that)."""

    def __init__(
        self, out_dir: Path, options: RunOptions | None = None, *, expected_books: int = 0
    ) -> None:
        """`expected_books` sizes the default deadline when enriching from the real APIs."""
        self.out_dir = Path(out_dir)
        self.options = options or RunOptions()
        self.expected_books = expected_books
        self.clocks: Clocks | None = None
        self.notices: list[str] = []
        self.aws_counter = instrumentation.AwsCallCounter()
        self.queue_activity = instrumentation.QueueActivity()
        self.started_at = 0.0  # time.monotonic() when the deployment began to start
        self.setup_seconds = 0.0
        self.submitted_seconds = 0.0  # the last upload's orchestrator done, from started_at
        self.submissions: dict[str, Invocation] = {}  # the orchestrator's invocation per job
        self.logs: LogCapture | None = None
        self.session: Any = None
        self.s3: Any = None
        self.dynamodb: Any = None
        self.environment: ServiceEnvironment | Any = None
        self.aws_endpoint: str | None = None  # the emulator's URL; None when it is in-process
        self.functions: dict[str, LocalFunction] = {}
        self._stack = contextlib.ExitStack()
        self._stop = threading.Event()
        self._workers_started = False

    def __enter__(self) -> Self:
        if not _one_run_at_a_time.acquire(blocking=False):
            raise RuntimeError("another local pipeline is running in this process")
        self._stack.callback(_one_run_at_a_time.release)
        try:
            self._open()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    @property
    def running_clocks(self) -> Clocks:
        if self.clocks is None:
            raise RuntimeError("the pipeline is not open")
        return self.clocks

    def _open(self) -> None:
        self.started_at = time.monotonic()
        options = self.options
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if options.capture_logs:
            self.logs = LogCapture(
                options.log_file or self.out_dir / LOG_FILE, options.service_log_level
            )
            self._stack.callback(self.logs.close)
            self.logs.start()

        emulator = make_emulator(options.aws)
        emulator.launch()  # a server takes a while to start: the work below overlaps it
        functions_env = function_environment(options, expected_books=self.expected_books)
        self.clocks = functions_env.clocks
        self.notices.extend(functions_env.notices)
        warm_up_handler_imports()
        emulator_env = emulator.environment()
        self.aws_endpoint = emulator_env.get("AWS_ENDPOINT_URL")
        self._stack.enter_context(scoped_environ(emulator_env))
        emulator.start()
        self._stack.callback(emulator.stop)
        instrumentation.install(self.aws_counter, self.queue_activity)
        self._stack.callback(instrumentation.install, None)
        faults.install(options.faults)  # after instrumentation: a crashed call still counts
        self._stack.callback(faults.install, None)

        self.session = boto3.Session(region_name=REGION)
        self.session._session.set_default_client_config(
            # The pollers of both mappings share one SQS client.
            instrumentation.runtime_client_config(concurrent_calls=options.concurrency + 2)
        )
        self.s3 = self.session.client("s3")
        self.environment = create_resources(
            self.session,
            task_visibility_timeout=self.running_clocks.visibility_timeout_seconds,
            max_receive_count=options.max_receive_count,
        )
        self.dynamodb = self.session.client(
            "dynamodb", config=instrumentation.runtime_client_config()
        )
        self._stack.enter_context(
            scoped_environ({**self.environment.as_env(), **functions_env.variables})
        )
        self._stack.callback(setattr, boto3, "DEFAULT_SESSION", boto3.DEFAULT_SESSION)
        fresh_default_session()
        handlers, restore_modules = cold_start_handlers()
        self._stack.callback(restore_modules)
        if self.logs is not None:
            self.logs.redirect_service_loggers()
        timeouts = {
            ORCHESTRATOR: options.orchestrator_timeout_seconds,
            BOOK_PROCESSOR: self.running_clocks.processor_timeout_seconds,
            AGGREGATOR: options.function_timeout_seconds,
        }
        self.functions = {
            name: LocalFunction(
                name,
                handler,
                timeouts[name],
                new_environment=new_environment_loader(HANDLER_MODULES[name]),
            )
            for name, handler in handlers.items()
        }
        # Stopping is registered last so that it runs first: workers end before AWS does.
        self._stack.callback(self._stop_workers)
        self.setup_seconds = time.monotonic() - self.started_at
        log.info(
            "local deployment ready in %.2f s (aws %s, concurrency %d)",
            self.setup_seconds,
            options.aws,
            options.concurrency,
        )

    def start_workers(self) -> None:
        """Starts what AWS runs around the functions: the two SQS mappings and the schedule,
        as contracts/layout.py's event source mappings define them."""
        if self._workers_started:
            return
        self._workers_started = True
        sqs = self.session.client("sqs")
        options = self.options
        processor_mapping = LOCAL_MAPPINGS[BOOK_PROCESSOR]
        self._task_mapping = SqsEventSourceMapping(
            sqs=sqs,
            queue_url=self.environment.task_queue_url,
            function=self.functions[BOOK_PROCESSOR],
            concurrency=options.concurrency,
            stop=self._stop,
            batch_size=options.processor_batch_size or processor_mapping.batch_size,
            batching_window_seconds=processor_batching_window_seconds(options),
            activity=self.queue_activity,
        )
        self._completion_mapping = SqsEventSourceMapping(
            sqs=sqs,
            queue_url=self.environment.completion_queue_url,
            function=self.functions[AGGREGATOR],
            concurrency=1,
            stop=self._stop,
            batch_size=LOCAL_MAPPINGS[AGGREGATOR].batch_size,
            activity=self.queue_activity,
        )
        self._schedule = Schedule(
            function=self.functions[AGGREGATOR],
            interval_seconds=self.options.schedule_seconds,
            stop=self._stop,
        )
        self._task_mapping.start()
        self._completion_mapping.start()
        self._schedule.start()

    def _stop_workers(self) -> None:
        self._stop.set()
        self.queue_activity.interrupt()
        if not self._workers_started:
            return
        grace = self.running_clocks.processor_timeout_seconds + 5.0
        self._task_mapping.join(grace)
        self._completion_mapping.join(self.options.function_timeout_seconds)
        self._schedule.join(self.options.function_timeout_seconds)

    def to_failed_uploads(self, event: dict[str, Any]) -> None:
        """What Lambda does with an asynchronous event that failed every attempt: it goes to
        the orchestrator's dead-letter queue (contracts/layout.py's FAILED_UPLOADS_QUEUE)."""
        self.session.client("sqs").send_message(
            QueueUrl=self.environment.failed_uploads_url, MessageBody=json.dumps(event)
        )

    def submit(self, csv: bytes, file_name: str = DEFAULT_FILE_NAME) -> str:
        """Uploads an export as the reader's browser would, then delivers the S3 notification.

        Returns the new job id. The orchestrator runs on this thread; its failure (after the
        two retries of an asynchronous invocation) is reported by `wait`.
        """
        job_id = storage.new_job_id()
        key = storage.upload_key(job_id, safe_file_name(file_name))
        self.s3.put_object(
            Bucket=self.environment.data_bucket, Key=key, Body=csv, ContentType="text/csv"
        )
        self.submissions[job_id] = notify_object_created(
            self.functions[ORCHESTRATOR],
            bucket=self.environment.data_bucket,
            key=key,
            size=len(csv),
            on_failure=self.to_failed_uploads,
        )
        self.submitted_seconds = time.monotonic() - self.started_at
        return job_id
