"""The DynamoDB tables: jobs (job items and per-book results) and the enrichment cache."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from contracts import layout

_STRING = dynamodb.AttributeType.STRING


@dataclasses.dataclass(frozen=True)
class TablesProps:
    removal_policy: RemovalPolicy  # RETAIN in production, DESTROY in disposable environments


class Tables(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """On-demand tables with TTL and point-in-time recovery; the jobs table has the sparse
    `open-jobs` index that lets the aggregator's sweep find open jobs without a scan."""

    def __init__(self, scope: Construct, id: str, props: TablesProps) -> None:
        super().__init__(scope, id)
        self.jobs = _table(self, layout.JOBS_TABLE, props)
        # The cache is public metadata that refills from the upstream APIs, but a restore is
        # far cheaper than re-asking rate-limited APIs for every book: it is recovered too.
        self.cache = _table(self, layout.CACHE_TABLE, props)

    @property
    def open_jobs_index_arn(self) -> str:
        return f"{self.jobs.table_arn}/index/{layout.OPEN_JOBS_INDEX}"

    def grant_jobs(self, grantee: iam.IGrantable, actions: Sequence[str]) -> None:
        """Item-level actions on the jobs table itself (not its index)."""
        _allow(grantee, actions, [self.jobs.table_arn])

    def grant_query_jobs_and_open_jobs_index(self, grantee: iam.IGrantable) -> None:
        _allow(grantee, ["dynamodb:Query"], [self.jobs.table_arn, self.open_jobs_index_arn])

    def grant_cache(self, grantee: iam.IGrantable, actions: Sequence[str]) -> None:
        _allow(grantee, actions, [self.cache.table_arn])


def _table(scope: Construct, definition: layout.Table, props: TablesProps) -> dynamodb.Table:
    """The table as contracts/layout.py defines it (string keys, TTL, its indexes)."""
    table = dynamodb.Table(
        scope,
        definition.logical_id,
        partition_key=dynamodb.Attribute(name=definition.partition_key, type=_STRING),
        sort_key=(
            dynamodb.Attribute(name=definition.sort_key, type=_STRING)
            if definition.sort_key
            else None
        ),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute=definition.ttl_attribute,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=props.removal_policy,
    )
    for index in definition.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=dynamodb.Attribute(name=index.partition_key, type=_STRING),
            sort_key=dynamodb.Attribute(name=index.sort_key, type=_STRING),
            projection_type=dynamodb.ProjectionType(index.projection),
        )
    return table


def _allow(grantee: iam.IGrantable, actions: Sequence[str], resources: Sequence[str]) -> None:
    for action in actions:
        if not action.startswith("dynamodb:") or "*" in action:
            raise ValueError(f"not a single DynamoDB action: {action!r}")
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(actions), resources=list(resources))
    )
