"""`cdk deploy` rehearsed: the CDK app deployed with the pinned CLI into a fresh embedded AWS.

    ./pants run tests/deploy/rehearsal.py -- REPOSITORY_ROOT      (what .ci/rehearse-deploy runs)

Needs what `cdk deploy` needs from infra/README.md: the Lambda zips (`./pants package
services::`), `infra/.venv` and `infra/node_modules` (`npm ci`). Then, with no AWS account:

1. starts moto as a server on loopback (local_runtime/moto_server.py, in a child process that
   ends with this one), with its Lambda emulation told not to run code in Docker;
2. runs `cdk bootstrap` and `cdk deploy --method=direct` of the data and pipeline stacks from
   infra/ through the pinned CLI (`npx cdk`), with the CLI's telemetry and the SDK's metadata
   probe off. Not the web stack: moto has no CloudFormation support for CloudFront
   distributions (a GetAtt of one is "undefined resource"), so its template is checked by
   synthesis, cdk-nag, cfn-lint and tests/infra/test_web_frontend.py instead;
3. answers the stacks' custom resources (which would run Lambda code) with SUCCESS, through the
   endpoint moto gives their handlers for it;
4. runs tests/deploy/test_deployed_resources.py against what was deployed: the queues, tables
   and event source mappings match what the local runtime creates from contracts/layout.py.

Exit code 0 when every step and the test passed. What moto does and does not deploy (no API
Gateway, alarms, TTL or DLQ settings of functions, for instance) is in infra/README.md. moto
also tries to run each custom resource's handler in Docker, which is not there: its "error
running docker" lines are expected, and the rehearsal answers for the handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_runtime import moto_server

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
ENVIRONMENT = "dev"  # cdk.json's default
# Every stack but the web front end's, which moto cannot create (the docstring says why).
REHEARSED_STACKS = (f"GoodreadsStats-{ENVIRONMENT}-Data", f"GoodreadsStats-{ENVIRONMENT}-Pipeline")
CLI_TIMEOUT_SECONDS = 300
# The check, beside this file (wherever this file runs from: a checkout, a Pants sandbox).
CHECK = Path(__file__).with_name("test_deployed_resources.py")
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def cli_environment(endpoint: str) -> dict[str, str]:
    """The CDK CLI's environment: the emulator for every AWS call, fake credentials, and
    nothing sent anywhere else."""
    port = endpoint.rsplit(":", 1)[1]
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        # The CLI passes TemplateURL=<S3 endpoint>/<bucket>/<key>; moto reads any localhost URL
        # path-style (with 127.0.0.1 it would take "127" for the bucket).
        "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION": f"http://localhost:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


class MotoServer:
    """moto on 127.0.0.1 in a child process (local_runtime/moto_server.py): it serves until its
    stdin closes, so it ends with this process however this one ends."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint = ""

    def __enter__(self) -> MotoServer:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed module
            [sys.executable, "-m", moto_server.__name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None
        self.endpoint = self.process.stdout.readline().decode().strip()
        if not self.endpoint.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the moto server did not start: {self.endpoint!r}")
        # Before any function exists: functions are created, never run in Docker.
        self.post("/moto-api/config", {"lambda": {"use_docker": False}})
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def post(self, path: str, body: dict[str, Any], method: str = "POST") -> None:
        request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1:<port>
            f"{self.endpoint}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            response.read()


class CustomResourceResponder(threading.Thread):
    """Answers every custom resource of a stack being created with SUCCESS, as its Lambda
    handler would (moto would wait for it forever: it runs no Lambda code here)."""

    def __init__(self, server: MotoServer) -> None:
        super().__init__(name="custom-resources", daemon=True)
        self._server = server
        self._stop = threading.Event()
        self.answered: set[tuple[str, str]] = set()
        self.cloudformation = boto3.client(
            "cloudformation",
            endpoint_url=server.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's
        )

    def stop(self) -> None:
        self._stop.set()
        self.join(10)

    def run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self._answer_pending()
            except Exception as error:  # noqa: BLE001 - keep answering; the deploy reports
                print(f"rehearsal: custom resources: {error}", file=sys.stderr)

    def _answer_pending(self) -> None:
        for stack in self.cloudformation.describe_stacks().get("Stacks", []):
            if stack["StackStatus"] != "CREATE_IN_PROGRESS":
                continue
            stack_id = stack["StackId"]
            template = self.cloudformation.get_template(StackName=stack_id)["TemplateBody"]
            if isinstance(template, str):
                template = json.loads(template)
            for logical_id, resource in template.get("Resources", {}).items():
                kind = resource.get("Type", "")
                if kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
                    self._succeed(stack_id, logical_id)

    def _succeed(self, stack_id: str, logical_id: str) -> None:
        """What a custom resource handler PUTs to its ResponseURL; moto answers 200 once the
        resource has been asked for (and fails before that: tried again on the next poll)."""
        try:
            self._server.post(
                f"/cloudformation_{REGION}/cfnresponse?stack={stack_id}",
                {
                    "Status": "SUCCESS",
                    "Reason": "answered by the deploy rehearsal (no Lambda code runs here)",
                    "PhysicalResourceId": logical_id,
                    "StackId": stack_id,
                    "RequestId": "rehearsal",
                    "LogicalResourceId": logical_id,
                    "Data": {},
                },
                method="PUT",
            )
        except OSError:
            return
        if (stack_id, logical_id) not in self.answered:
            self.answered.add((stack_id, logical_id))
            print(f"rehearsal: answered {logical_id} with SUCCESS", file=sys.stderr)


def cdk(infra: Path, env: dict[str, str], *args: str) -> None:
    # No notices: the CLI would fetch them from the internet before every command.
    command = ["npx", "--no-install", "cdk", *args, "--no-notices"]
    print(f"rehearsal: {' '.join(command)}", file=sys.stderr, flush=True)
    subprocess.run(  # noqa: S603 - the pinned CLI from infra/node_modules
        command, cwd=infra, env=env, check=True, timeout=CLI_TIMEOUT_SECONDS
    )


def rehearse(repository: Path) -> int:
    infra = repository / "infra"
    for needed, how in (
        (infra / ".venv", "create infra/.venv (infra/README.md, Deploy step 2)"),
        (infra / "node_modules", "run `npm ci` in infra/"),
    ):
        if not needed.exists():
            print(f"rehearsal: {needed} is missing: {how}", file=sys.stderr)
            return 2
    started = time.monotonic()
    with MotoServer() as server, tempfile.TemporaryDirectory() as outdir:
        env = cli_environment(server.endpoint)
        env["CDK_OUTDIR"] = outdir  # a fresh cloud assembly, not infra/cdk.out
        responder = CustomResourceResponder(server)
        responder.start()
        try:
            cdk(infra, env, "bootstrap", f"aws://{ACCOUNT}/{REGION}", "--output", outdir)
            cdk(
                infra,
                env,
                "deploy",
                *REHEARSED_STACKS,
                "--require-approval",
                "never",
                "--method=direct",
                "--output",
                outdir,
                "--progress",
                "events",
            )
        except subprocess.SubprocessError as error:
            print(f"rehearsal: the CDK CLI failed: {error}", file=sys.stderr)
            return 1
        finally:
            responder.stop()
        print(
            f"rehearsal: deployed in {time.monotonic() - started:.0f} s; "
            f"{len(responder.answered)} custom resources answered",
            file=sys.stderr,
        )
        os.environ.update(
            {
                "DEPLOYED_AWS_ENDPOINT": server.endpoint,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
            }
        )
        check = str(repository / "tests" / "deploy" / CHECK)
        status = pytest.main([check, "-q", "-p", "no:cacheprovider", "--rootdir", str(repository)])
    print(f"rehearsal: finished in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return int(status)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: rehearsal.py REPOSITORY_ROOT")
    sys.exit(rehearse(Path(sys.argv[1]).resolve()))


if __name__ == "__main__":
    main()
