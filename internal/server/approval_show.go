package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
)

// approvalLookup says how a request's page was reached: by the token of the
// mailed link, or by id from the contacts page.
type approvalLookup int

const (
	approvalByToken approvalLookup = iota
	approvalByID
	// approvalByStaff is a staff administrator's view from an
	// organization's page (/admin/accounts/{id}/requests/{reg}).
	approvalByStaff
)

// approvalTarget is a registration request an approver may see, and the
// path of its page.
type approvalTarget struct {
	reg  *portal.Registration
	path string
}

// approvalLoad finds the request of the URL for the signed-in approver. A
// signed-out person is sent to sign in (and back here afterwards); a request
// that does not exist, or that the person may not decide, is not found — to
// another organization's approver it does not exist. ok is false when the
// answer has been written or err is set.
func (s *Server) approvalLoad(w http.ResponseWriter, r *http.Request, by approvalLookup) (t approvalTarget, ok bool, err error) {
	rc := reqCtx(r)
	switch by {
	case approvalByToken:
		t.path = "/approvals/" + url.PathEscape(chi.URLParam(r, "token"))
	case approvalByID:
		t.path = "/account/contacts/requests/" + url.PathEscape(chi.URLParam(r, "id"))
	default:
		t.path = "/admin/accounts/" + url.PathEscape(chi.URLParam(r, "id")) + "/requests/" + url.PathEscape(chi.URLParam(r, "reg"))
	}
	switch {
	case rc.User != nil:
	case rc.sessionUser != nil:
		s.sessions.Put(r.Context(), sessNext, t.path)
		http.Redirect(w, r, rc.Step.Path(), http.StatusSeeOther)
		return t, false, nil
	default:
		http.Redirect(w, r, "/login?next="+url.QueryEscape(t.path), http.StatusSeeOther)
		return t, false, nil
	}
	u := rc.User
	switch by {
	case approvalByToken:
		t.reg, err = s.store.RegistrationByToken(r.Context(), auth.HashToken(chi.URLParam(r, "token")))
	case approvalByStaff:
		accountID, aerr := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		id, perr := strconv.ParseInt(chi.URLParam(r, "reg"), 10, 64)
		if aerr != nil || perr != nil || u.Role != portal.RoleAdmin {
			return t, false, notFound()
		}
		t.reg, err = s.store.RegistrationByID(r.Context(), accountID, id)
	default:
		id, perr := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if perr != nil || !u.CanManageAccount(u.AccountID) {
			return t, false, notFound()
		}
		t.reg, err = s.store.RegistrationByID(r.Context(), u.AccountID, id)
	}
	if err != nil {
		return t, false, err
	}
	if !u.CanDecideRegistrations(t.reg.AccountID) {
		return t, false, notFound()
	}
	return t, true, nil
}

type approvalPage struct {
	Base
	Action     string // the request's page; the buttons post below it
	StateKey   string
	StateClass string
	Pending    bool
	Created    string // "3 minutes ago"
	CreatedAt  string
	ExpiresAt  string
	Outcome    string   // who decided, and when
	Reason     []string // the rejection reason, line by line
	Details    []regDetail
	Form       Form
	Notice     string // translated: why a decision was refused
	ListLink   string // the organization's list of requests, if the viewer can see it
}

func (s *Server) renderApproval(w http.ResponseWriter, r *http.Request, status int, t approvalTarget, form Form, notice string) error {
	rc := reqCtx(r)
	l, u, reg, now := rc.L, rc.User, t.reg, s.now()
	tz := u.TimeZone
	key, class, pending := registrationStatus(reg, now)
	page := approvalPage{
		Base:       s.base(r),
		Action:     t.path,
		StateKey:   key,
		StateClass: class,
		Pending:    pending,
		Created:    l.Ago(reg.CreatedAt, now),
		CreatedAt:  l.DateTime(reg.CreatedAt, tz),
		ExpiresAt:  l.DateTime(reg.ExpiresAt, tz),
		Details:    registrationDetails(l, reg, tz),
		Form:       form,
		Notice:     notice,
	}
	switch {
	case u.CanManageAccount(reg.AccountID):
		page.ListLink = "/account/contacts#requests"
	case u.Role == portal.RoleAdmin:
		page.ListLink = accountPath(reg.AccountID) + "#requests"
	}
	if reg.DecidedAt != nil {
		outcome := "approval.outcome_approved"
		if reg.State == portal.RegistrationRejected {
			outcome = "approval.outcome_rejected"
			page.Reason = strings.Split(reg.Reason, "\n")
		}
		page.Outcome = l.T(outcome, "Name", reg.DecidedByName, "Time", l.DateTime(*reg.DecidedAt, tz))
	}
	return s.render(w, r, status, "approval", page)
}

// approvalShow shows a registration request with Approve and Reject for a
// pending one, and the outcome for a decided one. It never changes anything:
// mail scanners follow links.
func (s *Server) approvalShow(by approvalLookup) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, ok, err := s.approvalLoad(w, r, by)
		if !ok {
			return err
		}
		return s.renderApproval(w, r, http.StatusOK, t, Form{}, "")
	}
}
