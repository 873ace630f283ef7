#!/usr/bin/env bash
# `make bench`: measures the portal on databases seeded with `madoguchi seed
# bulk` (BENCH_SIZES, default "10000 1000000" cases) and writes
# docs/benchmarks.md. Each size gets its own database, seeded once and kept
# for later runs (`make db-reset` removes them). The server, PostgreSQL and
# the load generator share this machine and talk over loopback.
#
#   BENCH_SIZES="10000" make bench     a quick run
#   BENCH_DURATION=30s make bench      longer measurements (default 20s)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd -P)"

SIZES="${BENCH_SIZES:-10000 1000000}"
DURATION="${BENCH_DURATION:-20s}"
PORT="${BENCH_PORT:-18090}"
BASE="http://127.0.0.1:$PORT"
RESULTS="$(mktemp)"
SERVER_PID=""

cleanup() {
	trap '' INT TERM HUP
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
	[ -n "${STOP_DB:-}" ] && env -u DATABASE_URL scripts/db.sh stop >/dev/null || true
	rm -f "$RESULTS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${DATABASE_URL:-}" ]; then
	STOP_DB=1
	ADMIN_URL="$(scripts/db.sh start | tail -n 1)"
else
	ADMIN_URL="$DATABASE_URL"
fi
db_url() { # the admin URL with another database name
	local base="${ADMIN_URL%%\?*}" query=""
	[[ "$ADMIN_URL" == *\?* ]] && query="?${ADMIN_URL#*\?}"
	echo "${base%/*}/$1$query"
}

go build -o bin/madoguchi ./cmd/madoguchi
go build -o bin/bench ./internal/tools/bench

# Go benchmarks (the upload benchmark among them) against the admin database.
DATABASE_URL="$ADMIN_URL" go test -run '^$' -bench 'Upload|Verify' -benchtime 1x ${BENCHFLAGS:-} ./... 2>&1 | tee /dev/stderr | grep '^Benchmark' >>"$RESULTS" || true

for n in $SIZES; do
	db="bench_$n"
	url="$(db_url "$db")"
	if ! psql "$ADMIN_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
		psql "$ADMIN_URL" -qc "CREATE DATABASE $db"
	fi
	DATABASE_URL="$url" bin/madoguchi migrate >/dev/null
	top="$(psql "$url" -tAc "SELECT value FROM bench_meta WHERE key = 'top_contact'" 2>/dev/null || true)"
	if [ -z "$top" ]; then
		echo "bench: seeding $db with $n cases (once; kept for later runs)" >&2
		DATABASE_URL="$url" bin/madoguchi seed demo >/dev/null
		top="$(DATABASE_URL="$url" bin/madoguchi seed bulk --cases "$n" | tail -n 1)"
		psql "$url" -qc "CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)" \
			-c "INSERT INTO bench_meta VALUES ('top_contact', '$top'), ('response_due', 'seeded')"
	fi
	# A database seeded before cases had response targets gets them as
	# seed bulk now writes them: from the last update, by priority.
	if [ -z "$(psql "$url" -tAc "SELECT value FROM bench_meta WHERE key = 'response_due'")" ]; then
		echo "bench: giving the open cases of $db their response targets (once)" >&2
		psql "$url" -qc "UPDATE cases SET response_due = updated_at + (ARRAY[1, 4, 24, 48])[priority] * interval '1 hour'
				WHERE status = 'open' AND sub_status NOT IN ('awaiting_customer', 'solution_proposed')" \
			-c "UPDATE cases SET response_warned_at = response_due WHERE response_due < now()" \
			-c "VACUUM ANALYZE cases" \
			-c "INSERT INTO bench_meta VALUES ('response_due', 'backfilled')"
	fi

	# Served from a folder without web/, so --dev does not re-read templates;
	# --dev keeps mail in the outbox, where the load generator reads codes.
	tmp="$(mktemp -d)"
	(cd "$tmp" && DATABASE_URL="$url" DATA_DIR="$tmp/data" LISTEN_ADDR="127.0.0.1:$PORT" BASE_URL="$BASE" \
		exec "$ROOT/bin/madoguchi" serve --dev >"$tmp/server.log" 2>&1) &
	SERVER_PID=$!
	for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

	tag() { sed "s/^{/{\"cases\":$n,/" >>"$RESULTS"; }
	common=(-base "$BASE" -db "$url" -customer "$top" -duration "$DURATION")
	bin/bench "${common[@]}" -conns 16 -scenario case-page,my-cases,comment,case-page:64,upload,queue | tag
	# The server's peak resident set over every scenario above (VmHWM).
	rss="$(awk '/^VmHWM:/{printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status")"
	echo "{\"cases\":$n,\"scenario\":\"server-rss\",\"rss_peak_mb\":$rss}" >>"$RESULTS"

	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
	rm -rf "$tmp"
done

mkdir -p docs
bin/bench -scenario report -in "$RESULTS" -out docs/benchmarks.md -command "make bench BENCH_SIZES=\"$SIZES\" BENCH_DURATION=$DURATION"
echo "bench: wrote docs/benchmarks.md" >&2
cat docs/benchmarks.md
