"""The data bucket and the DynamoDB tables."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synthesized
from tests.infra.template_queries import referenced_id, resources_of_type


def _bucket(synthesized: Synthesized) -> dict[str, Any]:
    buckets = resources_of_type(synthesized.cfn, "AWS::S3::Bucket")
    assert list(buckets) == [synthesized.logical_id(synthesized.stack.data.bucket)]
    return next(iter(buckets.values()))


def _table(synthesized: Synthesized, table: Any) -> dict[str, Any]:
    properties: dict[str, Any] = synthesized.cfn["Resources"][synthesized.logical_id(table)][
        "Properties"
    ]
    return properties


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
    bucket_id = synthesized.logical_id(synthesized.stack.data.bucket)
    policies = [
        policy["Properties"]
        for policy in resources_of_type(synthesized.cfn, "AWS::S3::BucketPolicy").values()
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
    assert all(statement["Effect"] == "Deny" for statement in statements)


def test_the_bucket_encrypts_with_s3_managed_keys(synthesized: Synthesized) -> None:
    encryption = _bucket(synthesized)["Properties"]["BucketEncryption"]

    assert encryption == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }


def test_uploads_and_manifests_expire_while_dashboards_are_kept(synthesized: Synthesized) -> None:
    rules = _bucket(synthesized)["Properties"]["LifecycleConfiguration"]["Rules"]
    expiry_by_prefix = {
        rule.get("Prefix"): rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule
    }

    assert expiry_by_prefix == {"uploads/": 30, "jobs/": 30}
    assert all(rule["Status"] == "Enabled" for rule in rules)
    assert any("AbortIncompleteMultipartUpload" in rule for rule in rules)


def test_the_bucket_survives_the_stack(synthesized: Synthesized) -> None:
    bucket = _bucket(synthesized)

    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_an_object_created_under_uploads_invokes_the_orchestrator(
    synthesized: Synthesized,
) -> None:
    orchestrator_id = synthesized.logical_id(synthesized.stack.orchestrator.function)
    (notifications,) = resources_of_type(synthesized.cfn, "Custom::S3BucketNotifications").values()
    configuration = notifications["Properties"]["NotificationConfiguration"]

    assert configuration == {
        "LambdaFunctionConfigurations": [
            {
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                "LambdaFunctionArn": {"Fn::GetAtt": [orchestrator_id, "Arn"]},
            }
        ]
    }
    synthesized.template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [orchestrator_id, "Arn"]},
            "Principal": "s3.amazonaws.com",
            "SourceArn": {
                "Fn::GetAtt": [synthesized.logical_id(synthesized.stack.data.bucket), "Arn"]
            },
        },
    )


def test_the_jobs_table_has_string_keys_ttl_and_point_in_time_recovery(
    synthesized: Synthesized,
) -> None:
    jobs = _table(synthesized, synthesized.stack.tables.jobs)

    assert jobs["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert jobs["BillingMode"] == "PAY_PER_REQUEST"
    assert jobs["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert jobs["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert {
        definition["AttributeName"]: definition["AttributeType"]
        for definition in jobs["AttributeDefinitions"]
    } == {"pk": "S", "sk": "S", "open_shard": "S", "deadline": "S"}


def test_the_open_jobs_index_is_keyed_by_shard_and_deadline_and_projects_keys_only(
    synthesized: Synthesized,
) -> None:
    jobs = _table(synthesized, synthesized.stack.tables.jobs)

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
    cache = _table(synthesized, synthesized.stack.tables.cache)

    assert cache["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert cache["BillingMode"] == "PAY_PER_REQUEST"
    assert cache["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "GlobalSecondaryIndexes" not in cache


def test_tables_survive_the_stack(synthesized: Synthesized) -> None:
    for table in (synthesized.stack.tables.jobs, synthesized.stack.tables.cache):
        resource = synthesized.cfn["Resources"][synthesized.logical_id(table)]
        assert resource["DeletionPolicy"] == "Retain"
