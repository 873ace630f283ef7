package server

import (
	"net/http"
	"strings"

	"madoguchi/internal/store"
)

type termsPage struct {
	Base
	Form       Form
	Version    int
	Paragraphs []string
	Accepted   bool // the person has accepted this version already
}

// termsText returns the current terms in the page's language, split into
// paragraphs.
func (s *Server) termsText(r *http.Request) (int, []string, error) {
	version, en, ja, err := s.store.CurrentTerms(r.Context())
	if err != nil {
		return 0, nil, err
	}
	body := en
	if reqCtx(r).L.Lang == "ja" && ja != "" {
		body = ja
	}
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	return version, paras, nil
}

func (s *Server) renderTerms(w http.ResponseWriter, r *http.Request, status int, form Form) error {
	version, paras, err := s.termsText(r)
	if err != nil {
		return err
	}
	u := reqCtx(r).sessionUser
	return s.render(w, r, status, "terms", termsPage{
		Base: s.base(r), Form: form, Version: version, Paragraphs: paras, Accepted: u.TermsVersion >= version,
	})
}

// termsForm shows the current terms of use, with the box to accept them
// when that is the person's next step.
func (s *Server) termsForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderTerms(w, r, http.StatusOK, Form{})
}

// termsAccept records that the person accepted the current terms.
func (s *Server) termsAccept(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u := rc.sessionUser
	if r.PostFormValue("accept_terms") == "" {
		var form Form
		form.Errors.Add("accept_terms", "terms.must_accept")
		return s.renderTerms(w, r, http.StatusUnprocessableEntity, form)
	}
	version, _, _, err := s.store.CurrentTerms(ctx)
	if err != nil {
		return err
	}
	if version > u.TermsVersion {
		if err := s.store.AcceptTerms(ctx, u.ID, version, store.Audit{ActorID: u.ID, AccountID: u.AccountID,
			Action: "terms.accept", IP: rc.IP}); err != nil {
			return err
		}
	}
	path, err := s.nextStepPath(r, u.ID)
	if err != nil {
		return err
	}
	return seeOther(w, r, path)
}
