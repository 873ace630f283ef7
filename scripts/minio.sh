#!/usr/bin/env bash
# Builds the MinIO server that the S3 storage tests run against
# (internal/blob/blobtest) into .bin/minio, from the Go module proxy. Quick
# no-op when it is there already (delete .bin/minio to pick up a new
# MINIO_VERSION). Without it those tests are skipped, saying so.
#
# A cold build downloads a few hundred modules and compiles a 150 MB binary:
# several minutes on two cores, which is why `make test` does not run it.
#
#   scripts/minio.sh && make test     the S3 tests run too
#   MINIO_BIN=/path/to/minio make test  use a MinIO server from elsewhere
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# MinIO publishes no tagged Go module versions; this is @latest as of
# November 2026 (the AGPL server is a test tool here, never linked in).
MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
GO="${GO:-go}"

if [ -x .bin/minio ]; then
	exit 0
fi
echo "minio.sh: building github.com/minio/minio@$MINIO_VERSION into .bin/minio (takes several minutes) ..." >&2
start=$(date +%s)
GOBIN="$(pwd)/.bin" GOFLAGS=-buildvcs=false "$GO" install "github.com/minio/minio@$MINIO_VERSION"
echo "minio.sh: built in $(($(date +%s) - start)) s" >&2
