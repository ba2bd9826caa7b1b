"""The data stack: the bucket and the DynamoDB tables, and what each environment keeps."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synthesized
from tests.infra.template_queries import referenced_id, resources_of_type


def _bucket(synthesized: Synthesized) -> dict[str, Any]:
    buckets = resources_of_type(synthesized.data_cfn, "AWS::S3::Bucket")
    assert list(buckets) == [synthesized.logical_id(synthesized.data_stack.data.bucket)]
    return next(iter(buckets.values()))


def _tables(synthesized: Synthesized) -> list[Any]:
    tables = synthesized.data_stack.tables
    return [tables.jobs, tables.cache]


def test_stateful_resources_live_in_the_data_stack_and_nowhere_else(
    synthesized: Synthesized,
) -> None:
    stateful = ("AWS::S3::Bucket", "AWS::DynamoDB::Table")

    assert {
        resource["Type"]
        for resource in synthesized.data_cfn["Resources"].values()
        if resource["Type"] in stateful
    } == set(stateful)
    assert not any(
        resource["Type"] in stateful for resource in synthesized.pipeline_cfn["Resources"].values()
    )
    assert len(resources_of_type(synthesized.data_cfn, "AWS::DynamoDB::Table")) == 2


def test_the_bucket_blocks_every_kind_of_public_access(synthesized: Synthesized) -> None:
    properties = _bucket(synthesized)["Properties"]

    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }


def test_the_bucket_refuses_requests_without_tls(synthesized: Synthesized) -> None:
    bucket_id = synthesized.logical_id(synthesized.data_stack.data.bucket)
    policies = [
        policy["Properties"]
        for policy in resources_of_type(synthesized.data_cfn, "AWS::S3::BucketPolicy").values()
        if referenced_id(policy["Properties"]["Bucket"]) == bucket_id
    ]
    statements = [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]

    assert any(
        statement["Effect"] == "Deny"
        and statement["Action"] == "s3:*"
        and statement["Principal"] == {"AWS": "*"}
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in statements
    ), statements


def test_the_bucket_encrypts_with_s3_managed_keys(synthesized: Synthesized) -> None:
    encryption = _bucket(synthesized)["Properties"]["BucketEncryption"]

    assert encryption == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }


def test_uploads_and_manifests_expire_with_the_job_and_dashboards_a_day_later(
    synthesized: Synthesized,
) -> None:
    rules = _bucket(synthesized)["Properties"]["LifecycleConfiguration"]["Rules"]
    expiry_by_prefix = {
        rule.get("Prefix"): rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule
    }

    # uploads/: the reader's CSV; jobs/: the orchestrator's manifests (intermediates);
    # dashboards/: served and deletable through the API only while the job item (30 days) lives.
    assert expiry_by_prefix == {"uploads/": 30, "jobs/": 30, "dashboards/": 31}
    assert all(rule["Status"] == "Enabled" for rule in rules)
    assert [rule["AbortIncompleteMultipartUpload"] for rule in rules if "Prefix" not in rule] == [
        {"DaysAfterInitiation": 1}
    ]


def test_the_production_bucket_and_tables_survive_their_stack(production: Synthesized) -> None:
    stateful = [production.data_stack.data.bucket, *_tables(production)]

    for construct in stateful:
        resource = production.resource(construct)
        assert resource["DeletionPolicy"] == "Retain", construct.node.path
        assert resource["UpdateReplacePolicy"] == "Retain", construct.node.path
    assert not resources_of_type(production.data_cfn, "Custom::S3AutoDeleteObjects")


def test_the_production_data_stack_is_protected_from_deletion(production: Synthesized) -> None:
    assert production.data_stack.termination_protection is True
    assert production.pipeline_stack.termination_protection is False  # stateless: replaceable


def test_a_development_environment_is_deleted_with_its_stacks_bucket_contents_included(
    synthesized: Synthesized,
) -> None:
    bucket = synthesized.data_stack.data.bucket
    bucket_id = synthesized.logical_id(bucket)
    (auto_delete,) = resources_of_type(synthesized.data_cfn, "Custom::S3AutoDeleteObjects").values()

    for construct in [bucket, *_tables(synthesized)]:
        assert synthesized.resource(construct)["DeletionPolicy"] == "Delete", construct.node.path
    assert synthesized.data_stack.termination_protection is False
    # CloudFormation cannot delete a bucket with objects in it: CDK's custom resource empties it.
    assert referenced_id(auto_delete["Properties"]["BucketName"]) == bucket_id


@pytest.mark.parametrize("table", ["jobs", "cache"])
def test_every_table_has_point_in_time_recovery(synthesized: Synthesized, table: str) -> None:
    properties = synthesized.properties(getattr(synthesized.data_stack.tables, table))

    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_data_stack_leaves_the_buckets_cors_rules_to_the_web_front_end(
    synthesized: Synthesized, production: Synthesized
) -> None:
    """They name the distribution's origin, which the data stack cannot know
    (tests/infra/test_web_frontend.py has them)."""
    for deployment in (synthesized, production):
        assert "CorsConfiguration" not in _bucket(deployment)["Properties"]


def test_the_jobs_table_has_string_keys_and_ttl(synthesized: Synthesized) -> None:
    jobs = synthesized.properties(synthesized.data_stack.tables.jobs)

    assert jobs["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert jobs["BillingMode"] == "PAY_PER_REQUEST"
    assert jobs["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert {
        definition["AttributeName"]: definition["AttributeType"]
        for definition in jobs["AttributeDefinitions"]
    } == {"pk": "S", "sk": "S", "open_shard": "S", "deadline": "S"}


def test_the_open_jobs_index_is_keyed_by_shard_and_deadline_and_projects_keys_only(
    synthesized: Synthesized,
) -> None:
    jobs = synthesized.properties(synthesized.data_stack.tables.jobs)

    assert jobs["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "open-jobs",
            "KeySchema": [
                {"AttributeName": "open_shard", "KeyType": "HASH"},
                {"AttributeName": "deadline", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ]


def test_the_cache_table_is_keyed_by_pk_and_expires_entries(synthesized: Synthesized) -> None:
    cache = synthesized.properties(synthesized.data_stack.tables.cache)

    assert cache["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert cache["BillingMode"] == "PAY_PER_REQUEST"
    assert cache["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "GlobalSecondaryIndexes" not in cache


def test_an_object_created_under_uploads_invokes_the_orchestrator(
    synthesized: Synthesized,
) -> None:
    orchestrator_id = synthesized.logical_id(synthesized.pipeline_stack.orchestrator.function)
    bucket = synthesized.data_stack.data.bucket
    (notifications,) = resources_of_type(
        synthesized.pipeline_cfn, "Custom::S3BucketNotifications"
    ).values()

    assert notifications["Properties"]["BucketName"] == synthesized.imported(bucket)
    assert notifications["Properties"]["NotificationConfiguration"] == {
        "LambdaFunctionConfigurations": [
            {
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                "LambdaFunctionArn": {"Fn::GetAtt": [orchestrator_id, "Arn"]},
            }
        ]
    }
    # Unmanaged: it adds this notification and leaves any other on the bucket alone.
    assert notifications["Properties"]["Managed"] is False
    synthesized.pipeline.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [orchestrator_id, "Arn"]},
            "Principal": "s3.amazonaws.com",
            "SourceArn": synthesized.imported(bucket, "Arn"),
        },
    )


def test_the_data_stack_depends_on_nothing_of_the_pipeline(synthesized: Synthesized) -> None:
    """The pipeline can be destroyed and redeployed while the data stays."""
    assert synthesized.data_stack.dependencies == []
    assert synthesized.pipeline_stack.dependencies == [synthesized.data_stack]
    assert "Fn::ImportValue" not in str(synthesized.data_cfn)
