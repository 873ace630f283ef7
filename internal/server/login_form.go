package server

import (
	"net/http"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

type loginPage struct {
	Base
	Form  Form
	Next  string
	Alert string // a refusal that is not about one field (wrong password, lockout)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, form Form, next, alert string) error {
	return s.render(w, r, status, "login", loginPage{Base: s.base(r), Form: form, Next: next, Alert: alert})
}

// loginForm shows the sign-in form; a person already signed in goes on to
// where they were headed.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	next := r.URL.Query().Get("next")
	if !safeNext(next) {
		next = ""
	}
	if rc.User != nil {
		if next != "" {
			return seeOther(w, r, next)
		}
		return seeOther(w, r, s.landing(r, rc.User))
	}
	return s.renderLogin(w, r, http.StatusOK, Form{}, next, "")
}

// login checks the e-mail address and password. An unknown address, a
// disabled or invited user and a wrong password get the same answer, in the
// same time; repeated failures lock the address (known or not) for a while.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	if err := s.limit(r, "login:ip:"+rc.IP, time.Minute, loginPerIPPerMinute); err != nil {
		return err
	}
	email := norm.Email(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	next := r.PostFormValue("next")
	if !safeNext(next) {
		next = ""
	}
	form := Form{Values: map[string]string{"email": email}}
	if email == "" {
		form.Errors.Add("email", "login.email_required")
	}
	if password == "" {
		form.Errors.Add("password", "login.password_required")
	}
	if len(form.Errors) > 0 {
		return s.renderLogin(w, r, http.StatusUnprocessableEntity, form, next, "")
	}

	until, err := s.store.LoginLockedUntil(ctx, email)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return s.renderLogin(w, r, http.StatusTooManyRequests, form, next, s.retryText(r, "login.locked", until))
	}

	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && portal.ErrorCode(err) != portal.ENOTFOUND {
		return err
	}
	ok := false
	if u != nil && u.Status == portal.StatusActive && u.PasswordHash != "" {
		if ok, err = s.hasher.Verify(password, u.PasswordHash); err != nil {
			s.logger.ErrorContext(ctx, "password hash unreadable", "user_id", u.ID, "err", err)
			ok = false
		}
	} else {
		s.hasher.DummyVerify(password)
	}
	if !ok {
		return s.loginFailed(w, r, form, next, email, u)
	}

	if err := s.store.ClearLoginFailures(ctx, email); err != nil {
		return err
	}
	// A language chosen with the header's switcher before signing in is a
	// choice too: it becomes the person's setting rather than being undone.
	if c, err := r.Cookie("lang"); err == nil && i18n.Supported(c.Value) && c.Value != u.Language {
		if err := s.store.SetLanguage(ctx, u.ID, c.Value); err != nil {
			return err
		}
		u.Language = c.Value
	}
	if s.hasher.NeedsRehash(u.PasswordHash) {
		if h, err := s.hasher.Hash(password); err == nil {
			if err := s.store.UpgradePasswordHash(ctx, u.ID, u.PasswordHash, h); err != nil {
				s.logger.WarnContext(ctx, "upgrade password hash", "err", err)
			}
		}
	}

	// A new sign-in starts from a clean session with a new token, whatever
	// the browser held before (another person's half-finished sign-in).
	if err := s.sessions.Clear(ctx); err != nil {
		return err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUserID, u.ID)
	s.sessions.Put(ctx, sessEpoch, u.SessionEpoch)
	if next != "" {
		s.sessions.Put(ctx, sessNext, next)
	}

	step := portal.NextSignInStep(u, portal.SignInState{}, u.CurrentTerms)
	if err := s.store.Record(ctx, store.Audit{ActorID: u.ID, AccountID: u.AccountID, TargetUserID: u.ID,
		Action: "login.success", IP: rc.IP, Detail: map[string]any{"next_step": step}}); err != nil {
		return err
	}
	if step == portal.StepSecondFactor && u.OTPMethod == portal.OTPEmail {
		// No code for a factor locked until an administrator resets it;
		// a short lockout ends well before the code expires.
		if locked, until := u.OTPLocked(s.now()); !locked || !until.IsZero() {
			// Signing in again and again must not flood the mailbox: past
			// the limit, the code mailed last stays valid.
			ok, _, err := s.store.Hit(ctx, codeMailKey(u.ID, "login"), codeMailWindow, codeMailsAtLogin)
			if err != nil {
				return err
			}
			if ok {
				if err := s.sendEmailCode(r, u); err != nil {
					return err
				}
			}
		}
	}
	if step == portal.StepDone {
		return seeOther(w, r, s.landing(r, u))
	}
	return seeOther(w, r, step.Path())
}

// loginFailed counts the failure against the address, records it and answers
// with the same page whether or not the address belongs to anyone.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, form Form, next, email string, u *portal.User) error {
	ctx := r.Context()
	rc := reqCtx(r)
	audit := store.Audit{Action: "login.failure", IP: rc.IP, Detail: map[string]any{"email": email}}
	if u != nil {
		audit.TargetUserID = u.ID
		audit.AccountID = u.AccountID
	}
	until, err := s.store.RecordLoginFailure(ctx, email, auth.PasswordLockout, audit)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return s.renderLogin(w, r, http.StatusTooManyRequests, form, next,
			rc.L.T("login.failed")+" "+s.retryText(r, "login.locked", until))
	}
	return s.renderLogin(w, r, http.StatusUnprocessableEntity, form, next, rc.L.T("login.failed"))
}

// logout ends the session, also in the middle of signing in.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	if u := rc.sessionUser; u != nil {
		if err := s.store.Record(ctx, store.Audit{ActorID: u.ID, AccountID: u.AccountID, TargetUserID: u.ID,
			Action: "logout", IP: rc.IP}); err != nil {
			return err
		}
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, "flash", "logout.done")
	return seeOther(w, r, "/login")
}
