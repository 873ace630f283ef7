package server

import (
	"net/http"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// auditPageSize is how many entries one page of the log shows.
const auditPageSize = 50

// auditFields are the filters of the audit pages, kept in the URL.
var auditFields = []string{"org", "actor", "action", "target", "from", "to"}

type auditPage struct {
	Base
	Action    string // the page's own path, where the filter form goes
	ShowOrg   bool   // staff see every organization and may filter by one
	Account   string // an account administrator's organization
	Form      Form
	Groups    []auditOptionGroup
	Rows      []auditRow
	Filtered  bool
	NextLink  string
	FirstLink string // shown on a later page
	TZ        string
}

type auditOptionGroup struct {
	Label   string
	Options []auditOption
}

type auditOption struct {
	Value    string
	Label    string
	Selected bool
}

type auditRow struct {
	ID          int64
	At          string
	ISO         string
	Actor       string
	ActorEmail  string
	ActionLabel string
	ActionName  string
	Org         string
	OrgID       string
	Target      string
	TargetEmail string
	IP          string
	Details     []auditDetail
}

// adminAudit is the whole audit log, for staff administrators.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) error {
	return s.auditLog(w, r, "/admin/audit", 0)
}

// accountAudit is the part of the log about the administrator's own
// organization.
func (s *Server) accountAudit(w http.ResponseWriter, r *http.Request) error {
	u := reqCtx(r).User
	return s.auditLog(w, r, "/account/audit", u.AccountID)
}

// auditLog shows the entries the URL's filters choose, newest first, a page
// at a time. accountID limits the log to one organization (0: all of it).
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, path string, accountID int64) error {
	ctx := r.Context()
	rc := reqCtx(r)
	l, me := rc.L, rc.User
	q := r.URL.Query()
	page := auditPage{Base: s.base(r), Action: path, ShowOrg: accountID == 0, TZ: userTZ(me),
		Form: Form{Values: map[string]string{}}}
	if accountID != 0 {
		page.Account = me.AccountName
	}
	for _, f := range auditFields {
		if f == "org" && accountID != 0 {
			continue
		}
		page.Form.Values[f] = q.Get(f)
		if page.Form.Values[f] != "" {
			page.Filtered = true
		}
	}
	form := &page.Form
	filter := store.AuditFilter{AccountID: accountID, Limit: auditPageSize + 1}

	if v := form.Get("org"); v != "" {
		acc, err := s.store.AccountByIdentifier(ctx, norm.Identifier(v))
		switch {
		case portal.ErrorCode(err) == portal.ENOTFOUND:
			form.Errors.Add("org", "audit.org_unknown")
		case err != nil:
			return err
		default:
			filter.AccountID = acc.ID
		}
	}
	for _, f := range []struct {
		name string
		id   *int64
	}{{"actor", &filter.ActorID}, {"target", &filter.TargetUserID}} {
		v := norm.Email(form.Get(f.name))
		if v == "" {
			continue
		}
		u, err := s.store.UserByEmail(ctx, v)
		if err == nil && accountID != 0 && u.AccountID != 0 && u.AccountID != accountID {
			// Another organization's contact is nobody to an account
			// administrator: the filter must not confirm who is registered.
			err = notFound()
		}
		switch {
		case portal.ErrorCode(err) == portal.ENOTFOUND:
			form.Errors.Add(f.name, "audit.user_unknown")
		case err != nil:
			return err
		default:
			*f.id = u.ID
		}
	}
	if v := form.Get("action"); v != "" {
		if utf8.RuneCountInString(v) > 100 {
			form.Errors.Add("action", "audit.action_invalid")
		} else {
			filter.Actions = []string{v}
		}
	}
	loc, err := time.LoadLocation(page.TZ)
	if err != nil {
		loc = time.UTC
	}
	day := func(name string) time.Time {
		v := form.Get(name)
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			form.Errors.Add(name, "audit.date_invalid")
			return time.Time{}
		}
		return t
	}
	filter.From = day("from")
	if to := day("to"); !to.IsZero() {
		// "to" names the last day shown, whole.
		filter.To = to.AddDate(0, 0, 1)
		if !filter.From.IsZero() && !filter.From.Before(filter.To) {
			form.Errors.Add("to", "audit.date_order")
		}
	}
	if v := q.Get("after"); v != "" {
		c, ok := store.ParseAuditCursor(v)
		if !ok {
			return portal.Errorf(portal.EINVALID, "error.bad_request")
		}
		filter.After = c
		page.FirstLink = auditLink(path, form.Values, "")
	}

	page.Groups = auditOptions(r, form.Get("action"))
	if len(form.Errors) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "audit", page)
	}
	entries, err := s.store.AuditEntries(ctx, filter)
	if err != nil {
		return err
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		last := entries[len(entries)-1]
		page.NextLink = auditLink(path, form.Values, store.AuditCursor{At: last.At, ID: last.ID}.String())
	}
	page.Rows = make([]auditRow, 0, len(entries))
	for _, e := range entries {
		page.Rows = append(page.Rows, auditRow{
			ID: e.ID, At: l.DateTime(e.At, page.TZ), ISO: e.At.UTC().Format(time.RFC3339),
			Actor: e.ActorName, ActorEmail: e.ActorEmail,
			ActionLabel: auditActionLabel(l, e.Action), ActionName: e.Action,
			Org: e.AccountName, OrgID: e.AccountIdentifier,
			Target: e.TargetName, TargetEmail: e.TargetEmail,
			IP: e.IP, Details: auditDetails(l, e.Detail),
		})
	}
	return s.render(w, r, http.StatusOK, "audit", page)
}

// auditOptions builds the action filter's choices, translated.
func auditOptions(r *http.Request, selected string) []auditOptionGroup {
	l := reqCtx(r).L
	groups := make([]auditOptionGroup, 0, len(auditGroups))
	for _, g := range auditGroups {
		og := auditOptionGroup{Label: l.T(g.Key)}
		for _, a := range g.Actions {
			og.Options = append(og.Options, auditOption{Value: a, Label: auditActionLabel(l, a), Selected: a == selected})
		}
		groups = append(groups, og)
	}
	if selected != "" && !slices.ContainsFunc(auditGroups, func(g auditGroup) bool { return slices.Contains(g.Actions, selected) }) {
		// An action the list does not know (a link from elsewhere, a newer
		// area's action) stays chosen, so the form shows the filter in force.
		groups = append(groups, auditOptionGroup{Label: l.T("audit.group.unlisted"),
			Options: []auditOption{{Value: selected, Label: auditActionLabel(l, selected), Selected: true}}})
	}
	return groups
}

// auditLink is the URL of a page of the log with the same filters.
func auditLink(path string, values map[string]string, after string) string {
	v := url.Values{}
	for _, f := range auditFields {
		if values[f] != "" {
			v.Set(f, values[f])
		}
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
