package server

import (
	"net/http"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

type passwordChangePage struct {
	Base
	Form   Form
	Forced bool // a temporary password must be replaced before going on
	Alert  string
	Email  string // for password managers
}

func (s *Server) renderPasswordChange(w http.ResponseWriter, r *http.Request, status int, form Form, alert string) error {
	u := reqCtx(r).sessionUser
	return s.render(w, r, status, "password_change", passwordChangePage{
		Base: s.base(r), Form: form, Forced: u.MustChangePassword, Alert: alert, Email: u.Email,
	})
}

// passwordChangeForm asks for the current password and a new one: a
// required step after signing in with a temporary password, and a page of
// its own for a signed-in person.
func (s *Server) passwordChangeForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderPasswordChange(w, r, http.StatusOK, Form{}, "")
}

// passwordChange sets the new password. Every other session of the person
// ends; this one continues with a new token.
func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u := rc.sessionUser
	if err := s.limit(r, "password:check:"+itoa(u.ID), passwordCheckWindow, passwordChecks); err != nil {
		if portal.ErrorCode(err) != portal.ETOOMANY {
			return err
		}
		return s.renderPasswordChange(w, r, http.StatusTooManyRequests, Form{}, errorText(rc.L, err))
	}
	current := r.PostFormValue("current_password")
	newPassword := r.PostFormValue("new_password")
	confirm := r.PostFormValue("confirm_password")

	var form Form
	currentOK := false
	if current == "" {
		form.Errors.Add("current_password", "password_change.current_required")
	} else {
		ok, err := s.hasher.Verify(current, u.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			form.Errors.Add("current_password", "password_change.current_wrong")
		}
		currentOK = ok
	}
	if err := auth.CheckPassword(newPassword, confirm, u.Email, u.Name); err != nil {
		if !mergeFieldErrors(rc.L, &form.Errors, err) {
			return err
		}
	} else if currentOK {
		same, err := s.hasher.Verify(newPassword, u.PasswordHash)
		if err != nil {
			return err
		}
		if same {
			form.Errors.Add("new_password", "password_change.same")
		}
	}
	if len(form.Errors) > 0 {
		return s.renderPasswordChange(w, r, http.StatusUnprocessableEntity, form, "")
	}

	hash, err := s.hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	mail, err := s.passwordChangedMail(r, u)
	if err != nil {
		return err
	}
	epoch, err := s.store.ChangePassword(ctx, u.ID, hash, store.Audit{ActorID: u.ID, AccountID: u.AccountID,
		Action: "password.change", IP: rc.IP, Detail: map[string]any{"forced": u.MustChangePassword}}, mail)
	if err != nil {
		return err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessEpoch, epoch)

	if !u.MustChangePassword && rc.User != nil {
		s.sessions.Put(ctx, "flash", "password_change.done")
		return seeOther(w, r, "/account")
	}
	path, err := s.nextStepPath(r, u.ID)
	if err != nil {
		return err
	}
	s.sessions.Put(ctx, "flash", "password_change.done")
	return seeOther(w, r, path)
}

// passwordChangedMail tells u, in their language and time zone, that their
// password was changed, so a change they did not make does not go unnoticed.
func (s *Server) passwordChangedMail(r *http.Request, u *portal.User) (store.Mail, error) {
	to := s.userRecipient(r, u)
	return s.mail(to, "password_changed", map[string]any{
		"When": s.bundle.Localizer(to.Lang).DateTime(s.now(), userTZ(u)),
	})
}
