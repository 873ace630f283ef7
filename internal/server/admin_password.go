package server

import (
	"net/http"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
)

// Temporary passwords an administrator may set per hour.
const passwordResetsPerHour = 30

type adminPasswordPage struct {
	Base
	ID      int64
	Name    string
	Email   string
	Account string // the organization of a contact; "" for staff
	Back    string
	// Password is the new temporary password, shown once in the answer to
	// the POST that set it: it is never stored anywhere but as a hash.
	Password string
}

// passwordTarget returns the user in the URL, whom an administrator may give
// a temporary password: anyone but themself (they use /password/change).
func (s *Server) passwordTarget(r *http.Request) (*portal.User, error) {
	id, err := caID(r, "id")
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if u.ID == reqCtx(r).User.ID {
		return nil, portal.Errorf(portal.EINVALID, "catalog_admin.password_self")
	}
	return u, nil
}

func (s *Server) passwordPage(r *http.Request, u *portal.User) adminPasswordPage {
	p := adminPasswordPage{Base: s.base(r), ID: u.ID, Name: u.Name, Email: u.Email, Account: u.AccountName, Back: "/admin/agents"}
	if u.AccountID != 0 {
		p.Back = "/admin/accounts"
	}
	return p
}

// adminPasswordConfirm asks before giving a user a temporary password, so a
// link from another page never changes anything by itself.
func (s *Server) adminPasswordConfirm(w http.ResponseWriter, r *http.Request) error {
	u, err := s.passwordTarget(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_password", s.passwordPage(r, u))
}

// adminPasswordReset gives a user a new temporary password (the CLI's user
// password): they must change it at their next sign-in and their sessions
// end now. The password is shown once, in this answer; it is not put in a
// flash, a log or the session, so reloading the page cannot show it again
// (the browser asks to resend the form, which sets another one).
func (s *Server) adminPasswordReset(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	if err := s.limit(r, "admin:password:user:"+itoa(rc.User.ID), time.Hour, passwordResetsPerHour); err != nil {
		return err
	}
	u, err := s.passwordTarget(r)
	if err != nil {
		return err
	}
	password := auth.NewTemporaryPassword()
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	audit := caAudit(r, "user.password_reset")
	audit.AccountID = u.AccountID
	if err := s.store.SetPassword(r.Context(), u.ID, hash, true, audit); err != nil {
		return err
	}
	page := s.passwordPage(r, u)
	page.Password = password
	return s.render(w, r, http.StatusOK, "admin_password", page)
}
