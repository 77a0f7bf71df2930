#!/usr/bin/env bash
# Installs what the build and tests need, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash tests/run.sh
