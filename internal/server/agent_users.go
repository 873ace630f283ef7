package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

const (
	// agentUserMatches bounds the contact search's answer.
	agentUserMatches = 50
	// agentActivityShown is how many recent sign-in entries a contact's page lists.
	agentActivityShown = 15
	// maxReferenceLen and maxNoteLen bound what an agent records with a reset.
	maxReferenceLen = 200
	maxNoteLen      = 1000
	// supportResetsPerHour limits second-factor resets per agent: a stolen
	// agent session must not strip every customer's second factor at once.
	supportResetsPerHour = 20
)

type agentUsersPage struct {
	Base
	Query    string
	Rows     []agentUserRow
	Searched bool
	More     bool // the answer was cut at agentUserMatches
}

type agentUserRow struct {
	Link        string
	Name        string
	Email       string
	Org         string
	OrgID       string
	StatusKey   string
	StatusClass string
	MFA         string
	MFAClass    string
}

// agentUsers finds customer contacts by address, name or organization
// identifier, for an agent handling a customer's request.
func (s *Server) agentUsers(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	q := norm.Text(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > maxReferenceLen {
		q = string([]rune(q)[:maxReferenceLen])
	}
	page := agentUsersPage{Base: s.base(r), Query: q, Searched: q != ""}
	if q != "" {
		users, err := s.store.SearchContacts(r.Context(), store.ContactSearch{
			EmailPrefix: norm.Email(q), Name: q, Identifier: norm.Identifier(q),
		}, agentUserMatches+1)
		if err != nil {
			return err
		}
		if len(users) > agentUserMatches {
			users, page.More = users[:agentUserMatches], true
		}
		now := s.now()
		for _, u := range users {
			c := contactRowOf(rc.L, u, rc.User, now)
			page.Rows = append(page.Rows, agentUserRow{
				Link: "/agent/users/" + itoa(u.ID), Name: u.Name, Email: u.Email,
				Org: u.AccountName, StatusKey: c.StatusKey, StatusClass: c.StatusClass,
				MFA: c.MFA, MFAClass: c.MFAClass,
			})
		}
		if err := s.fillOrgIDs(r, page.Rows, users); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "agent_users", page)
}

// fillOrgIDs adds each row's organization identifier.
func (s *Server) fillOrgIDs(r *http.Request, rows []agentUserRow, users []*portal.User) error {
	ids := make([]int64, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.AccountID)
	}
	identifiers, err := s.store.AccountIdentifiers(r.Context(), ids)
	if err != nil {
		return err
	}
	for i, u := range users {
		rows[i].OrgID = identifiers[u.AccountID]
	}
	return nil
}

type agentUserPage struct {
	Base
	Contact    agentUserRow
	ID         int64
	EnrolledAt string
	Method     string
	Locked     bool
	Invited    bool
	Activity   []auditRow
	Form       Form
	Alert      string
}

// agentCustomer returns the customer contact named in the URL. Staff
// accounts are not found here: this page resets customers' factors at their
// request, and a colleague's factor is an administrator's business.
func (s *Server) agentCustomer(r *http.Request) (*portal.User, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, notFound()
	}
	u, err := s.store.UserByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if u.Role != portal.RoleCustomer {
		return nil, notFound()
	}
	return u, nil
}

// agentUser shows a contact: organization, status, second factor and recent
// sign-in activity, with the form to reset the second factor.
func (s *Server) agentUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.agentCustomer(r)
	if err != nil {
		return err
	}
	return s.renderAgentUser(w, r, http.StatusOK, u, Form{}, "")
}

func (s *Server) renderAgentUser(w http.ResponseWriter, r *http.Request, status int, u *portal.User, form Form, alert string) error {
	ctx := r.Context()
	rc := reqCtx(r)
	l, tz, now := rc.L, userTZ(rc.User), s.now()
	c := contactRowOf(l, u, rc.User, now)
	acc, err := s.store.AccountByID(ctx, u.AccountID)
	if err != nil {
		return err
	}
	page := agentUserPage{Base: s.base(r), ID: u.ID, Form: form, Alert: alert, Invited: c.Invited,
		Contact: agentUserRow{Name: u.Name, Email: u.Email, Org: acc.Name, OrgID: acc.Identifier,
			StatusKey: c.StatusKey, StatusClass: c.StatusClass, MFA: c.MFA, MFAClass: c.MFAClass},
		Method: otpMethodLabel(l, u.OTPMethod), Locked: c.Locked}
	if u.MFAEnrolledAt != nil {
		page.EnrolledAt = l.DateTime(*u.MFAEnrolledAt, tz)
	}
	entries, err := s.store.AuditEntries(ctx, store.AuditFilter{TargetUserID: u.ID, Actions: signInActions,
		Limit: agentActivityShown})
	if err != nil {
		return err
	}
	for _, e := range entries {
		page.Activity = append(page.Activity, auditRow{
			At: l.DateTime(e.At, tz), ISO: e.At.UTC().Format(time.RFC3339), Actor: e.ActorName,
			ActionLabel: auditActionLabel(l, e.Action), ActionName: e.Action, IP: e.IP,
			Details: auditDetails(l, e.Detail),
		})
	}
	return s.render(w, r, status, "agent_user", page)
}

// agentUserResetMFA removes a contact's second factor at their request (the
// lost-device flow): the agent records the case or the request's reference,
// the contact's sessions end, they are e-mailed and must pair again at their
// next sign-in, and the reset is audited with the reference.
func (s *Server) agentUserResetMFA(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	me := rc.User
	u, err := s.agentCustomer(r)
	if err != nil {
		return err
	}
	if err := s.limit(r, "mfa:support_reset:"+itoa(me.ID), time.Hour, supportResetsPerHour); err != nil {
		return err
	}
	rawRef, rawNote := r.PostFormValue("reference"), r.PostFormValue("note")
	form := Form{Values: map[string]string{"reference": rawRef, "note": rawNote}}
	ref, note := strings.TrimSpace(norm.Text(rawRef)), norm.Text(rawNote)
	switch {
	case ref == "":
		form.Errors.Add("reference", "agent_users.reference_required")
	case utf8.RuneCountInString(ref) > maxReferenceLen || strings.Contains(ref, "\n"):
		form.Errors.Add("reference", "agent_users.reference_invalid")
	default:
		if n := norm.Identifier(ref); portal.ValidCaseNumber(n) {
			// A case number must name a case of the contact's own
			// organization: the reset is justified by that case.
			c, err := s.store.CaseByNumber(ctx, n)
			switch {
			case portal.ErrorCode(err) == portal.ENOTFOUND || (err == nil && c.AccountID != u.AccountID):
				form.Errors.Add("reference", "agent_users.reference_case_unknown")
			case err != nil:
				return err
			default:
				ref = n
			}
		}
	}
	if utf8.RuneCountInString(note) > maxNoteLen {
		form.Errors.Add("note", "agent_users.note_too_long")
	}
	if len(form.Errors) > 0 {
		return s.renderAgentUser(w, r, http.StatusUnprocessableEntity, u, form, "")
	}
	if u.Status == portal.StatusInvited {
		return s.renderAgentUser(w, r, http.StatusUnprocessableEntity, u, form, rc.L.T("agent_users.invited"))
	}

	to := recipient{Email: u.Email, Name: u.Name, Lang: invitationLang(u.Language)}
	mail, err := s.mail(to, "mfa_reset_support", map[string]any{
		"Agent":     me.Name,
		"Reference": ref,
		"When":      s.bundle.Localizer(to.Lang).DateTime(s.now(), userTZ(u)),
		"Link":      s.cfg.BaseURL + "/login",
	})
	if err != nil {
		return err
	}
	err = s.store.ResetMFA(ctx, u.ID, mail, store.Audit{ActorID: me.ID, AccountID: u.AccountID, Action: "mfa.reset",
		IP: rc.IP, Detail: map[string]any{"reference": ref, "note": note, "by": "support"}})
	if err != nil {
		return err
	}
	s.sessions.Put(ctx, "flash", "agent_users.reset_done")
	return seeOther(w, r, "/agent/users/"+itoa(u.ID))
}
