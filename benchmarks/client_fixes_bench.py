"""What each botocore fix of local_runtime/emulator_fixes.py saves: the CPU of a cold start.

    python -m benchmarks.client_fixes_bench [--environments 50] [--repeats 5]

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/client_fixes_bench.py -- ARGS` runs the same)

Every execution environment of the local runtime (50 of them in benchmarks/e2e_bench.py) builds
its own boto3 session and its S3, SQS and DynamoDB clients, as each Lambda environment does.
This measures the CPU time of building them, in a fresh process per measurement (nothing
cached from an earlier one), with no client fix, with every client fix, and with every client
fix but one: what that fix saves is the difference with all of them. A fix that saves nothing
measurable does not belong in emulator_fixes.py. Prints milliseconds of CPU per environment
(the median of the repeats) and the saving of each fix, per environment and for a run of
`--environments` environments.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

SERVICES = ("s3", "sqs", "dynamodb")

_MEASURE = """
import json, sys, time
import boto3
from local_runtime import emulator_fixes
emulator_fixes.apply_fixes(json.loads(sys.argv[1]))
environments = int(sys.argv[2])
# What the runtime does once at setup, on one thread (fresh_default_session).
boto3.setup_default_session(region_name="us-east-1")
for service in {services!r}:
    boto3.DEFAULT_SESSION.client(service)
started = time.process_time()
for _ in range(environments):
    session = boto3.session.Session(region_name="us-east-1")
    for service in {services!r}:
        session.client(service)
print(json.dumps((time.process_time() - started) / environments))
"""


def measure(fixes: list[int], environments: int) -> float:
    """CPU seconds per environment, in a fresh interpreter."""
    output = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [
            sys.executable,
            "-c",
            _MEASURE.format(services=SERVICES),
            json.dumps(fixes),
            str(environments),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **_path_env()},
    ).stdout
    seconds: float = json.loads(output)
    return seconds


def _path_env() -> dict[str, str]:
    import os

    keep = ("PATH", "PYTHONPATH", "HOME")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
    return env


def main() -> None:
    from local_runtime.emulator_fixes import CLIENT_FIXES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    every = sorted(CLIENT_FIXES)
    variants: dict[str, list[int]] = {"no client fix": [], "every client fix": every}
    for number in every:
        variants[f"all but fix {number}"] = [fix for fix in every if fix != number]
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):  # in turns, so that every variant sees the same load
        for name, fixes in variants.items():
            samples[name].append(measure(fixes, args.environments))
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(
        f"boto3 session + {len(SERVICES)} clients per execution environment "
        f"({args.environments} environments, median of {args.repeats} fresh processes):"
    )
    for name in variants:
        spread = f"{min(samples[name]) * 1000:.1f}-{max(samples[name]) * 1000:.1f}"
        print(f"  {name:<20} {median[name] * 1000:6.1f} ms CPU  (range {spread} ms)")
    print("what each fix saves (all but it, minus all):")
    for number in every:
        saved = median[f"all but fix {number}"] - median["every client fix"]
        share = saved / median[f"all but fix {number}"]
        print(
            f"  fix {number:<2} {saved * 1000:6.1f} ms per environment ({share:.0%}), "
            f"{saved * args.environments:.2f} s per run of {args.environments}"
        )
    together = median["no client fix"] - median["every client fix"]
    print(
        f"  all together {together * 1000:.1f} ms per environment "
        f"({together / median['no client fix']:.0%}), "
        f"{together * args.environments:.2f} s per run of {args.environments}"
    )


if __name__ == "__main__":
    main()
