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

# The tests run in the repository's own virtualenv (.venv, made once and reused), with the
# project and its test extra installed there: what the machine happens to have installed
# elsewhere cannot hide a dependency the project forgot to declare. The test extra includes
# the official oci SDK and CLI; the CLI tests run .venv/bin/oci.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv --clear .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
export PATH="$PWD/.venv/bin:$PATH"
export STRONGROOM_OCI_CLI="$PWD/.venv/bin/oci"
PY="$PWD/.venv/bin/python"

echo "== ruff"; "$PY" -m ruff check src tests bench
echo "== ruff format"; "$PY" -m ruff format --check src tests bench
echo "== mypy"; "$PY" -m mypy
echo "== import-linter"; lint-imports --no-cache | grep -E "KEPT|BROKEN" ; lint-imports --no-cache >/dev/null

echo "== pytest"
set +e
"$PY" -m pytest -n 2 -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" = "5" ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit "$status"
