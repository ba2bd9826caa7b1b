"""The private data bucket: uploads, manifests and dashboards under their own prefixes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import cast

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.goodreads_stats_infra.layout import DASHBOARD_PREFIX, MANIFEST_PREFIX, UPLOAD_PREFIX


@dataclasses.dataclass(frozen=True)
class DataBucketProps:
    # RETAIN in production: readers' dashboards outlive the stack. DESTROY empties the bucket
    # first (a custom resource deletes the objects), so a disposable environment tears down.
    removal_policy: RemovalPolicy
    # Web origins whose pages may POST an upload (presigned POST) from the browser.
    upload_origins: Sequence[str] = ()
    upload_retention_days: int = 30  # the reader's CSV: only needed until the job is done
    manifest_retention_days: int = 30  # the aggregator reads it within the job's deadline
    incomplete_upload_retention_days: int = 1


class DataBucket(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """One bucket, never public, TLS only; dashboards are kept, inputs expire.

    Access is granted per prefix, so that each service reaches only the keys it owns.
    """

    def __init__(self, scope: Construct, id: str, props: DataBucketProps) -> None:
        super().__init__(scope, id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,  # every key is written once; expiry must really delete
            removal_policy=props.removal_policy,
            auto_delete_objects=props.removal_policy == RemovalPolicy.DESTROY,
            cors=_upload_cors(props.upload_origins),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-uploads",
                    prefix=UPLOAD_PREFIX,
                    expiration=Duration.days(props.upload_retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-manifests",
                    prefix=MANIFEST_PREFIX,
                    expiration=Duration.days(props.manifest_retention_days),
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
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{UPLOAD_PREFIX}*"]}},
            )
        )

    def grant_write_manifests(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:PutObject", MANIFEST_PREFIX)

    def grant_read_manifests(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:GetObject", MANIFEST_PREFIX)

    def grant_write_dashboards(self, grantee: iam.IGrantable) -> None:
        self._allow_on_prefix(grantee, "s3:PutObject", DASHBOARD_PREFIX)

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


def _upload_cors(origins: Sequence[str]) -> list[s3.CorsRule] | None:
    """Browsers on these origins may POST a form (a presigned POST) and read the reply; nothing
    else crosses origins. Without origins there is no CORS configuration at all."""
    if not origins:
        return None
    return [
        s3.CorsRule(
            id="browser-uploads",
            allowed_methods=[s3.HttpMethods.POST],
            allowed_origins=list(origins),
            max_age=3600,  # a browser that sends a preflight may reuse it for an hour
        )
    ]
