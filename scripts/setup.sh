#!/usr/bin/env bash
# Create .venv and install TrialChat into it; `setup.sh test` adds the test tools and Debian chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
# torch first and pinned: left to the resolver, sentence-transformers pulls the multi-GB CUDA build.
.venv/bin/pip install --quiet --disable-pip-version-check "torch==2.13.0"
if [ "${1:-}" = "test" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
  if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
else
  .venv/bin/pip install --quiet --disable-pip-version-check -e .
fi
