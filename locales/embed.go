// Package locales embeds the UI text: one TOML file per language, with the
// same keys in each (a test checks).
package locales

import "embed"

// FS holds en.toml and ja.toml.
//
//go:embed *.toml
var FS embed.FS
