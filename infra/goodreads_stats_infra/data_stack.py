"""The stateful stack: the data bucket and the tables, apart from everything that is replaced
freely (queues, functions, alarms live in the pipeline stack)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from infra.goodreads_stats_infra.config import PipelineSettings
from infra.goodreads_stats_infra.storage import DataBucket, DataBucketProps
from infra.goodreads_stats_infra.tables import Tables, TablesProps


class DataStack(Stack):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """Production retains the bucket and the tables when the stack is deleted (and the app
    turns on termination protection); any other environment is disposable."""

    def __init__(
        self, scope: Construct, id: str, *, settings: PipelineSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        removal_policy = RemovalPolicy.RETAIN if settings.is_production else RemovalPolicy.DESTROY
        self.data = DataBucket(
            self,
            "Data",
            DataBucketProps(removal_policy=removal_policy),
        )
        self.tables = Tables(self, "Tables", TablesProps(removal_policy=removal_policy))

        CfnOutput(self, "DataBucketName", value=self.data.bucket.bucket_name)
        CfnOutput(self, "JobsTableName", value=self.tables.jobs.table_name)
        CfnOutput(self, "CacheTableName", value=self.tables.cache.table_name)
