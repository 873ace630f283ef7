package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// Staff invitations send mail, so a stolen administrator session cannot
// turn the portal into a mailer.
const (
	adminInviteWindow = time.Hour
	adminInvites      = 200
)

// adminContactDone ends a contact action on an organization's page: a
// refusal the administrator can act on shows the page again with the reason
// (422); success goes back to the page with a flash.
func (s *Server) adminContactDone(w http.ResponseWriter, r *http.Request, acc *portal.Account, err error, flash string) error {
	switch {
	case err == nil:
		s.sessions.Put(r.Context(), "flash", flash)
		return seeOther(w, r, accountPath(acc.ID))
	case portal.ErrorCode(err) == portal.EINVALID:
		key := portal.ErrorMessage(err)
		if key == "contacts.last_approver" {
			key = "admin.last_approver" // the contacts page's wording speaks to the organization itself
		}
		return s.renderAdminAccount(w, r, http.StatusUnprocessableEntity, acc, adminPage{errKey: key})
	}
	return err
}

// adminContactOf returns the organization and the id of the contact named in
// the URL. The store checks that the contact belongs to the organization.
func (s *Server) adminContactOf(r *http.Request) (*portal.Account, int64, error) {
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "user"), 10, 64)
	if err != nil {
		return nil, 0, notFound()
	}
	return acc, id, nil
}

// adminContactInvite invites a person to the organization; they get the
// welcome mail, as with `madoguchi user create --role customer`, but set
// their own password.
func (s *Server) adminContactInvite(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, regFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	if err := s.limit(r, "admin:invite:"+itoa(rc.User.ID), adminInviteWindow, adminInvites); err != nil {
		return err
	}
	form := Form{Values: map[string]string{}}
	for _, f := range append(inviteFields, "language") {
		form.Values[f] = r.PostForm.Get(f)
	}
	lang := form.Get("language")
	if !i18n.Supported(lang) {
		lang = i18n.Languages[0]
	}
	_, err = s.InviteUser(r.Context(), rc.User, InviteSpec{
		AccountID:      acc.ID,
		Email:          form.Get("email"),
		Name:           form.Get("name"),
		IsApprover:     form.Get("approver") == "1",
		IsAccountAdmin: form.Get("account_admin") == "1",
		OTPMethod:      portal.OTPMethod(form.Get("otp_method")),
		Language:       lang,
		IP:             rc.IP,
	})
	if err != nil {
		fe, ok := portal.AsFieldErrors(err)
		if !ok {
			return err
		}
		form.Errors = fe
		return s.renderAdminAccount(w, r, http.StatusUnprocessableEntity, acc, adminPage{invite: form})
	}
	s.sessions.Put(r.Context(), "flash", "contacts.invited_flash")
	return seeOther(w, r, accountPath(acc.ID))
}

// adminContactRoles names or unnames a contact approver and account
// administrator; the organization keeps at least one active approver.
func (s *Server) adminContactRoles(w http.ResponseWriter, r *http.Request) error {
	acc, id, err := s.adminContactOf(r)
	if err != nil {
		return err
	}
	approver := r.PostFormValue("approver") == "1"
	admin := r.PostFormValue("account_admin") == "1"
	err = s.store.SetContactRoles(r.Context(), acc.ID, id, approver, admin, s.staffAudit(r, "contacts.roles"))
	return s.adminContactDone(w, r, acc, err, "contacts.roles_flash")
}

// adminContactStatus disables a contact (ending their sessions at once) or
// enables them again.
func (s *Server) adminContactStatus(status portal.UserStatus) handlerFunc {
	action, flash := "contacts.enable", "contacts.enabled_flash"
	if status == portal.StatusDisabled {
		action, flash = "contacts.disable", "contacts.disabled_flash"
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		acc, id, err := s.adminContactOf(r)
		if err != nil {
			return err
		}
		err = s.store.SetContactStatus(r.Context(), acc.ID, id, status, s.staffAudit(r, action))
		return s.adminContactDone(w, r, acc, err, flash)
	}
}
