package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// contactOf returns the contact named in the URL if they belong to the
// administrator's organization; anyone else is not found.
func (s *Server) contactOf(r *http.Request) (*portal.User, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return nil, notFound()
	}
	u, err := s.store.UserByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if me := reqCtx(r).User; u.AccountID == 0 || u.AccountID != me.AccountID {
		return nil, notFound()
	}
	return u, nil
}

// contactDone ends a contact action: a refusal the administrator can act on
// shows the page again with the reason (422); success goes back to the page
// with a flash.
func (s *Server) contactDone(w http.ResponseWriter, r *http.Request, err error, flash string) error {
	switch {
	case err == nil:
		s.sessions.Put(r.Context(), "flash", flash)
		return seeOther(w, r, "/account/contacts")
	case portal.ErrorCode(err) == portal.EINVALID:
		return s.renderContacts(w, r, http.StatusUnprocessableEntity, defaultInviteForm(), portal.ErrorMessage(err))
	}
	return err
}

func (s *Server) contactAudit(r *http.Request, action string) store.Audit {
	rc := reqCtx(r)
	return store.Audit{ActorID: rc.User.ID, AccountID: rc.User.AccountID, Action: action, IP: rc.IP}
}

// contactDisable disables a contact: their sessions end at once.
func (s *Server) contactDisable(w http.ResponseWriter, r *http.Request) error {
	u, err := s.contactOf(r)
	if err != nil {
		return err
	}
	if u.ID == reqCtx(r).User.ID {
		return s.contactDone(w, r, portal.Errorf(portal.EINVALID, "contacts.cannot_disable_self"), "")
	}
	err = s.store.SetContactStatus(r.Context(), u.AccountID, u.ID, portal.StatusDisabled, s.contactAudit(r, "contacts.disable"))
	return s.contactDone(w, r, err, "contacts.disabled_flash")
}

// contactEnable lets a disabled contact sign in again.
func (s *Server) contactEnable(w http.ResponseWriter, r *http.Request) error {
	u, err := s.contactOf(r)
	if err != nil {
		return err
	}
	err = s.store.SetContactStatus(r.Context(), u.AccountID, u.ID, portal.StatusActive, s.contactAudit(r, "contacts.enable"))
	return s.contactDone(w, r, err, "contacts.enabled_flash")
}

// contactResetMFA removes a contact's second factor (lost device, BSP): they
// pair again at their next sign-in, are told so by e-mail, and the reset is
// in the audit log.
func (s *Server) contactResetMFA(w http.ResponseWriter, r *http.Request) error {
	me := reqCtx(r).User
	u, err := s.contactOf(r)
	if err != nil {
		return err
	}
	switch {
	case u.ID == me.ID:
		return s.contactDone(w, r, portal.Errorf(portal.EINVALID, "contacts.cannot_reset_self"), "")
	case u.Status == portal.StatusInvited:
		return s.contactDone(w, r, portal.Errorf(portal.EINVALID, "contacts.invited"), "")
	}
	to := recipient{Email: u.Email, Name: u.Name, Lang: invitationLang(u.Language)}
	mail, err := s.mail(to, "mfa_reset", map[string]any{
		"Admin":   me.Name,
		"Account": me.AccountName,
		"Link":    s.cfg.BaseURL + "/login",
	})
	if err != nil {
		return err
	}
	audit := s.contactAudit(r, "mfa.reset")
	audit.Detail = map[string]any{"by": "account_admin"}
	err = s.store.ResetMFA(r.Context(), u.ID, mail, audit)
	return s.contactDone(w, r, err, "contacts.mfa_reset_flash")
}

// contactRoles names or unnames a contact approver and account administrator.
func (s *Server) contactRoles(w http.ResponseWriter, r *http.Request) error {
	me := reqCtx(r).User
	u, err := s.contactOf(r)
	if err != nil {
		return err
	}
	approver := r.PostFormValue("approver") == "1"
	admin := r.PostFormValue("account_admin") == "1"
	if u.ID == me.ID && !admin {
		// Nobody locks themselves out of this page by accident.
		return s.contactDone(w, r, portal.Errorf(portal.EINVALID, "contacts.cannot_unadmin_self"), "")
	}
	err = s.store.SetContactRoles(r.Context(), u.AccountID, u.ID, approver, admin, s.contactAudit(r, "contacts.roles"))
	return s.contactDone(w, r, err, "contacts.roles_flash")
}

// contactResend sends a contact who has not used their welcome link a new
// one; the old link stops working.
func (s *Server) contactResend(w http.ResponseWriter, r *http.Request) error {
	me := reqCtx(r).User
	u, err := s.contactOf(r)
	if err != nil {
		return err
	}
	if u.Status != portal.StatusInvited {
		return s.contactDone(w, r, portal.Errorf(portal.EINVALID, "contacts.not_invited"), "")
	}
	token, hash := auth.NewToken()
	to := recipient{Email: u.Email, Name: u.Name, Lang: invitationLang(u.Language)}
	mail, err := s.invitationMail(to, me.Name, me.AccountName, token)
	if err != nil {
		return err
	}
	err = s.store.ResendContactInvitation(r.Context(), u.AccountID, u.ID, hash, s.now().Add(portal.WelcomeTTL), mail,
		s.contactAudit(r, "contacts.resend"))
	return s.contactDone(w, r, err, "contacts.resent_flash")
}
