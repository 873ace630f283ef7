# Madoguchi developer/CI entry points. The database is a private PostgreSQL
# cluster in .data/ managed by scripts/db.sh; set DATABASE_URL to use your own
# server instead (then nothing is started or stopped).
#
#   make run        build, start DB, migrate, seed demo data, serve --dev (Ctrl-C stops server + DB)
#   make test       lint, browser deps, start DB, go test -race ./..., stop DB   (extra flags: TESTFLAGS=...)
#   make bench      benchmarks against the DB                                   (extra flags: BENCHFLAGS=...)
#   make test-s3    build a MinIO server into .bin/ (minutes, once), then the S3 storage tests
#   make lint       go vet, gofmt check, staticcheck
#   make migrate    start DB (left running), bin/madoguchi migrate
#   make seed       start DB (left running), bin/madoguchi seed demo
#   make db-start / db-stop / db-reset
#   make clean      remove build output (not the database; see db-reset)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
BIN := bin/madoguchi
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := .bin/staticcheck
TESTFLAGS ?=
BENCHFLAGS ?=
PKGS ?= ./...

export TESTFLAGS BENCHFLAGS PKGS GO

.PHONY: run build test test-s3 bench lint migrate seed db-start db-stop db-reset clean

build:
	$(GO) build -o $(BIN) ./cmd/madoguchi

run: build
	scripts/run.sh

test: lint
	scripts/test.sh

# The S3 tests also run in `make test` once .bin/minio exists.
test-s3:
	scripts/minio.sh
	$(MAKE) test PKGS="./internal/blob/... ./internal/server/..." TESTFLAGS="-run S3"

bench:
	scripts/bench.sh

lint: $(STATICCHECK)
	$(GO) vet ./...
	@unformatted="$$(find . \( -path ./.data -o -path ./.bin -o -path ./bin -o -path ./.git -o -path ./vendor \
		-o -name testdata -o -name node_modules \) -prune -o -type f -name '*.go' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files are not formatted (run: gofmt -w <file>):" >&2; \
		echo "$$unformatted" >&2; \
		exit 1; \
	fi
	$(STATICCHECK) ./...

# Installed only when absent (delete .bin/ to pick up a new STATICCHECK_VERSION).
$(STATICCHECK):
	GOBIN=$(CURDIR)/.bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

migrate: build
	url="$$(scripts/db.sh start | tail -n 1)"; DATABASE_URL="$$url" $(BIN) migrate

seed: build
	url="$$(scripts/db.sh start | tail -n 1)"; DATABASE_URL="$$url" $(BIN) seed demo

db-start:
	@scripts/db.sh start

db-stop:
	@scripts/db.sh stop

db-reset:
	scripts/db.sh reset

clean:
	rm -rf bin .bin testdata/out
	find . \( -path ./.data -o -path ./.git \) -prune -o -type d -path '*/testdata/out' -prune -exec rm -rf {} +
	rm -f ./*.test ./*.out
