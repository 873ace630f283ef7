package server

import (
	"net/http"
	"strconv"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// maxRequestsShown is how many registration requests the contacts page lists.
const maxRequestsShown = 100

// requireAccountAdmin lets through only a customer who administers their
// organization; anyone else signed in gets 403.
func (s *Server) requireAccountAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := reqCtx(r).User
		if u == nil || !u.CanManageAccount(u.AccountID) {
			s.fail(w, r, forbidden())
			return
		}
		next.ServeHTTP(w, r)
	})
}

type contactsPage struct {
	Base
	Account  string
	Contacts []contactRow
	Requests []requestRow
	Invite   Form
	Error    string // translated: why an action was refused
	// The organization's 2FA policy, and how many contacts would be asked
	// to pair a factor were it required.
	MFARequired   bool
	WithoutFactor int
}

type contactRow struct {
	ID          int64
	Name        string
	Email       string
	Approver    bool
	Admin       bool
	StatusKey   string
	StatusClass string
	MFA         string // method, and whether it is paired
	MFAClass    string
	Locked      bool
	Self        bool
	Active      bool
	Invited     bool
	Disabled    bool
}

type requestRow struct {
	Name        string
	Email       string
	RequestedAt string
	StateKey    string
	StateClass  string
	DecidedBy   string
	DecidedAt   string
	Link        string // for a pending request: its page
}

// contacts shows the organization's contacts, an invitation form and its
// registration requests, pending first.
func (s *Server) contacts(w http.ResponseWriter, r *http.Request) error {
	return s.renderContacts(w, r, http.StatusOK, defaultInviteForm(), "")
}

func defaultInviteForm() Form {
	return Form{Values: map[string]string{"otp_method": string(portal.OTPEmail)}}
}

func (s *Server) renderContacts(w http.ResponseWriter, r *http.Request, status int, invite Form, errKey string) error {
	ctx := r.Context()
	rc := reqCtx(r)
	l, me, now := rc.L, rc.User, s.now()
	users, err := s.store.AccountUsers(ctx, me.AccountID)
	if err != nil {
		return err
	}
	regs, err := s.store.Registrations(ctx, me.AccountID, maxRequestsShown)
	if err != nil {
		return err
	}
	page := contactsPage{Base: s.base(r), Account: me.AccountName, Invite: invite, MFARequired: me.MFARequired}
	if errKey != "" {
		page.Error = l.T(errKey)
	}
	for _, u := range users {
		page.Contacts = append(page.Contacts, contactRowOf(l, u, me, now))
		if u.Status != portal.StatusDisabled && !u.MFAEnrolled() {
			page.WithoutFactor++
		}
	}
	for _, reg := range regs {
		key, class, pending := registrationStatus(reg, now)
		row := requestRow{
			Name: reg.Name, Email: reg.Email, RequestedAt: l.DateTime(reg.CreatedAt, me.TimeZone),
			StateKey: key, StateClass: class, DecidedBy: reg.DecidedByName,
		}
		if reg.DecidedAt != nil {
			row.DecidedAt = l.DateTime(*reg.DecidedAt, me.TimeZone)
		}
		if pending {
			row.Link = "/account/contacts/requests/" + strconv.FormatInt(reg.ID, 10)
		}
		page.Requests = append(page.Requests, row)
	}
	return s.render(w, r, status, "contacts", page)
}

func contactRowOf(l *i18n.Localizer, u, me *portal.User, now time.Time) contactRow {
	row := contactRow{
		ID: u.ID, Name: u.Name, Email: u.Email, Approver: u.IsApprover, Admin: u.IsAccountAdmin,
		Self: u.ID == me.ID,
	}
	row.Locked, _ = u.OTPLocked(now)
	switch u.Status {
	case portal.StatusActive:
		row.StatusKey, row.StatusClass, row.Active = "contacts.status_active", "badge--ok", true
	case portal.StatusInvited:
		row.StatusKey, row.StatusClass, row.Invited = "contacts.status_invited", "badge--warn", true
	default:
		row.StatusKey, row.StatusClass, row.Disabled = "contacts.status_disabled", "badge--muted", true
	}
	switch {
	case u.OTPMethod == portal.OTPNone:
		row.MFA, row.MFAClass = l.T("contacts.mfa_off"), "badge--muted"
	case u.MFAEnrolled():
		row.MFA, row.MFAClass = l.T("contacts.mfa_paired", "Method", otpMethodLabel(l, u.OTPMethod)), "badge--ok"
	default:
		row.MFA, row.MFAClass = l.T("contacts.mfa_not_paired", "Method", otpMethodLabel(l, u.OTPMethod)), "badge--warn"
	}
	return row
}
