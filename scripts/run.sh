#!/usr/bin/env bash
# `make run`: start the private database (unless DATABASE_URL is set), migrate,
# seed the demo data (a no-op that reprints the sign-in info once seeded) and
# serve in dev mode. Ctrl-C stops the server and then the database; the data
# stays in .data/ for the next run (`make db-reset` deletes it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=bin/madoguchi
[ -x "$BIN" ] || { echo "run.sh: $BIN is missing; run 'make build' (or 'make run')" >&2; exit 1; }

if [ -z "${DATABASE_URL:-}" ]; then
	stop_db() {
		trap '' INT TERM HUP # a second Ctrl-C must not interrupt the clean shutdown
		env -u DATABASE_URL scripts/db.sh stop >/dev/null || true
	}
	trap stop_db EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	DATABASE_URL="$(scripts/db.sh start | tail -n 1)"
fi
export DATABASE_URL
export LISTEN_ADDR="${LISTEN_ADDR:-127.0.0.1:8080}"
export BASE_URL="${BASE_URL:-http://localhost:8080}"

"$BIN" migrate
"$BIN" seed demo
echo "run.sh: serving on $LISTEN_ADDR ($BASE_URL); Ctrl-C stops the server and the database" >&2
"$BIN" serve --dev
