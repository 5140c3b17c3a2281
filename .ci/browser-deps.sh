#!/usr/bin/env bash
# Installs what the browser tests (tests/browser.rs) need: Debian's Chromium (driven over CDP, no
# driver needed), a small CJK font so screenshots of Chinese pages show text, not boxes, and
# poppler-utils (pdftotext, pdftoppm) to read back the checklists Chromium prints to PDF.
# Called by .ci/run; safe to run again (does nothing when everything is there).
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qiE 'noto sans cjk|wenquanyi|wqy' || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)

if [ "${#need[@]}" -eq 0 ]; then
  echo "browser-deps: $(chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "browser-deps: installed ${need[*]}: $(chromium --version)"
