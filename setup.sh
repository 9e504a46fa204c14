#!/usr/bin/env bash
# Quick start, step 1: install TeX, KaTeX, Chromium and derivgen, then build the sample set.
# Safe to run again: each step is skipped or is a no-op when already done.
set -euo pipefail
cd "$(dirname "$0")"

# TeX from Debian's packages, only when missing (pdflatex typesets the PDFs; latexmk is only
# bench/run.py's baseline).
TEX_PACKAGES=(latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended
              poppler-utils)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update; APT_UPDATED=1; fi
    $SUDO apt-get install -y --no-install-recommends "$@"
}
if ! command -v latexmk >/dev/null 2>&1 || ! command -v pdflatex >/dev/null 2>&1 \
   || ! command -v pdftotext >/dev/null 2>&1; then
    apt_install "${TEX_PACKAGES[@]}"
fi
# The web export ships KaTeX from Debian's libjs-katex (with fonts-katex); its tests open
# the pages in headless Chromium (Debian's chromium). Each only when missing.
WEB_PACKAGES=()
if [ ! -f /usr/share/javascript/katex/katex.min.js ] \
   || [ ! -f /usr/share/javascript/katex/contrib/auto-render.js ]; then
    WEB_PACKAGES+=(libjs-katex fonts-katex)
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    WEB_PACKAGES+=(chromium)
fi
if [ ${#WEB_PACKAGES[@]} -gt 0 ]; then
    apt_install "${WEB_PACKAGES[@]}"
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
fi

# derivgen itself, editable, with the test tools. Debian's own python3 refuses pip installs
# (PEP 668, "externally managed"); the Quick start runs `python3 -m pytest`, so install there.
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Bytecode now rather than at every start where the package's folder is not writable.
python3 -m compileall -q derivgen >/dev/null || true

# The sample set, as a smoke test: build/worksheet.pdf, build/solutions.pdf, build/answers.pdf.
python3 -m derivgen build problems -o build
