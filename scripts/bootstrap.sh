#!/usr/bin/env bash
# Idempotent developer/CI set-up for evidence-workstation.
#
#   - installs Debian's libmagic1 if python cannot find libmagic
#   - creates .venv at the repo root if it is missing
#   - (re)installs the project editable with the [test,gui] extras, but only
#     when pyproject.toml is newer than the stamp file .venv/.ews-installed,
#     so a second run takes a fraction of a second
#
# Works from any cwd. Prints one summary line on success.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

venv=.venv
stamp="$venv/.ews-installed"
did=()            # human-readable list of actions, for the summary line
apt_updated=0
start_us=${EPOCHREALTIME/./}     # bash 5: microseconds since the epoch

# Run a command as root: directly when we are root, via sudo otherwise.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "bootstrap: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

# apt-get install, with a quiet 'apt-get update' first (once per run).
apt_install() {
    if [[ $apt_updated -eq 0 ]]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. libmagic (needed at runtime by python-magic).
if ! python3 -c 'import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library("magic") else 1)'; then
    apt_install libmagic1
    did+=("installed libmagic1")
fi

# 1b. poppler-utils: the tests render every bundle PDF page to PNG with pdftoppm.
if ! command -v pdftoppm >/dev/null 2>&1; then
    apt_install poppler-utils
    did+=("installed poppler-utils")
fi

# 1c. DejaVu fonts: bundle PDFs embed DejaVu Sans for text outside Windows-1252, so the
#     same case renders the same bytes on every workstation that has it.
if [[ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]]; then
    apt_install fonts-dejavu-core
    did+=("installed fonts-dejavu-core")
fi

# 1d. Symbola: bundle PDFs draw emoji (monochrome) from it; without it they are named.
if [[ ! -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ]]; then
    apt_install fonts-symbola
    did+=("installed fonts-symbola")
fi

# 1e. The phone tools ews acquire runs (issue 13): libimobiledevice's idevicebackup2,
#     idevice_id and ideviceinfo for iPhones, adb for Android phones. The tests use
#     stand-ins (tests/data/device_fixtures/standins), so these are for real devices.
if ! command -v idevicebackup2 >/dev/null 2>&1; then
    apt_install libimobiledevice-utils
    did+=("installed libimobiledevice-utils")
fi
if ! command -v adb >/dev/null 2>&1; then
    apt_install adb
    did+=("installed adb")
fi

# 2. The virtualenv. Debian's python3 lacks ensurepip without python3-venv.
if [[ ! -x "$venv/bin/python" ]]; then
    if ! python3 -c 'import ensurepip' 2>/dev/null; then
        apt_install python3-venv
        did+=("installed python3-venv")
    fi
    python3 -m venv "$venv"
    rm -f "$stamp"    # a fresh venv has nothing installed, whatever the stamp says
    did+=("created $venv")
fi

# 3. The project itself, only when pyproject.toml changed since the last install
#    ('-nt' is also true when the stamp does not exist).
#    pip's output (and setuptools' build warnings, which -q does not silence)
#    goes to a log that is shown only when the install fails.
if [[ pyproject.toml -nt "$stamp" ]]; then
    log="$venv/.ews-install.log"
    if ! { "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip &&
           "$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".[test,gui]"; } \
           >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "bootstrap: pip install failed, full log in $repo_root/$log" >&2
        exit 1
    fi
    touch "$stamp"
    did+=("installed .[test,gui] into $venv")
fi

if [[ ${#did[@]} -eq 0 ]]; then
    did=("nothing to do, already set up")
fi
summary="$(IFS=';'; echo "${did[*]}")"
elapsed_ms=$(( (${EPOCHREALTIME/./} - start_us) / 1000 ))
printf 'bootstrap: %s (%d.%02ds)\n' "${summary//;/, }" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 10))
