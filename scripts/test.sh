#!/usr/bin/env bash
# Installs everything the tests need, runs the static checks, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  missing=""
  for pkg in softhsm2; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

# The official oci CLI pins its own oci SDK version, so it lives in a virtualenv of its own.
if [ ! -x .cache/oci-cli/bin/oci ]; then
  python3 -m venv .cache/oci-cli
  .cache/oci-cli/bin/pip install -q --disable-pip-version-check oci-cli
fi
export STRONGROOM_OCI_CLI="$PWD/.cache/oci-cli/bin/oci"

echo "== ruff"; python3 -m ruff check src tests bench
echo "== ruff format"; python3 -m ruff format --check src tests bench
echo "== mypy"; python3 -m mypy
echo "== import-linter"; lint-imports --no-cache | grep -E "KEPT|BROKEN" ; lint-imports --no-cache >/dev/null

echo "== pytest"
set +e
python3 -m pytest -n 2 -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" = "5" ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit "$status"
