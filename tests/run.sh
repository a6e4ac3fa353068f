#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run the whole suite.
# Used verbatim by the README and by .ci/run.
#
# The Python packages go into a virtual environment made anew on every run
# (.venv-tests, or $WHYBOX_TEST_VENV), so a package installed by hand elsewhere
# can never make the suite pass; pip's download cache is kept, so a rerun is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' || missing+=(libseccomp2)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (browser tests, PDF checks, model sandbox)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

VENV="${WHYBOX_TEST_VENV:-.venv-tests}"
python3 -m venv --clear "$VENV"
start=$(date +%s)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]"
echo "installed the test environment in $(( $(date +%s) - start )) s"
# Two test processes (the product's target machine has 2 cores; much of a test's time is
# spent waiting on a sandbox, a server or a browser). WHYBOX_TEST_WORKERS=0 runs in one.
# tests/conftest.py keeps tests that share a costly fixture (a browser, a server) together.
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${WHYBOX_TEST_WORKERS:-2}" "$@"
