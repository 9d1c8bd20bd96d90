# Shared setup for scripts/test and scripts/build-gallery (source it, don't run it).
# Creates .venv, installs the project with the given extra, and makes sure
# Graphviz's `dot` exists: installed with apt-get when we have the rights,
# otherwise we stop and print the exact command to run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LLMARCH_VENV:-$ROOT/.venv}"
EXTRA="$1"

ensure_graphviz() {
  if command -v dot >/dev/null 2>&1; then
    return
  fi
  echo "==> Graphviz 'dot' not found; installing the Debian/Ubuntu package 'graphviz'"
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz
    fi
  fi
  if ! command -v dot >/dev/null 2>&1; then
    echo "error: Graphviz is required and could not be installed automatically." >&2
    echo "  Debian/Ubuntu: sudo apt-get install graphviz" >&2
    echo "  macOS:         brew install graphviz" >&2
    echo "  conda:         conda install -c conda-forge graphviz" >&2
    exit 1
  fi
}

ensure_venv() {
  local python="${PYTHON:-python3}"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment $VENV"
    "$python" -m venv "$VENV"
  fi
  echo "==> installing sphinx-llmarch[$EXTRA] into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[$EXTRA]"
}

ensure_graphviz
ensure_venv
