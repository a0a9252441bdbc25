# shellcheck shell=bash
# Shared by scripts/demo and scripts/test: make .venv and install the pinned lock into it,
# but only when the lock or pyproject.toml changed since the last install (a stamp file in
# .venv records their hash), so a second run starts at once and loses nothing.

PISTOR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PISTOR_ROOT/.venv"
STAMP="$VENV/.pistor-lock-stamp"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_install() {
    # Debian packages, non-interactively; only possible as root.
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${PISTOR_APT_UPDATED:-}" ]; then
        apt-get update -qq
        PISTOR_APT_UPDATED=1
    fi
    apt-get install -y -qq --no-install-recommends "$@"
}

find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then
            if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
                command -v "$candidate"
                return 0
            fi
        fi
    done
    return 1
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        python="$(find_python)" || die "Pistor needs Python 3.11 (python3.11 or python3 on PATH)."
        say "Creating the virtual environment in .venv with $python"
        if ! "$python" -m venv "$VENV"; then
            rm -rf "$VENV"
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                say "venv needs Debian's python3-venv; installing it"
                apt_install python3-venv
                "$python" -m venv "$VENV" || die "could not create .venv"
            else
                die "could not create .venv: install Debian's python3-venv (sudo apt-get install python3-venv)"
            fi
        fi
    fi
    local wanted
    wanted="$(cat "$PISTOR_ROOT/requirements.lock" "$PISTOR_ROOT/pyproject.toml" \
        | sha256sum | cut -d' ' -f1)"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] \
        && [ -x "$VENV/bin/pistor" ]; then
        return 0
    fi
    say "Installing the pinned dependencies from requirements.lock"
    # The filter drops only pip's notes about package indexes configured on this machine
    # that have no entry for a package; every other message gets through.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$PISTOR_ROOT/requirements.lock" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    # setuptools comes from the lock, so the editable install builds without fetching anything.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-deps --no-build-isolation -e "$PISTOR_ROOT" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$wanted" >"$STAMP"
}
