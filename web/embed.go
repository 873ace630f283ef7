// Package web embeds the HTML templates and static files, so the binary needs
// nothing beside it.
package web

import "embed"

// Templates holds templates/{layouts,partials,pages,emails}.
//
//go:embed templates
var Templates embed.FS

// Static holds static/{css,js,img}, served under /static/.
//
//go:embed static
var Static embed.FS
