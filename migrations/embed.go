// Package migrations embeds the numbered SQL migrations (goose, forward only).
package migrations

import "embed"

// FS holds the *.sql files in this folder.
//
//go:embed *.sql
var FS embed.FS
