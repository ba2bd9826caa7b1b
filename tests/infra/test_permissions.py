"""Least privilege: each function's role allows exactly what its service does, nothing more.

Grants are compared as (action, resource) pairs with readable resource names, so a new
permission fails these tests until it is added here on purpose.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synthesized
from tests.infra.template_queries import (
    Grant,
    as_list,
    policy_statements,
    referenced_id,
    resources_of_type,
    role_grants,
)

CONSUME = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
)


def _logs(name: str) -> set[Grant]:
    return {("logs:CreateLogStream", name), ("logs:PutLogEvents", name)}


def _each(actions: tuple[str, ...] | list[str], resource: str) -> set[Grant]:
    return {(action, resource) for action in actions}


EXPECTED_GRANTS: dict[str, set[Grant]] = {
    "orchestrator": _logs("orchestrator-logs")
    | {
        ("s3:GetObject", "bucket/uploads/*"),
        ("s3:ListBucket", "bucket"),  # condition: s3:prefix uploads/*
        ("s3:PutObject", "bucket/jobs/*"),
        ("sqs:SendMessage", "task-queue"),
        ("sqs:SendMessage", "completion-queue"),  # an empty library completes at once
        ("sqs:SendMessage", "failed-uploads-queue"),  # Lambda's async dead-letter queue
    }
    | _each(
        [
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:GetItem",
            # TransactWriteItems: the job item's Put, and the check that its ACCESS item has
            # no delete started.
            "dynamodb:ConditionCheckItem",
        ],
        "jobs-table",
    ),
    "book_processor": _logs("processor-logs")
    | _each(
        [
            "dynamodb:BatchGetItem",  # which books of a batch are already recorded
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:GetItem",
            "dynamodb:ConditionCheckItem",
        ],
        "jobs-table",
    )
    | _each(
        [
            "dynamodb:BatchGetItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:UpdateItem",  # the deployment's pace per upstream host
        ],
        "cache-table",
    )
    | _each(CONSUME, "task-queue")
    | {
        ("sqs:SendMessage", "completion-queue"),
        ("sqs:SendMessage", "task-queue"),  # a book waiting for its host's slot, sent again
    },
    "aggregator": _logs("aggregator-logs")
    | {
        ("s3:GetObject", "bucket/jobs/*"),
        ("s3:PutObject", "bucket/dashboards/*"),
        ("dynamodb:GetItem", "jobs-table"),
        ("dynamodb:UpdateItem", "jobs-table"),
        ("dynamodb:Query", "jobs-table"),
        ("dynamodb:Query", "jobs-table/index/open-jobs"),
    }
    | _each(CONSUME, "completion-queue"),
    # services/api/README.md, "What infra provides": this table and nothing else.
    "api": _logs("api-logs")
    | {
        ("s3:PutObject", "bucket/uploads/*"),  # the presigned POST is authorised as this role
        ("s3:GetObject", "bucket/dashboards/*"),  # inline dashboards and the presigned GET
        ("s3:DeleteObject", "bucket/uploads/*"),
        ("s3:DeleteObject", "bucket/jobs/*"),
        ("s3:DeleteObject", "bucket/dashboards/*"),
        ("s3:ListBucket", "bucket"),  # condition: s3:prefix uploads/*, jobs/*, dashboards/*
    }
    | _each(
        [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "dynamodb:BatchWriteItem",
        ],
        "jobs-table",
    ),
}

# Object keys a role may reach are always below one of the data prefixes.
PREFIXED_OBJECTS = {"bucket/uploads/*", "bucket/jobs/*", "bucket/dashboards/*"}


def _role_id(synthesized: Synthesized, service: str) -> str:
    return synthesized.logical_id(getattr(synthesized.pipeline_stack, service).role)


def _grants(synthesized: Synthesized, service: str) -> set[Grant]:
    return role_grants(
        synthesized.pipeline_cfn, _role_id(synthesized, service), synthesized.readable_names()
    )


def test_each_function_has_a_role_of_its_own(synthesized: Synthesized) -> None:
    stack = synthesized.pipeline_stack
    roles = {
        service: synthesized.properties(getattr(stack, service).function)["Role"]
        for service in EXPECTED_GRANTS
    }

    assert {service: referenced_id(role) for service, role in roles.items()} == {
        service: _role_id(synthesized, service) for service in EXPECTED_GRANTS
    }
    assert len(set(map(referenced_id, roles.values()))) == len(EXPECTED_GRANTS)


@pytest.mark.parametrize("service", sorted(EXPECTED_GRANTS))
def test_each_role_allows_exactly_what_its_service_does(
    synthesized: Synthesized, service: str
) -> None:
    assert _grants(synthesized, service) == EXPECTED_GRANTS[service]


def _listing_conditions(synthesized: Synthesized, service: str) -> list[Any]:
    return [
        statement.get("Condition")
        for statement in policy_statements(synthesized.pipeline_cfn, _role_id(synthesized, service))
        if "s3:ListBucket" in as_list(statement["Action"])
    ]


def test_the_orchestrator_lists_only_the_uploads_prefix(synthesized: Synthesized) -> None:
    assert _listing_conditions(synthesized, "orchestrator") == [
        {"StringLike": {"s3:prefix": ["uploads/*"]}}
    ]


def test_the_api_lists_only_the_three_prefixes_a_job_has_objects_under(
    synthesized: Synthesized,
) -> None:
    assert _listing_conditions(synthesized, "api") == [
        {"StringLike": {"s3:prefix": ["uploads/*", "jobs/*", "dashboards/*"]}}
    ]


@pytest.mark.parametrize("service", sorted(EXPECTED_GRANTS))
def test_no_role_reaches_objects_outside_a_prefix_or_lists_without_a_prefix_condition(
    synthesized: Synthesized, service: str
) -> None:
    """A bucket-wide grant (`bucket/*`, `s3:*`, an unconditioned ListBucket) fails here."""
    s3_grants = {(a, r) for a, r in _grants(synthesized, service) if a.startswith("s3:")}

    assert {r for a, r in s3_grants if a != "s3:ListBucket"} <= PREFIXED_OBJECTS
    assert {a for a, _ in s3_grants} <= {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
    }
    assert {r for a, r in s3_grants if a == "s3:ListBucket"} <= {"bucket"}
    for condition in _listing_conditions(synthesized, service):
        assert condition is not None, "a ListBucket without s3:prefix lists the whole bucket"
        prefixes = condition["StringLike"]["s3:prefix"]
        assert prefixes and {f"bucket/{prefix}" for prefix in prefixes} <= PREFIXED_OBJECTS


def test_the_api_reaches_the_jobs_table_but_neither_its_index_nor_the_cache(
    synthesized: Synthesized,
) -> None:
    tables = {r for a, r in _grants(synthesized, "api") if a.startswith("dynamodb:")}

    assert tables == {"jobs-table"}


def test_the_api_cannot_write_manifests_or_dashboards_or_send_messages(
    synthesized: Synthesized,
) -> None:
    grants = _grants(synthesized, "api")

    assert not {("s3:PutObject", "bucket/jobs/*"), ("s3:PutObject", "bucket/dashboards/*")} & grants
    assert not any(action.startswith(("sqs:", "lambda:")) for action, _ in grants)


def test_the_orchestrator_cannot_write_dashboards(synthesized: Synthesized) -> None:
    written = {resource for action, resource in _grants(synthesized, "orchestrator")}

    assert not any(resource.startswith("bucket/dashboards/") for resource in written)
    assert ("s3:PutObject", "bucket/*") not in _grants(synthesized, "orchestrator")


def test_the_aggregator_cannot_send_book_tasks(synthesized: Synthesized) -> None:
    assert not any(resource == "task-queue" for _, resource in _grants(synthesized, "aggregator"))


def test_the_processor_cannot_touch_the_bucket(synthesized: Synthesized) -> None:
    assert not any(action.startswith("s3:") for action, _ in _grants(synthesized, "book_processor"))


def test_no_service_can_reach_another_services_log_group(synthesized: Synthesized) -> None:
    for service, own_log_group in (
        ("orchestrator", "orchestrator-logs"),
        ("book_processor", "processor-logs"),
        ("aggregator", "aggregator-logs"),
        ("api", "api-logs"),
    ):
        log_groups = {
            resource for action, resource in _grants(synthesized, service) if action[:5] == "logs:"
        }
        assert log_groups == {own_log_group}


def test_no_policy_in_the_stack_uses_wildcard_actions(synthesized: Synthesized) -> None:
    for role_id in resources_of_type(synthesized.pipeline_cfn, "AWS::IAM::Role"):
        for statement in policy_statements(synthesized.pipeline_cfn, role_id):
            for action in as_list(statement["Action"]):
                assert "*" not in action, (role_id, action)


def test_service_roles_name_every_resource_they_reach(synthesized: Synthesized) -> None:
    for service in EXPECTED_GRANTS:
        for action, resource in _grants(synthesized, service):
            assert resource != "*" and not resource.startswith("<"), (service, action, resource)
            # The only wildcards are the object keys below one prefix.
            assert "*" not in resource or resource.endswith("/*"), (service, resource)


@pytest.mark.parametrize("service", sorted(EXPECTED_GRANTS))
def test_service_roles_carry_no_managed_policies(synthesized: Synthesized, service: str) -> None:
    role: dict[str, Any] = synthesized.pipeline_cfn["Resources"][_role_id(synthesized, service)]

    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
