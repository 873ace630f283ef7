#!/usr/bin/env bash
# `make test` (after `make lint`) and `make bench`.
#
#   scripts/test.sh         browser deps, start DB, go test -race ... $TESTFLAGS $PKGS
#   scripts/test.sh bench   start DB, go test -run '^$' -bench . -benchmem $BENCHFLAGS $PKGS
#
# The private database is always stopped afterwards (also on failure or
# Ctrl-C); the exit status is go test's. With DATABASE_URL set, that server is
# used and nothing is started or stopped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="${1:-test}"
GO="${GO:-go}"
PKGS="${PKGS:-./...}"
export CGO_ENABLED=1 # -race needs cgo

case "$mode" in
test)
	scripts/browser-deps.sh
	# shellcheck disable=SC2206 # word splitting of the flag strings is intended
	args=(-race -count=1 -timeout 20m ${TESTFLAGS:-} ${PKGS})
	;;
bench)
	# shellcheck disable=SC2206
	args=(-run '^$' -bench . -benchmem -timeout 60m ${BENCHFLAGS:-} ${PKGS})
	;;
*)
	echo "usage: $0 [test|bench]" >&2
	exit 2
	;;
esac

if [ -z "${DATABASE_URL:-}" ]; then
	stop_db() {
		trap '' INT TERM HUP # a second Ctrl-C must not interrupt the shutdown
		env -u DATABASE_URL scripts/db.sh stop >/dev/null || true
	}
	trap stop_db EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	DATABASE_URL="$(scripts/db.sh start | tail -n 1)"
fi
export DATABASE_URL

status=0
echo "test.sh: $GO test ${args[*]}" >&2
"$GO" test "${args[@]}" || status=$?
exit "$status"
