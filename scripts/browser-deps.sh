#!/usr/bin/env bash
# Makes sure the browser tests can run: Chromium (driven by chromedp) and CJK
# fonts (Japanese pages render as tofu without them). Installs them with apt-get
# when running as root; otherwise only warns. Quick no-op when all is present.
set -euo pipefail

log() { printf 'browser-deps.sh: %s\n' "$*" >&2; }

have_chromium() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }

have_cjk_fonts() {
	if command -v dpkg-query >/dev/null 2>&1; then
		dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'
	elif command -v fc-list >/dev/null 2>&1; then
		[ -n "$(fc-list :lang=ja 2>/dev/null | head -n 1)" ]
	else
		return 1
	fi
}

missing=()
have_chromium || missing+=(chromium)
have_cjk_fonts || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	log "warning: missing ${missing[*]}; browser tests will fail."
	log "         install them, e.g.: sudo apt-get install -y chromium fonts-noto-cjk"
	exit 0
fi

log "installing chromium fonts-noto-cjk (missing: ${missing[*]}) ..."
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; then
	log "installed"
else
	log "warning: apt-get install failed; browser tests will fail."
fi
