#!/usr/bin/env bash
# Installs the Python science stack that the CTA example plugins (plugins/ctselect, plugins/ctbin) and
# scripts/make-events.py run with: Debian's python3-astropy, python3-numpy and python3-matplotlib, used
# through /usr/bin/python3 (not whatever python3 comes first on PATH, e.g. a pyenv one that does not see
# Debian's packages). Does nothing when they are already importable; safe to run again.
set -euo pipefail

check() { /usr/bin/python3 -c 'import astropy, numpy, matplotlib' >/dev/null 2>&1; }

if check; then exit 0; fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-science: /usr/bin/python3 cannot import astropy, numpy and matplotlib, and apt-get is not" \
       "available; install them for /usr/bin/python3 by hand" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "install-science: needs root (or sudo) to install python3-astropy python3-numpy python3-matplotlib" >&2
    exit 1
  fi
fi

echo "install-science: installing python3-astropy python3-numpy python3-matplotlib (Debian packages)"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  python3-astropy python3-numpy python3-matplotlib >/dev/null

if ! check; then
  echo "install-science: installed, but /usr/bin/python3 still cannot import astropy, numpy and matplotlib" >&2
  exit 1
fi
