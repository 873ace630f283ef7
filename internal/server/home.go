package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// landing is where a person goes after the last sign-in step: the page they
// asked for, else their work list.
func (s *Server) landing(r *http.Request, u *portal.User) string {
	if next := s.sessions.PopString(r.Context(), sessNext); safeNext(next) {
		return next
	}
	if u != nil && u.Role.Staff() {
		return "/agent/queue"
	}
	return "/cases"
}

// safeNext accepts only same-site paths, so that ?next= cannot send a person
// to another site after they sign in.
func safeNext(next string) bool {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return false
	}
	if strings.ContainsAny(next, "\\\r\n\t") {
		return false
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == ""
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	switch {
	case rc.User != nil:
		http.Redirect(w, r, s.landing(r, rc.User), http.StatusSeeOther)
	case rc.sessionUser != nil:
		http.Redirect(w, r, rc.Step.Path(), http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
	return nil
}

// langSwitch remembers the chosen language in a cookie and, for a signed-in
// person, in their settings.
func (s *Server) langSwitch(w http.ResponseWriter, r *http.Request) error {
	lang := r.PostFormValue("lang")
	if !i18n.Supported(lang) {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	http.SetCookie(w, &http.Cookie{
		Name: "lang", Value: lang, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	if u := reqCtx(r).sessionUser; u != nil {
		if err := s.store.SetLanguage(r.Context(), u.ID, lang); err != nil {
			return err
		}
	}
	next := r.PostFormValue("next")
	if !safeNext(next) {
		next = "/"
	}
	return seeOther(w, r, next)
}

type devMailPage struct {
	Base
	Messages []devMessage
}

type devMessage struct {
	ID      int64
	To      string
	Subject string
	At      string
	Status  string
	Parts   []devPart
}

// devPart is a run of a message's text: plain text or a link to click.
type devPart struct {
	Text string
	Link bool
}

// devMail lists every e-mail in the outbox (--dev only), links clickable, so
// the flows can be followed without an SMTP server.
func (s *Server) devMail(w http.ResponseWriter, r *http.Request) error {
	msgs, err := s.store.RecentOutbox(r.Context(), 100)
	if err != nil {
		return err
	}
	page := devMailPage{Base: s.base(r)}
	for _, m := range msgs {
		dm := devMessage{ID: m.ID, To: m.To, Subject: m.Subject, At: page.L.DateTime(m.CreatedAt, "Asia/Tokyo")}
		switch {
		case m.SentAt != nil:
			dm.Status = "mail.status_sent"
		case m.LastError != "":
			dm.Status = "mail.status_failed"
		default:
			dm.Status = "mail.status_queued"
		}
		last := 0
		for _, loc := range urlRE.FindAllStringIndex(m.Text, -1) {
			dm.Parts = append(dm.Parts, devPart{Text: m.Text[last:loc[0]]}, devPart{Text: m.Text[loc[0]:loc[1]], Link: true})
			last = loc[1]
		}
		dm.Parts = append(dm.Parts, devPart{Text: m.Text[last:]})
		page.Messages = append(page.Messages, dm)
	}
	return s.render(w, r, http.StatusOK, "dev_mail", page)
}
