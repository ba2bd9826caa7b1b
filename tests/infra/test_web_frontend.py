"""The web front end (infra/goodreads_stats_infra/web_frontend.py): the built app in a private
bucket behind CloudFront with origin access control, the HTTP API on the same origin under
/api/, one response headers policy with the app's CSP, HSTS, nosniff, no Referer and no
framing, the data bucket's CORS for this origin, and the site's URL as an output."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from contracts import site
from infra.goodreads_stats_infra.web_frontend import STRIP_API_PREFIX_JS
from tests.infra.conftest import Synthesized, synthesis_messages, synthesize
from tests.infra.template_queries import render, resources_of_type

# CloudFront's managed policies, by their fixed ids.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _only(template: dict[str, Any], type_name: str) -> dict[str, Any]:
    (resource,) = resources_of_type(template, type_name).values()
    properties: dict[str, Any] = resource["Properties"]
    return properties


def _names(deployment: Synthesized) -> dict[str, str]:
    frontend = deployment.web_stack.frontend
    names = {
        deployment.logical_id(frontend.distribution): "distribution",
        deployment.logical_id(frontend.site_bucket): "site-bucket",
    }
    for output_name, value in (
        ("data-bucket", {"Ref": deployment.logical_id(deployment.data_stack.data.bucket)}),
        (
            "data-bucket-regional-domain",
            {
                "Fn::GetAtt": [
                    deployment.logical_id(deployment.data_stack.data.bucket),
                    "RegionalDomainName",
                ]
            },
        ),
    ):
        for output in deployment.data_cfn["Outputs"].values():
            if "Export" in output and output["Value"] == value:
                names[output["Export"]["Name"]] = output_name
    return names


def _distribution(deployment: Synthesized) -> dict[str, Any]:
    config: dict[str, Any] = _only(deployment.web_cfn, "AWS::CloudFront::Distribution")[
        "DistributionConfig"
    ]
    return config


@pytest.fixture(params=["dev", "prod"])
def deployment(
    request: pytest.FixtureRequest, synthesized: Synthesized, production: Synthesized
) -> Synthesized:
    return synthesized if request.param == "dev" else production


def test_the_app_is_in_a_private_bucket_only_cloudfront_may_read(deployment: Synthesized) -> None:
    bucket = _only(deployment.web_cfn, "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    statements = _only(deployment.web_cfn, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    (tls,) = (s for s in statements if s["Effect"] == "Deny")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (reader,) = (
        s for s in statements if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    )
    names = _names(deployment)
    assert reader["Action"] == "s3:GetObject"
    assert render(reader["Resource"], names) == "site-bucket/*"
    source = reader["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Join"][1]
    assert source[-1] == {"Ref": deployment.logical_id(deployment.web_stack.frontend.distribution)}


def test_cloudfront_reads_the_bucket_with_origin_access_control(deployment: Synthesized) -> None:
    config = _distribution(deployment)
    (site_origin,) = (o for o in config["Origins"] if "S3OriginConfig" in o)
    assert site_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    oac = _only(deployment.web_cfn, "AWS::CloudFront::OriginAccessControl")
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    assert site_origin["OriginAccessControlId"]["Fn::GetAtt"][0] in deployment.web_cfn["Resources"]
    default = config["DefaultCacheBehavior"]
    assert config["DefaultRootObject"] == "index.html"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert default["CachePolicyId"] == CACHING_OPTIMIZED


def test_the_api_is_on_the_same_origin_under_api_uncached_with_every_method(
    deployment: Synthesized,
) -> None:
    config = _distribution(deployment)
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == f"{site.API_PATH_PREFIX}/*"
    assert set(api["AllowedMethods"]) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
        "PATCH",
        "POST",
        "DELETE",
    }
    assert api["CachePolicyId"] == CACHING_DISABLED
    # Every viewer header but Host (the API's own): DELETE's Authorization reaches the function.
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert api["ViewerProtocolPolicy"] == "https-only"
    (origin,) = (o for o in config["Origins"] if o["Id"] == api["TargetOriginId"])
    assert origin["CustomOriginConfig"] == {
        "OriginProtocolPolicy": "https-only",
        "OriginSSLProtocols": ["TLSv1.2"],
    }
    # The HTTP API's host: <id>.execute-api.<region>.<URL suffix>.
    pipeline_exports = {
        output["Export"]["Name"]: output["Value"]
        for output in deployment.pipeline_cfn["Outputs"].values()
        if "Export" in output
    }
    id_import = origin["DomainName"]["Fn::Join"][1][0]
    http_api = deployment.pipeline_stack.http_api.api
    assert pipeline_exports[id_import["Fn::ImportValue"]] == {
        "Ref": deployment.logical_id(http_api)
    }
    assert render(origin["DomainName"], {id_import["Fn::ImportValue"]: "<api id>"}) == (
        "<api id>.execute-api.<AWS::Region>.<AWS::URLSuffix>"
    )
    (association,) = api["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function = _only(deployment.web_cfn, "AWS::CloudFront::Function")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["FunctionCode"] == STRIP_API_PREFIX_JS


@pytest.mark.parametrize(
    ("viewer_path", "api_path"),
    [
        ("/api/jobs", "/jobs"),
        (
            "/api/jobs/6f9619ff-8b86-4d01-b42d-00cf4fc964ff/dashboard",
            "/jobs/6f9619ff-8b86-4d01-b42d-00cf4fc964ff/dashboard",
        ),
        ("/apis/jobs", "/apis/jobs"),  # only the exact prefix
        ("/index.html", "/index.html"),
    ],
)
def test_the_cloudfront_function_hands_the_api_its_own_routes(
    viewer_path: str, api_path: str
) -> None:
    """The function's code, run by node as CloudFront's JS runtime would run it."""
    node = shutil.which("node")
    assert node is not None, "node is needed (the CDK's jsii runtime needs it too)"
    script = (
        STRIP_API_PREFIX_JS
        + f"process.stdout.write(handler({{request: {{uri: {json.dumps(viewer_path)}, method: 'GET'}}}}).uri);"
    )
    completed = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    assert completed.stdout == api_path


def test_every_response_carries_the_apps_security_headers(deployment: Synthesized) -> None:
    config = _distribution(deployment)
    policy_ref = {"Ref": deployment.logical_id(deployment.web_stack.frontend.headers)}
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == policy_ref
    assert config["CacheBehaviors"][0]["ResponseHeadersPolicyId"] == policy_ref

    headers = _only(deployment.web_cfn, "AWS::CloudFront::ResponseHeadersPolicy")[
        "ResponseHeadersPolicyConfig"
    ]
    security = headers["SecurityHeadersConfig"]
    csp = render(security["ContentSecurityPolicy"]["ContentSecurityPolicy"], _names(deployment))
    assert csp == site.content_security_policy(["https://data-bucket-regional-domain"])
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'none'"
    assert "unsafe" not in csp
    assert security["ContentSecurityPolicy"]["Override"] is True
    assert security["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": site.HSTS_MAX_AGE_SECONDS,
        "IncludeSubdomains": True,
        "Override": True,
    }
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    custom = {item["Header"]: item["Value"] for item in headers["CustomHeadersConfig"]["Items"]}
    expected = site.security_headers()
    assert custom == {
        name: expected[name] for name in ("Permissions-Policy", "Cross-Origin-Opener-Policy")
    }


def test_the_built_app_is_deployed_hashed_assets_cached_for_good_pages_revalidated(
    deployment: Synthesized,
) -> None:
    deployments = resources_of_type(deployment.web_cfn, "Custom::CDKBucketDeployment")
    by_filter = {
        json.dumps(resource["Properties"].get("Include", [])): resource["Properties"]
        for resource in deployments.values()
    }
    assets = by_filter['["assets/*"]']
    pages = by_filter["[]"]
    site_bucket = {"Ref": deployment.logical_id(deployment.web_stack.frontend.site_bucket)}
    for properties in (assets, pages):
        assert properties["DestinationBucketName"] == site_bucket
        assert properties["SourceObjectKeys"] == assets["SourceObjectKeys"]  # one zip: web:site
    assert assets["Exclude"] == ["*"] and assets["Prune"] is False  # old pages' files stay
    assert assets["SystemMetadata"] == {"cache-control": "public, max-age=31536000, immutable"}
    assert pages["Exclude"] == ["assets/*"] and pages.get("Prune", True) is True
    assert pages["SystemMetadata"] == {"cache-control": "no-cache"}
    assert pages["DistributionPaths"] == ["/*"]
    assert pages["DistributionId"] == {
        "Ref": deployment.logical_id(deployment.web_stack.frontend.distribution)
    }


def test_the_site_zip_from_the_dist_directory_is_the_asset(
    deployment: Synthesized, placeholder_dist: Any
) -> None:
    (key,) = {
        resource["Properties"]["SourceObjectKeys"][0]
        for resource in resources_of_type(
            deployment.web_cfn, "Custom::CDKBucketDeployment"
        ).values()
    }
    assert key.endswith(".zip")
    # The CDK stages a zip asset as the zip itself, named by its hash.
    staged = deployment.outdir / f"asset.{key}"
    assert staged.read_bytes() == (placeholder_dist / "web" / "site.zip").read_bytes()


def _cors_call(deployment: Synthesized, phase: str) -> dict[str, Any]:
    (resource,) = resources_of_type(deployment.web_cfn, "Custom::AWS").values()
    call: dict[str, Any] = json.loads(render(resource["Properties"][phase], _names(deployment)))
    return call


def test_the_data_bucket_lets_this_site_and_the_configured_origins_upload(
    synthesized: Synthesized, production: Synthesized
) -> None:
    for deployment, extra in (
        (synthesized, []),
        (production, ["https://books.example.org", "https://staging.books.example.org:8443"]),
    ):
        for phase in ("Create", "Update"):
            call = _cors_call(deployment, phase)
            assert (call["service"], call["action"]) == ("S3", "putBucketCors")
            assert call["parameters"]["Bucket"] == "data-bucket"
            rules = call["parameters"]["CORSConfiguration"]["CORSRules"]
            (upload,) = (rule for rule in rules if rule["AllowedMethods"] == ["POST"])
            assert upload == {
                "ID": "browser-uploads",
                "AllowedMethods": ["POST"],
                "AllowedOrigins": ["https://distribution", *extra],
                # A preflight (an upload with progress listeners) may ask for any header: the
                # signed policy, not CORS, decides what S3 accepts.
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 3600,
            }
            # A browser following the API's 303 to S3 sends `Origin: null`: only `*` matches.
            assert [rule for rule in rules if rule is not upload] == [
                {
                    "ID": "browser-large-dashboards",
                    "AllowedMethods": ["GET"],
                    "AllowedOrigins": ["*"],
                    "MaxAgeSeconds": 3600,
                }
            ]
    # Without the site, the configured origins keep theirs; with none, no CORS at all.
    assert _cors_call(synthesized, "Delete")["action"] == "deleteBucketCors"
    kept = _cors_call(production, "Delete")["parameters"]["CORSConfiguration"]["CORSRules"][0]
    assert kept["AllowedOrigins"] == [
        "https://books.example.org",
        "https://staging.books.example.org:8443",
    ]


def test_the_cors_call_may_do_nothing_else(deployment: Synthesized) -> None:
    (policy,) = (
        resource["Properties"]
        for logical_id, resource in resources_of_type(
            deployment.web_cfn, "AWS::IAM::Policy"
        ).items()
        if logical_id.startswith("FrontendDataBucketCors")
    )
    (statement,) = policy["PolicyDocument"]["Statement"]
    data_bucket_arn = {
        "Fn::GetAtt": [deployment.logical_id(deployment.data_stack.data.bucket), "Arn"]
    }
    exports = {
        output["Export"]["Name"]: output["Value"]
        for output in deployment.data_cfn["Outputs"].values()
        if "Export" in output
    }
    assert statement["Action"] == "s3:PutBucketCORS"
    assert exports[statement["Resource"]["Fn::ImportValue"]] == data_bucket_arn


def test_the_site_url_is_an_output(deployment: Synthesized) -> None:
    outputs = deployment.web_cfn["Outputs"]
    assert render(outputs["SiteUrl"]["Value"], _names(deployment)) == "https://distribution"
    assert "browser" in outputs["SiteUrl"]["Description"]


def test_the_web_stack_comes_after_the_api_and_the_data_bucket(synthesized: Synthesized) -> None:
    imports = json.dumps(synthesized.web_cfn)
    assert "GoodreadsStats-dev-Pipeline:" in imports and "GoodreadsStats-dev-Data:" in imports
    assert "GoodreadsStats-dev-Web" not in json.dumps(synthesized.pipeline_cfn)


def test_cdk_nag_passes_when_the_account_and_region_are_known(
    placeholder_dist: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `cdk deploy` synthesizes: the CLI sets the account and region, and ARNs that are
    tokens in a plain synth (the CDK's asset bucket) become concrete strings."""
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    deployment = synthesize({"distDir": str(placeholder_dist)}, tmp_path)

    for stack in deployment.deployment.stacks:
        assert synthesis_messages(deployment, stack, "error") == [], stack.stack_name
