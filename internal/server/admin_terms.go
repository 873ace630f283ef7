package server

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
)

var termsFields = []string{"body_en", "body_ja"}

type adminTermsPage struct {
	Base
	Versions []termsRow
	Form     Form
}

type termsRow struct {
	Version     int
	PublishedAt string
	Current     bool
}

type adminTermsTextPage struct {
	Base
	Version     int    // 0 for a preview
	PublishedAt string // of a published version
	Current     bool
	EN          []string // paragraphs
	JA          []string
	Form        Form // a preview's text, posted again to publish it
}

// termsParagraphs splits terms into the paragraphs the /terms page shows.
func termsParagraphs(body string) []string {
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	return paras
}

// adminTerms lists the published versions of the terms of use, the newest
// (current) first, with a form for a new version filled with the current text.
func (s *Server) adminTerms(w http.ResponseWriter, r *http.Request) error {
	version, en, ja, err := s.store.CurrentTerms(r.Context())
	if err != nil {
		return err
	}
	form := Form{Values: map[string]string{"body_en": en, "body_ja": ja}}
	if version == 0 {
		form = Form{}
	}
	return s.renderAdminTerms(w, r, http.StatusOK, form)
}

func (s *Server) renderAdminTerms(w http.ResponseWriter, r *http.Request, status int, form Form) error {
	versions, err := s.store.TermsVersions(r.Context())
	if err != nil {
		return err
	}
	page := adminTermsPage{Base: s.base(r), Form: form}
	tz := userTZ(reqCtx(r).User)
	for i, v := range versions {
		page.Versions = append(page.Versions, termsRow{Version: v.Version, PublishedAt: page.L.DateTime(v.PublishedAt, tz),
			Current: i == 0 && !v.PublishedAt.After(s.now())})
	}
	return s.render(w, r, status, "admin_terms", page)
}

// termsInput reads a new version's text; both languages are required, since
// every user reads the terms in theirs.
func termsInput(w http.ResponseWriter, r *http.Request) (Form, error) {
	form, err := caParse(w, r, caFormMaxBig, termsFields...)
	if err != nil {
		return form, err
	}
	for _, f := range termsFields {
		v := strings.TrimSpace(strings.ReplaceAll(form.Get(f), "\r\n", "\n"))
		form.Values[f] = v
		switch {
		case v == "":
			form.Errors.Add(f, "catalog_admin.terms_required")
		case utf8.RuneCountInString(v) > caTermsMax:
			form.Errors.Add(f, "catalog_admin.terms_too_long")
		}
	}
	return form, nil
}

// adminTermsPreview shows a new version as users will read it, with the
// button that publishes it; "edit" goes back to the form with the text.
func (s *Server) adminTermsPreview(w http.ResponseWriter, r *http.Request) error {
	form, err := termsInput(w, r)
	if err != nil {
		return err
	}
	if form.Errors != nil {
		return s.renderAdminTerms(w, r, http.StatusUnprocessableEntity, form)
	}
	if r.PostForm.Get("edit") != "" {
		return s.renderAdminTerms(w, r, http.StatusOK, form)
	}
	return s.render(w, r, http.StatusOK, "admin_terms_show", adminTermsTextPage{Base: s.base(r),
		EN: termsParagraphs(form.Get("body_en")), JA: termsParagraphs(form.Get("body_ja")), Form: form})
}

// adminTermsPublish publishes a new version of the terms of use. Everyone,
// the publisher included, is asked to accept it before their next page:
// the sign-in steps compare each user's accepted version with the newest on
// every request.
func (s *Server) adminTermsPublish(w http.ResponseWriter, r *http.Request) error {
	form, err := termsInput(w, r)
	if err != nil {
		return err
	}
	if form.Errors != nil {
		return s.renderAdminTerms(w, r, http.StatusUnprocessableEntity, form)
	}
	if _, err := s.store.PublishTerms(r.Context(), form.Get("body_en"), form.Get("body_ja"), caAudit(r, "terms.publish")); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.terms_published")
	return seeOther(w, r, "/admin/terms")
}

// adminTermsShow shows a published version in both languages.
func (s *Server) adminTermsShow(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(chi.URLParam(r, "version"))
	if err != nil || n <= 0 {
		return notFound()
	}
	v, err := s.store.TermsByVersion(r.Context(), n)
	if err != nil {
		return err
	}
	current, _, _, err := s.store.CurrentTerms(r.Context())
	if err != nil {
		return err
	}
	b := s.base(r)
	return s.render(w, r, http.StatusOK, "admin_terms_show", adminTermsTextPage{Base: b, Version: v.Version,
		PublishedAt: b.L.DateTime(v.PublishedAt, userTZ(reqCtx(r).User)), Current: v.Version == current,
		EN: termsParagraphs(v.BodyEN), JA: termsParagraphs(v.BodyJA)})
}
