#!/bin/sh
# Creates the venv the Python adapters run in and installs the pinned
# libraries from PyPI. Idempotent: an up-to-date venv is left as it is.
# Usage: setup.sh [VENV_DIR]   (default: target/conformance/venv)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-$here/../../../target/conformance/venv}
stamp=$venv/.requirements.txt
if [ -x "$venv/bin/python" ] && cmp -s "$here/requirements.txt" "$stamp"; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/requirements.txt" "$stamp"
