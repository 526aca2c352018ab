#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser tests (test/dashboard/browser.test.ts), driven by
# playwright-core at /usr/bin/chromium. Playwright's own browser download cannot work here, so
# the browser comes from Debian's packages, installed only when missing.
#
#   check     exit 0 when /usr/bin/chromium is there; otherwise say so and exit 1
#   install   install Debian's chromium when missing (as root); with --fonts also CJK fonts, so
#             screenshots of the Chinese pages (npm run screenshots) show the characters
set -euo pipefail

CHROMIUM=/usr/bin/chromium

die() {
  echo "chromium: $*" >&2
  exit 1
}

cmd_check() {
  [[ -x $CHROMIUM ]] || {
    echo "not found: $CHROMIUM (install with: bash scripts/chromium.sh install)"
    exit 1
  }
  echo "chromium: $CHROMIUM"
}

cmd_install() {
  local packages=()
  [[ -x $CHROMIUM ]] || packages+=(chromium)
  if [[ ${1:-} == --fonts ]] && ! fc-list 2>/dev/null | grep -qi 'noto sans cjk'; then
    packages+=(fonts-noto-cjk)
  fi
  if [[ ${#packages[@]} -eq 0 ]]; then
    echo "chromium: already present"
    return
  fi
  [[ $(id -u) -eq 0 ]] || die "installing ${packages[*]} needs root: apt-get install -y ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  echo "chromium: installed ${packages[*]}"
}

case ${1:-} in
  check) cmd_check ;;
  install)
    shift
    cmd_install "$@"
    ;;
  *) die "usage: $0 check | install [--fonts]" ;;
esac
