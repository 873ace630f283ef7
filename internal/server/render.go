package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// Base is embedded in every page's data.
type Base struct {
	L        *i18n.Localizer
	Lang     string
	User     *portal.User // set once sign-in is complete
	SignedIn bool         // a session exists, complete or mid sign-in
	Nonce    string
	Flash    string
	Path     string
	Dev      bool
	Now      time.Time
}

// Form holds what a person typed and the messages for its fields, so a form
// that failed validation comes back as they left it.
type Form struct {
	Values map[string]string
	Errors portal.FieldErrors
}

// Get returns the value typed into field.
func (f Form) Get(field string) string { return f.Values[field] }

// templates are parsed once into one set per page: the layout, the partials
// and that page, so that every page can define "title" and "content".
type templates struct {
	pages map[string]*template.Template
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"t": func(l *i18n.Localizer, key string, args ...any) string { return l.T(key, args...) },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"datetime":  func(l *i18n.Localizer, t time.Time, tz string) string { return l.DateTime(t, tz) },
		"ago":       func(l *i18n.Localizer, t, now time.Time) string { return l.Ago(t, now) },
		"list":      func(items ...string) []string { return items },
		"hasPrefix": strings.HasPrefix,
	}
}

func parseTemplates(fsys fs.FS) (*templates, error) {
	common, err := template.New("").Funcs(funcs()).ParseFS(fsys, "templates/layouts/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	files, err := fs.Glob(fsys, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, f := range files {
		clone, err := common.Clone()
		if err != nil {
			return nil, err
		}
		page, err := clone.ParseFS(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		t.pages[strings.TrimSuffix(path.Base(f), ".html")] = page
	}
	return t, nil
}

// render writes page with data and status. It renders into a buffer first so
// that a template error becomes a 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	tmpls := s.tmpl
	if s.cfg.Dev && s.devFS != nil {
		// In --dev templates are re-read on every request, so edits show at once.
		var err error
		if tmpls, err = parseTemplates(s.devFS); err != nil {
			return err
		}
	}
	t, ok := tmpls.pages[page]
	if !ok {
		return fmt.Errorf("render: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// base fills the shared page data from the request.
func (s *Server) base(r *http.Request) Base {
	rc := reqCtx(r)
	b := Base{
		L:        rc.L,
		Lang:     rc.L.Lang,
		SignedIn: rc.sessionUser != nil,
		Nonce:    rc.Nonce,
		Path:     r.URL.RequestURI(),
		Dev:      s.cfg.Dev,
		Now:      s.now(),
	}
	if rc.User != nil {
		b.User = rc.User
	}
	b.Flash = s.sessions.PopString(r.Context(), "flash")
	return b
}
