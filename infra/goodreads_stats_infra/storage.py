"""The private data bucket: uploads, manifests and dashboards under their own prefixes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from contracts.layout import (
    DASHBOARD_PREFIX,
    DASHBOARD_RETENTION_DAYS,
    INTERMEDIATE_PREFIX,
    JOB_RETENTION_DAYS,
    UPLOAD_PREFIX,
)


@dataclasses.dataclass(frozen=True)
class DataBucketProps:
    # RETAIN in production: readers' dashboards outlive the stack. DESTROY empties the bucket
    # first (a custom resource deletes the objects), so a disposable environment tears down.
    removal_policy: RemovalPolicy
    # The reader's CSV: only needed until the job is done; kept as long as the job item.
    upload_retention_days: int = JOB_RETENTION_DAYS
    # The aggregator reads it within the job's deadline; kept as long as the job item.
    manifest_retention_days: int = JOB_RETENTION_DAYS
    # The API serves (and deletes) a dashboard only while its job item lives: see contracts/layout.py.
    dashboard_retention_days: int = DASHBOARD_RETENTION_DAYS
    incomplete_upload_retention_days: int = 1


def private_bucket(
    scope: Construct, id: str, *, removal_policy: RemovalPolicy, **options: Any
) -> s3.Bucket:
    """A bucket of this project: never public, TLS only, encrypted, ACLs off; emptied on
    destroy when its removal policy destroys it. `options` are the bucket's own settings."""
    return s3.Bucket(
        scope,
        id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=removal_policy,
        auto_delete_objects=removal_policy == RemovalPolicy.DESTROY,
        **options,
    )


class DataBucket(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """One bucket, never public, TLS only; everything of a job expires with the job.

    Access is granted per prefix, so that each service reaches only the keys it owns.
    """

    def __init__(self, scope: Construct, id: str, props: DataBucketProps) -> None:
        super().__init__(scope, id)
        self.bucket = private_bucket(
            self,
            "Bucket",
            removal_policy=props.removal_policy,
            versioned=False,  # every key is written once; expiry must really delete
            # CORS rules are set by the web front end (web_frontend.py): they name its origin.
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-uploads",
                    prefix=UPLOAD_PREFIX,
                    expiration=Duration.days(props.upload_retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-manifests",
                    prefix=INTERMEDIATE_PREFIX,
                    expiration=Duration.days(props.manifest_retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-dashboards",
                    prefix=DASHBOARD_PREFIX,
                    expiration=Duration.days(props.dashboard_retention_days),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(
                        props.incomplete_upload_retention_days
                    ),
                ),
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.bucket,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="Only the pipeline's roles (and, outside production, CDK's custom "
                    "resource that empties the bucket on delete) can reach the bucket, and every "
                    "key is written once; server access logs would cost more than the data they "
                    "describe. CloudTrail data events are the audit trail if one is needed.",
                )
            ],
        )

    def grant_read_uploads(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:GetObject", UPLOAD_PREFIX)

    def grant_list_uploads(self, grantee: iam.IGrantable) -> None:
        """ListBucket limited to the uploads prefix (a direct job_id invocation finds the CSV)."""
        self._allow_listing(grantee, [UPLOAD_PREFIX])

    def grant_create_uploads(self, grantee: iam.IGrantable) -> None:
        """PutObject under uploads/: a presigned POST is authorised as the role that signed it."""
        self._allow_on_prefix(grantee, "s3:PutObject", UPLOAD_PREFIX)

    def grant_read_dashboards(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:GetObject", DASHBOARD_PREFIX)

    def grant_delete_job_objects(self, grantee: iam.IGrantable) -> None:
        """Delete a job's objects: list and delete under each of the three prefixes."""
        prefixes = [UPLOAD_PREFIX, INTERMEDIATE_PREFIX, DASHBOARD_PREFIX]
        for prefix in prefixes:
            self._allow_on_prefix(grantee, "s3:DeleteObject", prefix)
        self._allow_listing(grantee, prefixes)

    def grant_write_manifests(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:PutObject", INTERMEDIATE_PREFIX)

    def grant_read_manifests(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:GetObject", INTERMEDIATE_PREFIX)

    def grant_write_dashboards(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:PutObject", DASHBOARD_PREFIX)

    def _allow_listing(self, grantee: iam.IGrantable, prefixes: Sequence[str]) -> None:
        """ListBucket (the bucket ARN; no wildcard) whose s3:prefix must lie under `prefixes`."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            )
        )

    def _allow_on_prefix(self, grantee: iam.IGrantable, action: str, prefix: str) -> None:
        """One object action under one prefix. The key wildcard is the narrowest scope S3
        offers for keys named by job ids, so its cdk-nag finding is suppressed right here."""
        principal = grantee.grant_principal
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[action], resources=[self.bucket.arn_for_objects(f"{prefix}*")]
            )
        )
        if not isinstance(principal, Construct):
            return  # a principal outside this app (nothing for cdk-nag to check here)
        bucket_id = Stack.of(self).get_logical_id(cast(CfnElement, self.bucket.node.default_child))
        NagSuppressions.add_resource_suppressions(
            principal,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=f"{action} is limited to the {prefix} prefix; the keys below it "
                    "contain job ids that are only known at run time.",
                    applies_to=[f"Resource::<{bucket_id}.Arn>/{prefix}*"],
                )
            ],
            apply_to_children=True,
        )
