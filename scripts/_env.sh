# shellcheck shell=bash
# Shared by scripts/demo and scripts/test: make .venv and install the pinned lock into it,
# but only when the lock or pyproject.toml changed since the last install (a stamp file in
# .venv records their hash), so a second run starts at once and loses nothing.

PISTOR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PISTOR_ROOT/.venv"
STAMP="$VENV/.pistor-lock-stamp"

# Progress goes to stderr, so `TOKEN=$(./scripts/demo --token)` captures the token alone.
say() { printf '==> %s\n' "$*" >&2; }
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

pip_progress() {
    # Reads pip's stdout; prints "[n/total] package" as each is collected, then the
    # install step, to stderr (see say).
    awk -v total="$1" '
        /^Collecting / { n++; printf "    [%d/%d] %s\n", n, total, $2; fflush(); next }
        /^Installing collected packages/ { print "    installing the downloaded packages..."; fflush(); next }
        /^Successfully installed/ { print "    installed."; fflush(); next }
    ' >&2
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
    local total
    total="$(grep -c '^[A-Za-z0-9][A-Za-z0-9._-]*==' "$PISTOR_ROOT/requirements.lock")"
    say "Installing $total pinned packages from requirements.lock into .venv" \
        "(the first time takes a few minutes; one line per package)"
    # pip's own output is long and its quiet mode silent for minutes, so each package it
    # collects is shown as one numbered line. The stderr filter drops only pip's notes
    # about package indexes configured on this machine that have no entry for a package;
    # every other message (errors included) gets through. Running as root, as a container
    # does, is expected here: the root warning would only alarm.
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        --root-user-action=ignore -r "$PISTOR_ROOT/requirements.lock" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) \
        | pip_progress "$total"
    # setuptools comes from the lock, so the editable install builds without fetching
    # anything; --quiet keeps setuptools' build chatter out of sight unless it fails.
    say "Installing Pistor itself (editable)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --root-user-action=ignore --no-deps --no-build-isolation -e "$PISTOR_ROOT" \
        2> >(grep -v -e "is ignored: it is neither a file nor a directory" \
            -e "SetuptoolsDeprecationWarning" >&2)
    say "Dependencies installed"
    echo "$wanted" >"$STAMP"
}
