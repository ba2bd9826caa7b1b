"""Where the deployed code comes from: the one place that knows the Pants artifact paths.

`./pants package services:: web:site` writes one zip per service (handler
`lambda_function.handler`) and the built web app (index.html at the zip's root) under dist/ at
the repository root. Synthesis takes the dist directory as an input so that tests and CI can
point it elsewhere.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent.parent
DEFAULT_DIST_DIR: Final = REPO_ROOT / "dist"

# Relative to the dist directory; the layout is Pants': dist/<target address with dots>/<name>.zip
ORCHESTRATOR_ZIP: Final = Path("services.orchestrator/lambda.zip")
BOOK_PROCESSOR_ZIP: Final = Path("services.book_processor/lambda.zip")
AGGREGATOR_ZIP: Final = Path("services.aggregator/lambda.zip")
API_ZIP: Final = Path("services.api/lambda.zip")
SITE_ZIP: Final = Path("web/site.zip")
BUILD_COMMAND: Final = "./pants package services:: web:site"

LAMBDA_HANDLER: Final = "lambda_function.handler"  # the entry point Pants' zip layout generates


class MissingBuildArtifact(FileNotFoundError):
    pass


@dataclasses.dataclass(frozen=True)
class BuildArtifacts:
    """The four deployment packages and the web app, as existing zip files."""

    orchestrator: Path
    book_processor: Path
    aggregator: Path
    api: Path
    site: Path

    @classmethod
    def from_dist_dir(cls, dist_dir: Path | str = DEFAULT_DIST_DIR) -> BuildArtifacts:
        """The zips under a dist directory; a relative one is taken from the repository root."""
        root = Path(dist_dir)
        if not root.is_absolute():
            root = REPO_ROOT / root
        assets = cls(
            orchestrator=root / ORCHESTRATOR_ZIP,
            book_processor=root / BOOK_PROCESSOR_ZIP,
            aggregator=root / AGGREGATOR_ZIP,
            api=root / API_ZIP,
            site=root / SITE_ZIP,
        )
        missing = [str(path) for path in assets.paths() if not path.is_file()]
        if missing:
            raise MissingBuildArtifact(
                "Build artifacts not found: "
                + ", ".join(missing)
                + f". Run `{BUILD_COMMAND}` from the repository root first, or pass "
                "`-c distDir=<directory>` to cdk."
            )
        return assets

    def paths(self) -> tuple[Path, ...]:
        return (self.orchestrator, self.book_processor, self.aggregator, self.api, self.site)
