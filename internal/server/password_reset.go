package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
)

type passwordResetPage struct {
	Base
	Form  Form
	Email string
	Token string
}

// resetUser finds the user of the reset link in the request; a link that was
// used or has expired gets its own page (410) offering a new one.
func (s *Server) resetUser(w http.ResponseWriter, r *http.Request) (*portal.User, bool, error) {
	token := chi.URLParam(r, "token")
	u, err := s.store.UserByToken(r.Context(), portal.TokenReset, auth.HashToken(token))
	switch portal.ErrorCode(err) {
	case "":
		return u, true, nil
	case portal.EGONE:
		return nil, false, s.render(w, r, http.StatusGone, "password_reset_gone", passwordResetPage{Base: s.base(r)})
	}
	return nil, false, err
}

// passwordResetForm asks for the new password.
func (s *Server) passwordResetForm(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.resetUser(w, r)
	if !ok {
		return err
	}
	return s.render(w, r, http.StatusOK, "password_reset", passwordResetPage{
		Base: s.base(r), Email: u.Email, Token: chi.URLParam(r, "token"),
	})
}

// passwordReset sets the new password through the link, which then stops
// working, and ends every session of the user.
func (s *Server) passwordReset(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	if err := s.limit(r, "reset:ip:"+rc.IP, time.Minute, resetPerIPPerMinute); err != nil {
		return err
	}
	u, ok, err := s.resetUser(w, r)
	if !ok {
		return err
	}
	token := chi.URLParam(r, "token")
	newPassword := r.PostFormValue("new_password")
	if err := auth.CheckPassword(newPassword, r.PostFormValue("confirm_password"), u.Email, u.Name); err != nil {
		var form Form
		if !mergeFieldErrors(rc.L, &form.Errors, err) {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "password_reset", passwordResetPage{
			Base: s.base(r), Form: form, Email: u.Email, Token: token,
		})
	}
	hash, err := s.hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	mail, err := s.passwordChangedMail(r, u)
	if err != nil {
		return err
	}
	if _, err := s.store.ResetPassword(ctx, auth.HashToken(token), hash, rc.IP, mail); err != nil {
		if portal.ErrorCode(err) == portal.EGONE {
			return s.render(w, r, http.StatusGone, "password_reset_gone", passwordResetPage{Base: s.base(r)})
		}
		return err
	}
	// Whatever this browser held is over: a session of this user has just
	// been ended, and one of someone else should not outlive a reset made
	// on the same screen.
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, "flash", "password_reset.done")
	return seeOther(w, r, "/login")
}
