#!/usr/bin/env bash
# Set up (with test tools and Debian chromium), lint, and run every test, the eval gate included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
exec .venv/bin/pytest -q "$@"
