package server

import (
	"net/http"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

type passwordForgotPage struct {
	Base
	Form Form
}

// passwordForgotForm asks for the address to send a reset link to.
func (s *Server) passwordForgotForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "password_forgot", passwordForgotPage{Base: s.base(r)})
}

// passwordForgot mails a single-use reset link to an active user with the
// address. The answer is the same whether or not anyone has the address, is
// invited or disabled, or has had the three mails an hour they may get.
func (s *Server) passwordForgot(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	if err := s.limit(r, "forgot:ip:"+rc.IP, time.Hour, forgotPerIPPerHour); err != nil {
		return err
	}
	email := norm.Email(r.PostFormValue("email"))
	if !norm.ValidEmail(email) {
		form := Form{Values: map[string]string{"email": email}}
		form.Errors.Add("email", "password_forgot.email_invalid")
		return s.render(w, r, http.StatusUnprocessableEntity, "password_forgot", passwordForgotPage{Base: s.base(r), Form: form})
	}
	// Counted for every address, known or not, so the work done does not
	// depend on whether the address exists.
	ok, _, err := s.store.Hit(ctx, "forgot:addr:"+email, time.Hour, forgotPerAddress)
	if err != nil {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && portal.ErrorCode(err) != portal.ENOTFOUND {
		return err
	}
	token, hash := auth.NewToken()
	if ok && u != nil && u.Status == portal.StatusActive {
		to := s.userRecipient(r, u)
		mail, err := s.mail(to, "password_reset", map[string]any{
			// Always BASE_URL: the Host header is whatever the client sent.
			"Link":    s.cfg.BaseURL + "/password/reset/" + token,
			"Minutes": int(portal.ResetTTL / time.Minute),
		})
		if err != nil {
			return err
		}
		if err := s.store.CreateResetToken(ctx, u.ID, hash, s.now().Add(portal.ResetTTL), mail, store.Audit{
			AccountID: u.AccountID, TargetUserID: u.ID, Action: "password.forgot", IP: rc.IP}); err != nil {
			return err
		}
	}
	return seeOther(w, r, "/password/forgot/sent")
}

// passwordForgotSent tells the person to look in their mailbox.
func (s *Server) passwordForgotSent(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "password_forgot_sent", passwordForgotPage{Base: s.base(r)})
}
