#!/usr/bin/env bash
# Private PostgreSQL cluster for development and tests.
#
#   scripts/db.sh start   start (creating it first if needed); prints the URL as the last stdout line
#   scripts/db.sh stop    stop it if it is running
#   scripts/db.sh status  print "running <url>" (exit 0) or "stopped" (exit 3)
#   scripts/db.sh url     print the URL
#   scripts/db.sh reset   stop it and delete the cluster (all data)
#
# The cluster lives in <project>/.data/pg, listens on 127.0.0.1 only (TCP, no
# Unix socket) on a free port starting at 54320, remembered in .data/pg.port.
# When running as root the server runs as the "postgres" user; if that user
# cannot reach the project directory, the cluster goes to
# ${TMPDIR:-/tmp}/madoguchi-pg-<hash> instead.
#
# If DATABASE_URL is set, start/stop/url only print it: your own server is used.
#
# Everything except the URL goes to stderr, so URL=$(scripts/db.sh start) works.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DB_NAME=madoguchi
PG_USER=postgres
FIRST_PORT=54320
LAST_PORT=54519

DATA_DIR="$ROOT/.data"   # parent of CLUSTER, PORT_FILE, LOG_FILE (may change to the fallback)
CLUSTER="$DATA_DIR/pg"
PORT_FILE="$DATA_DIR/pg.port"
LOG_FILE="$DATA_DIR/pg.log"
BIN=""

log() { printf 'db.sh: %s\n' "$*" >&2; }
die() { printf 'db.sh: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as the PostgreSQL server user (root is refused by PostgreSQL).
# cd / first: the postgres user may not be allowed into the current directory.
as_pg() {
	# fd 9 is the lock (take_lock): the server must not inherit it.
	if ! is_root; then
		"$@" 9>&-
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$PG_USER" -- "$@" 9>&-)
	else
		local cmd
		cmd="$(printf '%q ' "$@")"
		(cd / && su -s /bin/sh "$PG_USER" -c "$cmd" 9>&-)
	fi
}

url_for_port() { printf 'postgres://%s@127.0.0.1:%s/%s?sslmode=disable\n' "$PG_USER" "$1" "$DB_NAME"; }

# ---------------------------------------------------------------------------
# Locating the PostgreSQL binaries.

bin_dir_ok() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]; }

# Sets BIN to a directory holding initdb, pg_ctl and postgres. Returns 1 if none.
find_bins_noinstall() {
	local i p d
	if i="$(command -v initdb 2>/dev/null)" && command -v pg_ctl >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
		# Resolve symlinks (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb)
		# so psql and friends of the same version are found next to it.
		p="$(readlink -f "$i" 2>/dev/null || printf '%s' "$i")"
		d="$(dirname "$p")"
		if bin_dir_ok "$d"; then BIN="$d"; return 0; fi
		d="$(dirname "$i")"
		if bin_dir_ok "$d"; then BIN="$d"; return 0; fi
	fi
	d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1 || true)"
	if [ -n "$d" ] && bin_dir_ok "$d"; then BIN="$d"; return 0; fi
	return 1
}

find_bins() {
	find_bins_noinstall && return 0
	if is_root && command -v apt-get >/dev/null 2>&1; then
		log "PostgreSQL server binaries not found; installing the postgresql package with apt-get ..."
		export DEBIAN_FRONTEND=noninteractive
		if ! { apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; }; then
			die "apt-get install postgresql failed (see the output above)"
		fi
		find_bins_noinstall && return 0
	fi
	die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin.
Install PostgreSQL (e.g. 'sudo apt-get install postgresql'), or set DATABASE_URL to use your own server."
}

major_of_bins() { "$BIN/postgres" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/'; }

# A cluster only runs with the major version that created it.
match_cluster_version() {
	[ -f "$CLUSTER/PG_VERSION" ] || return 0
	local want have
	want="$(cat "$CLUSTER/PG_VERSION")"
	have="$(major_of_bins)"
	[ "$want" = "$have" ] && return 0
	if bin_dir_ok "/usr/lib/postgresql/$want/bin"; then
		BIN="/usr/lib/postgresql/$want/bin"
		return 0
	fi
	die "the cluster in $CLUSTER was created by PostgreSQL $want but only PostgreSQL $have was found; run 'scripts/db.sh reset' (deletes the dev data)"
}

psql_bin() {
	if [ -x "$BIN/psql" ]; then printf '%s\n' "$BIN/psql"; return 0; fi
	command -v psql 2>/dev/null || die "psql not found (looked in $BIN and on PATH)"
}

# ---------------------------------------------------------------------------
# Where the cluster lives (handles root + unreachable project directories).

ensure_pg_user() {
	id -u "$PG_USER" >/dev/null 2>&1 && return 0
	log "creating system user $PG_USER"
	if command -v useradd >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /bin/sh "$PG_USER" ||
			useradd --system --no-create-home "$PG_USER"
	elif command -v adduser >/dev/null 2>&1; then
		adduser -S -D -H "$PG_USER" 2>/dev/null || adduser --system --group --no-create-home "$PG_USER"
	else
		die "running as root but there is no '$PG_USER' user and no useradd/adduser to create it"
	fi
}

short_hash() {
	if command -v sha256sum >/dev/null 2>&1; then
		printf '%s' "$1" | sha256sum | cut -c1-10
	else
		printf '%s' "$1" | cksum | cut -d' ' -f1
	fi
}

# Sets DATA_DIR/CLUSTER/PORT_FILE/LOG_FILE. With create=1 the directories are
# created (and, as root, the cluster directory is handed to the postgres user).
resolve_cluster() {
	local create="${1:-0}" fb
	if ! is_root; then
		if [ "$create" = 1 ]; then mkdir -p "$CLUSTER"; fi
		return 0
	fi
	ensure_pg_user
	if [ "$create" = 1 ]; then
		mkdir -p "$DATA_DIR"
		chmod go+x "$DATA_DIR" 2>/dev/null || true
	fi
	# Can the postgres user get into <project>/.data (i.e. traverse every parent)?
	if { [ -d "$DATA_DIR" ] && as_pg test -x "$DATA_DIR"; } ||
		{ [ ! -d "$DATA_DIR" ] && as_pg test -x "$ROOT"; }; then
		if [ "$create" = 1 ]; then
			mkdir -p "$CLUSTER"
			chown "$PG_USER:" "$CLUSTER"
		fi
		return 0
	fi
	fb="${TMPDIR:-/tmp}/madoguchi-pg-$(short_hash "$ROOT")"
	if [ "$create" = 1 ]; then
		log "note: user '$PG_USER' cannot reach $DATA_DIR (a parent directory is not traversable); using $fb/pg instead"
	fi
	DATA_DIR="$fb"
	CLUSTER="$fb/pg"
	PORT_FILE="$fb/pg.port"
	LOG_FILE="$fb/pg.log"
	if [ "$create" = 1 ]; then
		mkdir -p "$CLUSTER"
		chmod 0755 "$DATA_DIR"
		chown "$PG_USER:" "$CLUSTER"
		as_pg test -x "$CLUSTER" -a -w "$CLUSTER" ||
			die "user '$PG_USER' cannot use $CLUSTER either; set TMPDIR to a directory it can reach, or set DATABASE_URL"
	fi
}

# Serialise start/stop/reset of the same cluster (parallel `make test`s).
take_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	mkdir -p "$DATA_DIR"
	exec 9>>"$DATA_DIR/pg.lock"
	flock -w 120 9 || die "timed out waiting for $DATA_DIR/pg.lock"
}

# ---------------------------------------------------------------------------
# Ports.

port_busy() {
	local p="$1"
	# Something accepting connections on 127.0.0.1 (incl. 0.0.0.0 listeners)?
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 0; fi
	# Any listener on that port on any address?
	if command -v ss >/dev/null 2>&1 &&
		ss -ltnH 2>/dev/null | awk -v p=":$p" '{ if (substr($4, length($4) - length(p) + 1) == p) f = 1 } END { exit !f }'; then
		return 0
	fi
	return 1
}

pick_port() {
	local p
	if [ -f "$PORT_FILE" ]; then
		p="$(tr -dc '0-9' <"$PORT_FILE")"
		if [ -n "$p" ] && ! port_busy "$p"; then printf '%s\n' "$p"; return 0; fi
	fi
	for ((p = FIRST_PORT; p <= LAST_PORT; p++)); do
		if ! port_busy "$p"; then printf '%s\n' "$p"; return 0; fi
	done
	die "no free TCP port in $FIRST_PORT-$LAST_PORT"
}

# ---------------------------------------------------------------------------
# Cluster state.

# A postmaster killed with SIGKILL leaves postmaster.pid behind; if nobody
# reaps it (containers whose PID 1 is not an init), its pid stays a zombie that
# pg_ctl and postgres take for a live server. Drop such a stale pid file.
clear_zombie_pidfile() {
	local pid state
	pid="$(head -n 1 "$CLUSTER/postmaster.pid" 2>/dev/null | tr -dc '0-9')"
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 0
	state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
	if [ "$state" = Z ]; then
		log "removing stale postmaster.pid (pid $pid is a zombie: the server died)"
		rm -f "$CLUSTER/postmaster.pid"
	fi
}

is_running() {
	[ -f "$CLUSTER/PG_VERSION" ] || return 1
	[ -f "$CLUSTER/postmaster.pid" ] || return 1
	clear_zombie_pidfile
	[ -f "$CLUSTER/postmaster.pid" ] || return 1
	as_pg "$BIN/pg_ctl" status -D "$CLUSTER" >/dev/null 2>&1
}

# Port of the running server (postmaster.pid line 4), else the remembered one.
current_port() {
	local p=""
	if [ -f "$CLUSTER/postmaster.pid" ]; then
		p="$(sed -n 4p "$CLUSTER/postmaster.pid" 2>/dev/null | tr -dc '0-9')"
	fi
	if [ -z "$p" ] && [ -f "$PORT_FILE" ]; then
		p="$(tr -dc '0-9' <"$PORT_FILE")"
	fi
	printf '%s\n' "$p"
}

pick_locale() {
	local all l
	if ! command -v locale >/dev/null 2>&1; then
		printf 'C.UTF-8\n'
		return 0
	fi
	all="$(locale -a 2>/dev/null || true)"
	if printf '%s\n' "$all" | grep -qixE 'C\.utf-?8'; then
		printf 'C.UTF-8\n'
		return 0
	fi
	for l in en_US.UTF-8 en_US.utf8 en_GB.UTF-8 en_GB.utf8 ja_JP.UTF-8 ja_JP.utf8; do
		if printf '%s\n' "$all" | grep -qxF "$l"; then printf '%s\n' "$l"; return 0; fi
	done
	l="$(printf '%s\n' "$all" | grep -iE '\.utf-?8$' | head -n 1 || true)"
	[ -n "$l" ] || die "no UTF-8 locale available (locale -a lists none); install one (e.g. apt-get install locales-all) -- LC_CTYPE=C would break Japanese search"
	printf '%s\n' "$l"
}

init_cluster() {
	local loc
	loc="$(pick_locale)"
	log "creating cluster in $CLUSTER (PostgreSQL $(major_of_bins), locale $loc)"
	touch "$LOG_FILE"
	if is_root; then chown "$PG_USER" "$LOG_FILE"; fi
	if ! as_pg "$BIN/initdb" -D "$CLUSTER" -E UTF8 --locale="$loc" --lc-ctype="$loc" \
		--auth=trust -U "$PG_USER" --no-sync >>"$LOG_FILE" 2>&1; then
		tail -n 20 "$LOG_FILE" >&2 || true
		die "initdb failed (full log: $LOG_FILE)"
	fi
}

ensure_database() {
	local port="$1" psql exists
	psql="$(psql_bin)"
	local admin
	admin="postgres://$PG_USER@127.0.0.1:$port/postgres?sslmode=disable&connect_timeout=10"
	exists="$(PGOPTIONS='' "$psql" -X -q -t -A -d "$admin" -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ||
		die "cannot connect to the cluster on 127.0.0.1:$port (log: $LOG_FILE)"
	if [ "$exists" != 1 ]; then
		log "creating database $DB_NAME"
		PGOPTIONS='' "$psql" -X -q -d "$admin" -c "CREATE DATABASE $DB_NAME" >/dev/null ||
			die "CREATE DATABASE $DB_NAME failed"
	fi
}

# ---------------------------------------------------------------------------
# Commands.

cmd_start() {
	if [ -n "${DATABASE_URL:-}" ]; then
		log "DATABASE_URL is set; using it and not starting a private cluster"
		printf '%s\n' "$DATABASE_URL"
		return 0
	fi
	find_bins
	resolve_cluster 1
	take_lock
	match_cluster_version

	local port attempt
	if is_running; then
		port="$(current_port)"
		[ -n "$port" ] || die "cluster is running but its port is unknown; try scripts/db.sh stop"
		ensure_database "$port"
		url_for_port "$port"
		return 0
	fi

	if [ ! -f "$CLUSTER/PG_VERSION" ]; then
		init_cluster
	fi
	if is_root; then
		# The server must own its data directory (e.g. one created by a non-root run).
		if [ "$(stat -c %U "$CLUSTER")" != "$PG_USER" ]; then
			chown -R "$PG_USER:" "$CLUSTER"
		fi
		touch "$LOG_FILE"
		chown "$PG_USER" "$LOG_FILE"
	fi

	for attempt in 1 2 3; do
		port="$(pick_port)"
		printf '%s\n' "$port" >"$PORT_FILE"
		log "starting PostgreSQL on 127.0.0.1:$port (log: $LOG_FILE)"
		# Settings are passed on every start so they apply to existing clusters too.
		# fsync/full_page_writes off: a crash can lose this throwaway dev/test data.
		if as_pg "$BIN/pg_ctl" start -w -t 120 -s -D "$CLUSTER" -l "$LOG_FILE" -o "-p $port \
-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2; then
			ensure_database "$port"
			url_for_port "$port"
			return 0
		fi
		if tail -n 20 "$LOG_FILE" 2>/dev/null | grep -q 'could not bind\|already in use'; then
			log "port $port was taken meanwhile; trying another one"
			rm -f "$PORT_FILE"
			continue
		fi
		break
	done
	tail -n 20 "$LOG_FILE" >&2 || true
	die "PostgreSQL failed to start (full log: $LOG_FILE)"
}

cmd_stop() {
	if [ -n "${DATABASE_URL:-}" ]; then
		log "DATABASE_URL is set; nothing to stop"
		printf '%s\n' "$DATABASE_URL"
		return 0
	fi
	resolve_cluster 0
	if [ ! -f "$CLUSTER/postmaster.pid" ]; then
		log "not running"
		return 0
	fi
	take_lock
	if find_bins_noinstall; then
		match_cluster_version
		if is_running; then
			log "stopping PostgreSQL ($CLUSTER)"
			as_pg "$BIN/pg_ctl" stop -D "$CLUSTER" -m fast -w -t 120 -s >&2 ||
				die "pg_ctl stop failed (log: $LOG_FILE)"
		else
			log "not running"
		fi
	else
		# No binaries any more: ask the postmaster for a fast shutdown directly.
		local pid
		pid="$(head -n 1 "$CLUSTER/postmaster.pid" | tr -dc '0-9')"
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			log "stopping PostgreSQL (pid $pid)"
			kill -INT "$pid"
			for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		fi
	fi
}

cmd_status() {
	if [ -n "${DATABASE_URL:-}" ]; then
		printf 'external %s\n' "$DATABASE_URL"
		return 0
	fi
	resolve_cluster 0
	if [ -f "$CLUSTER/postmaster.pid" ] && find_bins_noinstall && is_running; then
		printf 'running %s\n' "$(url_for_port "$(current_port)")"
		return 0
	fi
	if [ -f "$CLUSTER/PG_VERSION" ]; then
		printf 'stopped (cluster: %s)\n' "$CLUSTER"
	else
		printf 'stopped (no cluster yet)\n'
	fi
	return 3
}

cmd_url() {
	if [ -n "${DATABASE_URL:-}" ]; then
		printf '%s\n' "$DATABASE_URL"
		return 0
	fi
	resolve_cluster 0
	local port
	port="$(current_port)"
	[ -n "$port" ] || die "no port chosen yet; run 'scripts/db.sh start' first"
	url_for_port "$port"
}

cmd_reset() {
	if [ -n "${DATABASE_URL:-}" ]; then
		log "note: DATABASE_URL is set; only the private cluster is reset, your server is not touched"
	fi
	(unset DATABASE_URL; cmd_stop)
	resolve_cluster 0
	take_lock
	if [ -d "$CLUSTER" ] || [ -f "$PORT_FILE" ] || [ -f "$LOG_FILE" ]; then
		log "deleting $CLUSTER"
		rm -rf "$CLUSTER" "$PORT_FILE" "$LOG_FILE"
	else
		log "nothing to reset"
	fi
}

usage() {
	printf 'usage: %s start|stop|status|url|reset\n' "$0" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case "$1" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) cmd_url ;;
reset) cmd_reset ;;
*) usage ;;
esac
