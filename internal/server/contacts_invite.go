package server

import (
	"context"
	"net/http"

	"madoguchi/internal/auth"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// InviteSpec describes a person to invite (the ESET flow): they get an
// e-mail with a welcome link, where they set a password and accept the terms
// of use with their name and address already filled in.
type InviteSpec struct {
	AccountID      int64 // the customer organization; 0 for staff
	Email          string
	Name           string
	Role           portal.Role // default customer
	IsApprover     bool
	IsAccountAdmin bool
	OTPMethod      portal.OTPMethod // default e-mail
	// Language of the invitation mail and of the new user's pages until
	// they choose one; "" means Japanese.
	Language string
	IP       string // the inviter's address, for the audit log
}

// InviteUser creates an invited user with a single-use welcome link (valid
// portal.WelcomeTTL), e-mails the link (BASE_URL/welcome/{token}) in the
// invitee's language and records "user.invite" in the audit log, all in one
// transaction. inviter is the account administrator or staff administrator
// doing it, or nil for staff tools such as the CLI.
//
// Email and Name are normalized here. Invalid input returns a
// *portal.ValidationError with messages for the fields "name", "email" and
// "otp_method" (portal.AsFieldErrors reads them); an address already in use
// returns ECONFLICT for the field "email" ("contacts.email_taken", or
// "contacts.email_pending" when a registration request for it awaits a
// decision); an inviter who does not administer spec.AccountID, or who
// invites staff, returns EFORBIDDEN; an unknown account ENOTFOUND.
func (s *Server) InviteUser(ctx context.Context, inviter *portal.User, spec InviteSpec) (int64, error) {
	spec.Email = norm.Email(spec.Email)
	spec.Name = norm.Text(spec.Name)
	if spec.Role == "" {
		spec.Role = portal.RoleCustomer
	}
	if spec.OTPMethod == "" {
		spec.OTPMethod = portal.OTPEmail
	}
	spec.Language = invitationLang(spec.Language)
	// A staff administrator invites to any organization; an account
	// administrator only to their own.
	staff := inviter != nil && inviter.Role == portal.RoleAdmin
	if inviter != nil && !staff && (spec.Role != portal.RoleCustomer || !inviter.CanManageAccount(spec.AccountID)) {
		return 0, forbidden()
	}
	if !spec.Role.Valid() || (spec.Role == portal.RoleCustomer) != (spec.AccountID != 0) {
		return 0, portal.Errorf(portal.EINVALID, "error.bad_request")
	}

	var fe portal.FieldErrors
	checkPersonName(&fe, "name", spec.Name)
	switch {
	case spec.Email == "":
		fe.Add("email", "register.email_required")
	case !norm.ValidEmail(spec.Email):
		fe.Add("email", "register.email_invalid")
	}
	if !spec.OTPMethod.Valid() {
		fe.Add("otp_method", "register.otp_method_required")
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	registered, pending, err := s.store.EmailInUse(ctx, spec.Email)
	if err != nil {
		return 0, err
	}
	if registered {
		return 0, &portal.Error{Code: portal.ECONFLICT, Field: "email", Message: "contacts.email_taken"}
	}
	if pending {
		return 0, &portal.Error{Code: portal.ECONFLICT, Field: "email", Message: "contacts.email_pending"}
	}

	accountName := ""
	if spec.AccountID != 0 {
		acc, err := s.store.AccountByID(ctx, spec.AccountID)
		if err != nil {
			return 0, err
		}
		accountName = acc.Name
	}
	inviterName := ""
	audit := store.Audit{Action: "user.invite", IP: spec.IP}
	if inviter != nil {
		audit.ActorID = inviter.ID
		if !staff {
			// Staff are not known to the invitee by name: their mail says
			// only which organization it is for.
			inviterName = inviter.Name
		}
	}
	token, hash := auth.NewToken()
	mail, err := s.invitationMail(recipient{Email: spec.Email, Name: spec.Name, Lang: spec.Language}, inviterName, accountName, token)
	if err != nil {
		return 0, err
	}
	id, err := s.store.Invite(ctx, store.NewUser{
		AccountID: spec.AccountID, Email: spec.Email, Name: spec.Name, Role: spec.Role,
		IsApprover: spec.IsApprover, IsAccountAdmin: spec.IsAccountAdmin, OTPMethod: spec.OTPMethod,
		Language: spec.Language,
	}, hash, s.now().Add(portal.WelcomeTTL), mail, audit)
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return 0, &portal.Error{Code: portal.ECONFLICT, Field: "email", Message: "contacts.email_taken"}
	}
	return id, err
}

// invitationMail is the invitation with its welcome link.
func (s *Server) invitationMail(to recipient, inviter, account, token string) (store.Mail, error) {
	return s.mail(to, "invitation", map[string]any{
		"Inviter": inviter,
		"Account": account,
		"Link":    s.cfg.BaseURL + "/welcome/" + token,
		"Hours":   int(portal.WelcomeTTL.Hours()),
	})
}

var inviteFields = []string{"name", "email", "otp_method", "approver", "account_admin"}

// contactInvite invites a person to the administrator's organization.
func (s *Server) contactInvite(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	me := rc.User
	r.Body = http.MaxBytesReader(w, r.Body, regFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	form := Form{Values: map[string]string{}}
	for _, f := range inviteFields {
		form.Values[f] = r.PostForm.Get(f)
	}
	_, err := s.InviteUser(r.Context(), me, InviteSpec{
		AccountID:      me.AccountID,
		Email:          form.Get("email"),
		Name:           form.Get("name"),
		IsApprover:     form.Get("approver") == "1",
		IsAccountAdmin: form.Get("account_admin") == "1",
		OTPMethod:      portal.OTPMethod(form.Get("otp_method")),
		Language:       rc.L.Lang,
		IP:             rc.IP,
	})
	if err != nil {
		fe, ok := portal.AsFieldErrors(err)
		if !ok {
			return err
		}
		form.Errors = fe
		return s.renderContacts(w, r, http.StatusUnprocessableEntity, form, "")
	}
	s.sessions.Put(r.Context(), "flash", "contacts.invited_flash")
	return seeOther(w, r, "/account/contacts")
}
