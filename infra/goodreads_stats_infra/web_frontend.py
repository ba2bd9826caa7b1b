"""The web front end: the built app (web/) in a private bucket, served by CloudFront with the
HTTP API on the same origin under /api/, behind one set of security headers.

Readers open the distribution's URL: the upload page, their job's progress, their dashboard.
The browser talks to three places only: this origin (the app and /api/*), the data bucket (the
presigned form POST of the export, and a presigned GET for a dashboard too large for Lambda),
and the cover hosts (images). The Content-Security-Policy says exactly that.

The data bucket's CORS rules are set here, not in the data stack, because they must name this
distribution's origin, which exists only once the distribution does; the data stack comes
first, so it cannot know it (a cross-stack reference the other way would be a cycle).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, cast

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import custom_resources as cr
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from contracts import site
from infra.goodreads_stats_infra.storage import private_bucket

# The app calls the HTTP API on this origin under /api/ (contracts/site.py), so no CORS is
# needed; a CloudFront Function removes the prefix, so that the API sees its own routes.
API_PATH_PATTERN: Final = f"{site.API_PATH_PREFIX}/*"
STRIP_API_PREFIX_JS: Final = f"""function handler(event) {{
  var request = event.request;
  if (request.uri.indexOf('{site.API_PATH_PREFIX}/') === 0) {{
    request.uri = request.uri.substring({len(site.API_PATH_PREFIX)});
  }}
  return request;
}}
"""

# Hashed file names (assets/app-<sha256>.js) never change content: cache them for a year. The
# pages (index.html, the sample) are revalidated on every load, so a deploy shows at once.
ASSETS_CACHE: Final = "public, max-age=31536000, immutable"
PAGES_CACHE: Final = "no-cache"


def data_bucket_cors_rules(origins_allowed: Sequence[str]) -> list[dict[str, Any]]:
    """The data bucket's CORS rules (S3 PutBucketCors shape).

    CORS only decides whether a page may read a response; every request still needs the API's
    signature (the bucket is private), which is what protects the objects."""
    return [
        # The upload: a multipart/form-data POST of the presigned form. A plain form POST needs
        # no preflight, but an XMLHttpRequest with upload progress listeners (or a client that
        # adds a header) sends one: any header may be asked for, the policy still decides.
        {
            "ID": "browser-uploads",
            "AllowedMethods": ["POST"],
            "AllowedOrigins": list(origins_allowed),
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],  # lets the page check what S3 stored (the file's MD5)
            "MaxAgeSeconds": 3600,  # a browser that sends a preflight may reuse it for an hour
        },
        # A dashboard too large to return through Lambda arrives as a 303 to a presigned GET
        # (a library of tens of thousands of books; the orchestrator admits 100,000 rows).
        # fetch() follows it, and after a redirect from the API to another origin the browser
        # sends `Origin: null` (as any sandboxed page does), so naming the allowed origins
        # would not help: any origin may read a GET response, which takes a presigned URL.
        {
            "ID": "browser-large-dashboards",
            "AllowedMethods": ["GET"],
            "AllowedOrigins": ["*"],
            "MaxAgeSeconds": 3600,
        },
    ]


@dataclasses.dataclass(frozen=True)
class WebFrontendProps:
    site_zip: Path  # `./pants package web:site`: the app with index.html at its root
    http_api: apigwv2.IHttpApi
    data_bucket: s3.IBucket
    # Other exact origins whose pages may upload to the data bucket (the `allowedOrigins` setting).
    allowed_origins: Sequence[str]


class WebFrontend(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    def __init__(self, scope: Construct, id: str, props: WebFrontendProps) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)

        # The built app only: rebuilt from the repository at every deploy, so never retained.
        self.site_bucket = private_bucket(self, "Site", removal_policy=RemovalPolicy.DESTROY)

        # The presigned form POST and the presigned GET of a large dashboard go to the data
        # bucket's regional endpoint, as the API signs them.
        upload_origin = f"https://{props.data_bucket.bucket_regional_domain_name}"
        headers = site.security_headers(connect_origins=[upload_origin])
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="goodreads-stats: the app's CSP, HSTS, no sniffing, no referrer, no framing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=headers["Content-Security-Policy"], override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(site.HSTS_MAX_AGE_SECONDS),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    # site.REFERRER_POLICY, in the CDK's spelling (the template says no-referrer)
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER,
                    override=True,
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(header=name, value=headers[name], override=True)
                    for name in ("Permissions-Policy", "Cross-Origin-Opener-Policy")
                ]
            ),
        )

        strip_api_prefix = cloudfront.Function(
            self,
            "StripApiPrefix",
            comment="goodreads-stats: /api/jobs... reaches the HTTP API as /jobs...",
            code=cloudfront.FunctionCode.from_inline(STRIP_API_PREFIX_JS),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        # The HTTP API's host (its apiEndpoint without https://), built from the API's id as
        # API Gateway names it.
        api_domain = f"{props.http_api.api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"goodreads-stats ({stack.stack_name})",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.site_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
            ),
            additional_behaviors={
                API_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=origins.HttpOrigin(
                        api_domain,
                        protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                        origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                    ),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    # Every answer is per job and may change from one second to the next.
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    # Everything the viewer sent (Authorization for DELETE included: caching is
                    # off) but Host, which must be the API's own.
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=self.headers,
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=strip_api_prefix,
                            event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                        )
                    ],
                )
            },
        )
        self.site_url = f"https://{self.distribution.distribution_domain_name}"

        built_site = s3deploy.Source.asset(str(props.site_zip))
        # Hashed assets first, and kept: a page loaded before a deploy still finds its files.
        assets = s3deploy.BucketDeployment(
            self,
            "DeployAssets",
            sources=[built_site],
            destination_bucket=self.site_bucket,
            exclude=["*"],
            include=["assets/*"],
            prune=False,
            cache_control=[s3deploy.CacheControl.from_string(ASSETS_CACHE)],
        )
        pages = s3deploy.BucketDeployment(
            self,
            "DeployPages",
            sources=[built_site],
            destination_bucket=self.site_bucket,
            exclude=["assets/*"],
            prune=True,
            cache_control=[s3deploy.CacheControl.from_string(PAGES_CACHE)],
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        pages.node.add_dependency(assets)

        # The data bucket's CORS: this site and the configured origins may upload.
        rules = data_bucket_cors_rules([self.site_url, *props.allowed_origins])
        put_cors = cr.AwsSdkCall(
            service="S3",
            action="putBucketCors",
            parameters={
                "Bucket": props.data_bucket.bucket_name,
                "CORSConfiguration": {"CORSRules": rules},
            },
            physical_resource_id=cr.PhysicalResourceId.of(
                f"data-bucket-cors-{props.data_bucket.bucket_name}"
            ),
        )
        self.data_bucket_cors = cr.AwsCustomResource(
            self,
            "DataBucketCors",
            on_create=put_cors,
            on_update=put_cors,
            # Without this site, only the configured origins keep theirs (none: no CORS at all).
            on_delete=(
                cr.AwsSdkCall(
                    service="S3",
                    action="putBucketCors",
                    parameters={
                        "Bucket": props.data_bucket.bucket_name,
                        "CORSConfiguration": {
                            "CORSRules": data_bucket_cors_rules(props.allowed_origins)
                        },
                    },
                )
                if props.allowed_origins
                else cr.AwsSdkCall(
                    service="S3",
                    action="deleteBucketCors",
                    parameters={"Bucket": props.data_bucket.bucket_name},
                )
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["s3:PutBucketCORS"], resources=[props.data_bucket.bucket_arn]
                    )
                ]
            ),
            install_latest_aws_sdk=False,
        )
        self._suppress_findings()
        self._suppress_cdk_handler_findings()

    def _suppress_findings(self) -> None:
        NagSuppressions.add_resource_suppressions(
            self.site_bucket,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="The bucket holds the built app only, readable through CloudFront "
                    "alone (origin access control) and rewritten at every deploy; its access "
                    "logs would describe nothing but CloudFront's cache misses.",
                )
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.distribution,
            [
                NagPackSuppression(
                    id="AwsSolutions-CFR1",
                    reason="Readers may be anywhere: there is no country to exclude.",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR2",
                    reason="The site is static files, and the API behind /api/* has its own "
                    "throttling (apiRateLimit, apiBurstLimit) and answers without state a "
                    "WAF rule would protect; a web ACL would cost more than it prevents here.",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR3",
                    reason="CloudFront's access logs record request paths, and /api/jobs/{id} "
                    "paths carry job ids, which are the readers' capabilities. The HTTP API "
                    "logs every request without its path (http_api.py).",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR4",
                    reason="The distribution uses CloudFront's default certificate "
                    "(*.cloudfront.net), whose minimum TLS version CloudFront sets and no "
                    "setting can raise; a custom domain with its own certificate would allow "
                    "TLSv1.2_2021.",
                ),
            ],
        )

    def _suppress_cdk_handler_findings(self) -> None:
        """CDK installs one Lambda per stack for BucketDeployment and one for
        AwsCustomResource; their roles are CDK's, scoped by the CDK to their task."""
        stack = Stack.of(self)
        site_bucket_id = stack.get_logical_id(cast(CfnElement, self.site_bucket.node.default_child))
        basic_execution = NagPackSuppression(
            id="AwsSolutions-IAM4",
            reason="CDK's custom resource handler logs with the AWS managed basic execution "
            "role; it runs only during deployments.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole"
            ],
        )
        handlers = {
            child.node.id: child
            for child in stack.node.children
            if child.node.id.startswith(
                ("Custom::CDKBucketDeployment", "AWS679f53fac002430cb0da5b7982bd2287")
            )
        }
        if len(handlers) != 2:
            raise RuntimeError(
                f"CDK's custom resource handlers moved ({sorted(handlers)}); update the suppressions"
            )
        for handler_id, handler in handlers.items():
            suppressions = [basic_execution]
            if handler_id.startswith("Custom::CDKBucketDeployment"):
                suppressions.append(
                    NagPackSuppression(
                        id="AwsSolutions-IAM5",
                        reason="BucketDeployment's handler copies the site from the CDK asset "
                        "bucket into the site bucket (object keys are the build's file names) "
                        "and invalidates this distribution's cache; CloudFront's "
                        "CreateInvalidation takes no resource narrower than '*'. The grants "
                        "are the CDK's.",
                        applies_to=[
                            "Action::s3:GetBucket*",
                            "Action::s3:GetObject*",
                            "Action::s3:List*",
                            "Action::s3:Abort*",
                            "Action::s3:DeleteObject*",
                            # The CDK's asset bucket: tokens in a plain synth, concrete values
                            # when the CLI knows the account and region.
                            RegexAppliesTo(
                                regex=r"/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::"
                                r"cdk-[a-z0-9]+-assets-[^/]+\/\*$/g"
                            ),
                            f"Resource::<{site_bucket_id}.Arn>/*",
                            "Resource::*",
                        ],
                    )
                )
            NagSuppressions.add_resource_suppressions(handler, suppressions, apply_to_children=True)
