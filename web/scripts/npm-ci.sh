#!/usr/bin/env bash
# npm ci inside Pants' sandbox: the lockfile's exact packages, no install scripts, no chatter.
# Only bash builtins besides npm: the sandbox's PATH holds node and npm alone.
set -euo pipefail
cd "${0%/scripts/npm-ci.sh}"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
