"""The infra resolve's exact versions, from its Pants lockfile, as a pip constraints file.

    python -m tests.packaging.infra_constraints > 3rdparty/python/infra-constraints.txt

infra/README.md installs the CDK app's environment with
`pip install -r 3rdparty/python/infra-requirements.txt -c 3rdparty/python/infra-constraints.txt`,
so `cdk synth`/`cdk deploy` run on the same versions as the tests (the `infra` resolve).
"""

from __future__ import annotations

import json
from pathlib import Path

LOCKFILE = Path("3rdparty/python/infra.lock")
CONSTRAINTS = Path("3rdparty/python/infra-constraints.txt")
HEADER = (
    "# Every package of the infra resolve at its locked version (3rdparty/python/infra.lock).\n"
    "# Generated: python -m tests.packaging.infra_constraints > "
    "3rdparty/python/infra-constraints.txt\n"
)


def locked_versions(lockfile_text: str) -> dict[str, str]:
    """Project name -> version, from a Pants (pex) lockfile: JSON after `//` comment lines."""
    body = "\n".join(line for line in lockfile_text.splitlines() if not line.startswith("//"))
    lock = json.loads(body)
    return {
        requirement["project_name"]: requirement["version"]
        for resolve in lock["locked_resolves"]
        for requirement in resolve["locked_requirements"]
    }


def render(lockfile_text: str) -> str:
    pins = sorted(locked_versions(lockfile_text).items())
    return HEADER + "".join(f"{name}=={version}\n" for name, version in pins)


if __name__ == "__main__":
    print(render(LOCKFILE.read_text()), end="")
