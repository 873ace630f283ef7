package server

import (
	"context"
	"net/http"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Invitations an administrator may send per hour: far above a team's needs,
// low enough that a stolen session cannot turn the portal into a mailer.
const staffInvitesPerHour = 60

var staffInviteFields = []string{"name", "email", "role", "otp_method"}

type adminAgentsPage struct {
	Base
	Staff  []staffRow
	Invite Form
	Error  string // translated: why an action was refused
}

type staffRow struct {
	ID          int64
	Name        string
	Email       string
	Admin       bool
	StatusKey   string
	StatusClass string
	MFA         string
	MFAClass    string
	Self        bool
	Invited     bool
	Disabled    bool
}

func defaultStaffInvite() Form {
	return Form{Values: map[string]string{"role": string(portal.RoleAgent), "otp_method": string(portal.OTPApp)}}
}

// adminAgents lists agents and administrators with the form to invite one.
func (s *Server) adminAgents(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminAgents(w, r, http.StatusOK, defaultStaffInvite(), "")
}

func (s *Server) renderAdminAgents(w http.ResponseWriter, r *http.Request, status int, invite Form, errKey string) error {
	staff, err := s.store.StaffMembers(r.Context())
	if err != nil {
		return err
	}
	page := adminAgentsPage{Base: s.base(r), Invite: invite}
	l, me := page.L, reqCtx(r).User
	if errKey != "" {
		page.Error = l.T(errKey)
	}
	for _, m := range staff {
		page.Staff = append(page.Staff, staffRowOf(l, m, me))
	}
	return s.render(w, r, status, "admin_agents", page)
}

func staffRowOf(l *i18n.Localizer, m store.StaffMember, me *portal.User) staffRow {
	row := staffRow{ID: m.ID, Name: m.Name, Email: m.Email, Admin: m.Role == portal.RoleAdmin, Self: m.ID == me.ID}
	switch m.Status {
	case portal.StatusActive:
		row.StatusKey, row.StatusClass = "contacts.status_active", "badge--ok"
	case portal.StatusInvited:
		row.StatusKey, row.StatusClass, row.Invited = "contacts.status_invited", "badge--warn", true
	default:
		row.StatusKey, row.StatusClass, row.Disabled = "contacts.status_disabled", "badge--muted", true
	}
	if m.MFAPaired && m.OTPMethod != portal.OTPNone {
		row.MFA, row.MFAClass = l.T("contacts.mfa_paired", "Method", otpMethodLabel(l, m.OTPMethod)), "badge--ok"
	} else {
		row.MFA, row.MFAClass = l.T("contacts.mfa_not_paired", "Method", otpMethodLabel(l, m.OTPMethod)), "badge--warn"
	}
	return row
}

// adminAgentInvite invites an agent or administrator: they get the welcome
// link contacts get, set a password, accept the terms and pair a second
// factor, which staff always need.
func (s *Server) adminAgentInvite(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	if err := s.limit(r, "admin:invite:user:"+itoa(rc.User.ID), time.Hour, staffInvitesPerHour); err != nil {
		return err
	}
	form, err := caParse(w, r, caFormMax, staffInviteFields...)
	if err != nil {
		return err
	}
	_, err = s.inviteStaff(r.Context(), rc.User, form, rc.L.Lang, rc.IP)
	if err != nil {
		fe, ok := portal.AsFieldErrors(err)
		if !ok {
			return err
		}
		form.Errors = fe
		return s.renderAdminAgents(w, r, http.StatusUnprocessableEntity, form, "")
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.agent_invited")
	return seeOther(w, r, "/admin/agents")
}

// inviteStaff validates an invitation of staff and stores the invited user,
// their welcome link, its mail and the "user.invite" audit entry in one
// transaction. Invalid input returns field errors for name, email, role and
// otp_method.
func (s *Server) inviteStaff(ctx context.Context, inviter *portal.User, form Form, lang, ip string) (int64, error) {
	email, name := norm.Email(form.Get("email")), norm.Text(form.Get("name"))
	role, method := portal.Role(form.Get("role")), portal.OTPMethod(form.Get("otp_method"))
	var fe portal.FieldErrors
	checkPersonName(&fe, "name", name)
	switch {
	case email == "":
		fe.Add("email", "register.email_required")
	case !norm.ValidEmail(email):
		fe.Add("email", "register.email_invalid")
	}
	if !role.Staff() {
		fe.Add("role", "catalog_admin.role_required")
	}
	if !method.Valid() {
		fe.Add("otp_method", "register.otp_method_required")
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	registered, pending, err := s.store.EmailInUse(ctx, email)
	if err != nil {
		return 0, err
	}
	if registered {
		return 0, portal.FieldError("email", "contacts.email_taken")
	}
	if pending {
		return 0, portal.FieldError("email", "contacts.email_pending")
	}
	lang = invitationLang(lang)
	token, hash := auth.NewToken()
	mail, err := s.invitationMail(recipient{Email: email, Name: name, Lang: lang}, inviter.Name, "", token)
	if err != nil {
		return 0, err
	}
	id, err := s.store.Invite(ctx, store.NewUser{Email: email, Name: name, Role: role, OTPMethod: method, Language: lang},
		hash, s.now().Add(portal.WelcomeTTL), mail, store.Audit{ActorID: inviter.ID, Action: "user.invite", IP: ip})
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return 0, portal.FieldError("email", "contacts.email_taken")
	}
	return id, err
}

// staffDone ends an action on a staff member: a refusal the administrator
// can act on shows the page again with the reason (422); success goes back
// to the list with a flash.
func (s *Server) staffDone(w http.ResponseWriter, r *http.Request, err error, flash string) error {
	switch {
	case err == nil:
		s.sessions.Put(r.Context(), "flash", flash)
		return seeOther(w, r, "/admin/agents")
	case portal.ErrorCode(err) == portal.EINVALID:
		return s.renderAdminAgents(w, r, http.StatusUnprocessableEntity, defaultStaffInvite(), portal.ErrorMessage(err))
	}
	return err
}

// adminAgentStatus disables a staff member, ending their sessions at once,
// or enables them again. Nobody disables themself, and the last active
// administrator stays.
func (s *Server) adminAgentStatus(status portal.UserStatus) handlerFunc {
	action, flash := "user.enable", "catalog_admin.agent_enabled"
	if status == portal.StatusDisabled {
		action, flash = "user.disable", "catalog_admin.agent_disabled"
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := caID(r, "id")
		if err != nil {
			return err
		}
		if status == portal.StatusDisabled && id == reqCtx(r).User.ID {
			return s.staffDone(w, r, portal.Errorf(portal.EINVALID, "catalog_admin.cannot_disable_self"), "")
		}
		return s.staffDone(w, r, s.store.SetStaffStatus(r.Context(), id, status, caAudit(r, action)), flash)
	}
}

// adminAgentRole makes a staff member an agent or an administrator; the last
// active administrator stays one.
func (s *Server) adminAgentRole(w http.ResponseWriter, r *http.Request) error {
	id, err := caID(r, "id")
	if err != nil {
		return err
	}
	form, err := caParse(w, r, caFormMax, "role")
	if err != nil {
		return err
	}
	role := portal.Role(form.Get("role"))
	if !role.Staff() {
		return s.staffDone(w, r, portal.Errorf(portal.EINVALID, "catalog_admin.role_required"), "")
	}
	err = s.store.SetStaffRole(r.Context(), id, role, caAudit(r, "user.role"))
	if err == nil && id == reqCtx(r).User.ID && role != portal.RoleAdmin {
		// They have left administration; its pages would answer 403.
		s.sessions.Put(r.Context(), "flash", "catalog_admin.role_saved")
		return seeOther(w, r, "/agent/queue")
	}
	return s.staffDone(w, r, err, "catalog_admin.role_saved")
}

// adminAgentResend sends a staff member who has not used their welcome link
// a new one; the old link stops working.
func (s *Server) adminAgentResend(w http.ResponseWriter, r *http.Request) error {
	me := reqCtx(r).User
	if err := s.limit(r, "admin:invite:user:"+itoa(me.ID), time.Hour, staffInvitesPerHour); err != nil {
		return err
	}
	id, err := caID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), id)
	if err != nil {
		return err
	}
	if !u.Role.Staff() {
		return notFound()
	}
	token, hash := auth.NewToken()
	mail, err := s.invitationMail(recipient{Email: u.Email, Name: u.Name, Lang: invitationLang(u.Language)}, me.Name, "", token)
	if err != nil {
		return err
	}
	err = s.store.ResendStaffInvitation(r.Context(), u.ID, hash, s.now().Add(portal.WelcomeTTL), mail, caAudit(r, "user.invite_resend"))
	return s.staffDone(w, r, err, "catalog_admin.agent_resent")
}
