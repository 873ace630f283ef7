// Package locales embeds the UI text: <lang>.toml per language, plus
// <area>.<lang>.toml pairs for areas that keep their text apart. Every key
// exists in each language (a test checks).
package locales

import "embed"

// FS holds the message files.
//
//go:embed *.toml
var FS embed.FS
