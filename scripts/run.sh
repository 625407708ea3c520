#!/usr/bin/env bash
# Set up, ingest the shipped corpus into $TRIALCHAT_HOME (default ~/.trialchat), serve on 127.0.0.1:7860.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/trialchat ingest
exec .venv/bin/trialchat serve "$@"
