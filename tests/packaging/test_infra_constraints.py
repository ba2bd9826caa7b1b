"""The CDK app's environment, installed with pip, has exactly the infra resolve's versions."""

from __future__ import annotations

from tests.packaging.infra_constraints import CONSTRAINTS, LOCKFILE, locked_versions, render


def test_the_constraints_file_pins_every_locked_package_at_its_locked_version() -> None:
    expected = render(LOCKFILE.read_text())

    assert CONSTRAINTS.read_text() == expected, (
        "3rdparty/python/infra-constraints.txt is out of date with infra.lock; regenerate it:\n"
        "python -m tests.packaging.infra_constraints > 3rdparty/python/infra-constraints.txt"
    )


def test_the_lockfile_holds_the_cdk_and_its_checks() -> None:
    versions = locked_versions(LOCKFILE.read_text())

    assert {"aws-cdk-lib", "constructs", "cdk-nag", "cfn-lint", "jsii"} <= set(versions)
    assert versions["aws-cdk-lib"] == "2.220.0"
