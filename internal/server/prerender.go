package server

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// The two long loops of the busiest pages, the rows of "My cases" and the
// timeline of a case, are written here rather than by their templates: each
// template action costs about a microsecond (reflection, and an escaping
// function per value), and fifty rows of a dozen actions each cost more
// than the page's queries. Every value is escaped; each function's comment
// shows the template it stands for, and a test checks that html/template
// writes the same from the same values.

// htmlBuilder writes HTML: raw for the markup, esc for values.
type htmlBuilder struct{ strings.Builder }

func (b *htmlBuilder) raw(s string) { b.WriteString(s) }
func (b *htmlBuilder) esc(s string) { b.WriteString(html.EscapeString(s)) }

// HTML returns what was written, as markup the templates output unchanged.
func (b *htmlBuilder) HTML() template.HTML { return template.HTML(b.String()) }

// html writes the row's cells, every value escaped, the way the template
// would with these actions:
//
//	<th scope="row"><a href="{{.Link}}">{{.Number}}</a></th>
//	<td>{{.Product}}</td> <td>{{.Subject}}</td>
//	<td><span class="{{.PriorityClass}}">{{.Priority}}</span></td>
//	<td><span class="{{.StateClass}}">{{.State}}</span></td>
//	<td>{{.Account}}</td> {{if admin}}<td>{{.OpenedBy}}</td>{{end}}
//	<td><time datetime="{{.UpdatedISO}}">{{.Updated}}</time></td>
//
// Link, the classes and UpdatedISO are built by the server from a case
// number and fixed words; they are escaped all the same.
func (row caseListRow) html(admin bool) template.HTML {
	var b htmlBuilder
	b.Grow(512 + len(row.Subject))
	raw, esc := b.raw, b.esc
	raw(`<th scope="row"><a href="`)
	esc(row.Link)
	raw(`">`)
	esc(row.Number)
	raw(`</a></th><td>`)
	esc(row.Product)
	raw(`</td><td>`)
	esc(row.Subject)
	raw(`</td><td><span class="`)
	esc(row.PriorityClass)
	raw(`">`)
	esc(row.Priority)
	raw(`</span></td><td><span class="`)
	esc(row.StateClass)
	raw(`">`)
	esc(row.State)
	raw(`</span></td><td>`)
	esc(row.Account)
	if admin {
		raw(`</td><td>`)
		esc(row.OpenedBy)
	}
	raw(`</td><td><time datetime="`)
	esc(row.UpdatedISO)
	raw(`">`)
	esc(row.Updated)
	raw(`</time></td>`)
	return b.HTML()
}

// html writes the timeline entry; internal and staff are the translated
// badges. It stands for:
//
//	<li class="{{.Class}}" id="event-{{.ID}}">
//	  <p class="event__head"><strong>{{.Title}}</strong>
//	  {{if .Internal}}<span class="badge badge--warn">{{internal}}</span>{{else if .Staff}}<span class="badge badge--ok">{{staff}}</span>{{end}}
//	  <time datetime="{{.ISO}}">{{.At}}</time> <span class="hint">{{.Ago}}</span></p>
//	  {{if .Status}}<p class="event__status">{{.Status}}</p>{{end}}
//	  {{if .Lines}}<div class="event__body">{{range $i, $l := .Lines}}{{if $i}}<br>{{end}}{{$l}}{{end}}</div>{{end}}
//	  {{if .Link}}<p><a href="{{.Link}}">{{.Number}}</a></p>{{end}}
//	  {{if .Files}}<ul class="event__files">{{range .Files}}<li><a href="{{.Link}}" download>{{.Name}}</a> <span class="hint">{{.Size}}</span></li>{{end}}</ul>{{end}}
//	</li>
func (v caseEventView) html(internal, staff string) template.HTML {
	var b htmlBuilder
	b.Grow(512)
	raw, esc := b.raw, b.esc
	raw(`<li class="`)
	esc(v.Class)
	raw(`" id="event-`)
	raw(strconv.FormatInt(v.ID, 10))
	raw(`"><p class="event__head"><strong>`)
	esc(v.Title)
	raw(`</strong>`)
	switch {
	case v.Internal:
		raw(` <span class="badge badge--warn">`)
		esc(internal)
		raw(`</span>`)
	case v.Staff:
		raw(` <span class="badge badge--ok">`)
		esc(staff)
		raw(`</span>`)
	}
	raw(` <time datetime="`)
	esc(v.ISO)
	raw(`">`)
	esc(v.At)
	raw(`</time> <span class="hint">`)
	esc(v.Ago)
	raw(`</span></p>`)
	if v.Status != "" {
		raw(`<p class="event__status">`)
		esc(v.Status)
		raw(`</p>`)
	}
	if len(v.Lines) > 0 {
		raw(`<div class="event__body">`)
		for i, l := range v.Lines {
			if i > 0 {
				raw(`<br>`)
			}
			esc(l)
		}
		raw(`</div>`)
	}
	if v.Link != "" {
		raw(`<p><a href="`)
		esc(v.Link)
		raw(`">`)
		esc(v.Number)
		raw(`</a></p>`)
	}
	if len(v.Files) > 0 {
		raw(`<ul class="event__files">`)
		for _, f := range v.Files {
			raw(`<li><a href="`)
			esc(f.Link)
			raw(`" download>`)
			esc(f.Name)
			raw(`</a> <span class="hint">`)
			esc(f.Size)
			raw(`</span></li>`)
		}
		raw(`</ul>`)
	}
	raw(`</li>`)
	return b.HTML()
}
