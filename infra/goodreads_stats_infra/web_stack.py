"""The web stack: the readers' front end (web_frontend.py), in front of the pipeline's HTTP API.

Stateless like the pipeline stack: the bucket holds only the built app, redeployed every time.
It comes last because it needs both others: the HTTP API to route /api/* to, and the data
bucket to name in the pages' Content-Security-Policy and to set the CORS rules of.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.goodreads_stats_infra.config import PipelineSettings
from infra.goodreads_stats_infra.data_stack import DataStack
from infra.goodreads_stats_infra.pipeline_stack import PipelineStack
from infra.goodreads_stats_infra.web_frontend import WebFrontend, WebFrontendProps


class WebStack(Stack):  # type: ignore[misc]  # Any to mypy without the CDK installed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: PipelineSettings,
        data_stack: DataStack,
        pipeline_stack: PipelineStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.frontend = WebFrontend(
            self,
            "Frontend",
            WebFrontendProps(
                site_zip=settings.artifacts.site,
                http_api=pipeline_stack.http_api.api,
                data_bucket=data_stack.data.bucket,
                allowed_origins=settings.allowed_origins,
            ),
        )
        CfnOutput(
            self,
            "SiteUrl",
            description="Open this in a browser: upload a Goodreads export, follow it, read it",
            value=self.frontend.site_url,
        )
        CfnOutput(self, "SiteBucketName", value=self.frontend.site_bucket.bucket_name)
        CfnOutput(self, "DistributionId", value=self.frontend.distribution.distribution_id)
