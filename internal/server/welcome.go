package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/auth"
	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

type welcomePage struct {
	Base
	Action     string
	Name       string
	Email      string
	Terms      []string // paragraphs of the current terms of use
	Form       Form
	TermsError string
}

type welcomeGonePage struct {
	Base
}

// welcomeUser returns the person a welcome link was sent to. A used or
// expired link answers 410 with a page that says so and what to do instead.
func (s *Server) welcomeUser(w http.ResponseWriter, r *http.Request) (*portal.User, []byte, bool, error) {
	hash := auth.HashToken(chi.URLParam(r, "token"))
	u, err := s.store.UserByToken(r.Context(), portal.TokenWelcome, hash)
	switch portal.ErrorCode(err) {
	case "":
		return u, hash, true, nil
	case portal.EGONE:
		return nil, nil, false, s.renderWelcomeGone(w, r)
	}
	return nil, nil, false, err
}

func (s *Server) renderWelcomeGone(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusGone, "welcome_gone", welcomeGonePage{Base: s.base(r)})
}

func (s *Server) renderWelcome(w http.ResponseWriter, r *http.Request, status int, u *portal.User, form Form) error {
	_, en, ja, err := s.store.CurrentTerms(r.Context())
	if err != nil {
		return err
	}
	body := en
	if (reqCtx(r).L.Lang == "ja" && ja != "") || en == "" {
		body = ja
	}
	var terms []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			terms = append(terms, p)
		}
	}
	return s.render(w, r, status, "welcome", welcomePage{
		Base:   s.base(r),
		Action: r.URL.EscapedPath(),
		Name:   u.Name,
		Email:  u.Email,
		Terms:  terms,
		Form:   form,
	})
}

// welcomeForm shows the form of a welcome link (an approved registration or
// an invitation): name and e-mail filled in, a new password and the terms of
// use to accept.
func (s *Server) welcomeForm(w http.ResponseWriter, r *http.Request) error {
	u, _, ok, err := s.welcomeUser(w, r)
	if !ok {
		return err
	}
	return s.renderWelcome(w, r, http.StatusOK, u, Form{})
}

// welcome sets the first password and records the accepted terms. The link
// works once; the person then signs in, where the second factor is paired.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u, hash, ok, err := s.welcomeUser(w, r)
	if !ok {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, regFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	password := r.PostForm.Get("new_password")
	var form Form
	if err := auth.CheckPassword(password, r.PostForm.Get("confirm_password"), u.Email, u.Name); err != nil {
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Field == "" {
			return err
		}
		// The partial translates a message key; one with data (the minimum
		// length) is translated here and passes through as text.
		msg := pe.Message
		if pe.Data != nil {
			msg = rc.L.TMap(pe.Message, pe.Data)
		}
		form.Errors.Add(pe.Field, msg)
	}
	if r.PostForm.Get("accept_terms") != "1" {
		form.Errors.Add("accept_terms", "welcome.accept_terms_required")
	}
	if len(form.Errors) > 0 {
		return s.renderWelcome(w, r, http.StatusUnprocessableEntity, u, form)
	}

	version, _, _, err := s.store.CurrentTerms(ctx)
	if err != nil {
		return err
	}
	pwHash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	if _, err := s.store.CompleteWelcome(ctx, hash, pwHash, version, rc.IP); err != nil {
		if portal.ErrorCode(err) == portal.EGONE {
			// The same link used twice at once: the other use won.
			return s.renderWelcomeGone(w, r)
		}
		return err
	}
	// Nobody is signed in by a welcome link; a fresh session token keeps a
	// session that existed in this browser from carrying over, and the
	// person now signs in, where the second factor is paired.
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	if u.Language == "" {
		// Remember the language the person completed registration in.
		if err := s.store.SetLanguage(ctx, u.ID, rc.L.Lang); err != nil {
			return err
		}
	}
	s.sessions.Put(ctx, "flash", "welcome.done")
	return seeOther(w, r, "/login")
}

// invitationLang is the language of an invitation for a person who has not
// chosen one.
func invitationLang(lang string) string {
	if i18n.Supported(lang) {
		return lang
	}
	return i18n.Languages[0]
}
