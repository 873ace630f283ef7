package server_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/portal"
)

// The access-control matrix (issue 3): who may do what on a case of Acme's.
// Acme's contacts (the opener, a colleague on CC, the account administrator)
// may do every customer action; the agent may view, comment, edit and close,
// while the customer-only actions are refused (403); Globex's contact gets
// 404 for everything, never 403; a signed-out person is sent to sign in.
func TestCaseAccess_Matrix(t *testing.T) {
	t.Parallel()
	w := cpNew(t)

	type cell struct {
		setup  portal.SubStatus // the case's sub-status before the request
		closed time.Duration
		do     func(cl *apptest.Client, c *portal.Case, agent bool) *apptest.Response
		// check runs after an allowed request.
		check func(t *testing.T, c *portal.Case, who string)
	}
	post := func(action string, vals url.Values) func(*apptest.Client, *portal.Case, bool) *apptest.Response {
		return func(cl *apptest.Client, c *portal.Case, agent bool) *apptest.Response {
			v := url.Values{}
			for k, vs := range vals {
				v[k] = vs
			}
			if action == "close" && agent {
				v.Set("sub_status", "resolved")
			}
			return w.cpPost(t, cl, c, action, v)
		}
	}
	wantSub := func(subs ...portal.SubStatus) func(*testing.T, *portal.Case, string) {
		return func(t *testing.T, c *portal.Case, who string) {
			got := w.cpSub(t, c)
			for _, s := range subs {
				if got == s {
					return
				}
			}
			t.Errorf("%s: sub-status %s, want one of %v", who, got, subs)
		}
	}
	actions := map[string]cell{
		"view": {setup: portal.SubInProgress, do: func(cl *apptest.Client, c *portal.Case, _ bool) *apptest.Response {
			return cl.Get(cpPath(c, ""))
		}},
		"comment": {setup: portal.SubInProgress, do: post("comments", url.Values{"body": {"追加の情報です"}}),
			check: func(t *testing.T, c *portal.Case, who string) {
				events, err := w.in.Store.CaseEvents(context.Background(), c.ID, false)
				if err != nil || events[len(events)-1].Body != "追加の情報です" {
					t.Errorf("%s: the comment is not on the timeline", who)
				}
			}},
		"edit fields": {setup: portal.SubInProgress,
			do: post("fields", url.Values{"priority": {"2"}, "cc": {w.cc.Email}, "business_impact": {"業務停止"}}),
			check: func(t *testing.T, c *portal.Case, who string) {
				if got := w.cpReload(t, c); got.Priority != 2 || got.BusinessImpact != "業務停止" {
					t.Errorf("%s: fields not saved: %+v", who, got)
				}
			}},
		"close":  {setup: portal.SubInProgress, do: post("close", nil), check: wantSub(portal.SubClosedByCustomer, portal.SubResolved)},
		"reopen": {setup: portal.SubResolved, closed: 24 * time.Hour, do: post("reopen", url.Values{"comment": {"再発しました"}}), check: wantSub(portal.SubCustomerUpdated)},
		"accept": {setup: portal.SubSolutionProposed, do: post("accept-solution", nil), check: wantSub(portal.SubResolved)},
		"reject": {setup: portal.SubSolutionProposed, do: post("reject-solution", url.Values{"comment": {"直りません"}}),
			check: wantSub(portal.SubCustomerUpdated)},
	}
	customerOnly := map[string]bool{"reopen": true, "accept": true, "reject": true}
	people := []struct {
		name   string
		client *apptest.Client
		kind   string // customer, agent, stranger, anonymous
	}{
		{"opener", w.openerC, "customer"}, {"cc", w.ccC, "customer"}, {"account admin", w.adminC, "customer"},
		{"other organization", w.strangerC, "stranger"}, {"agent", w.agentC, "agent"}, {"anonymous", w.anonC, "anonymous"},
	}
	for action, a := range actions {
		for _, p := range people {
			c := w.cpCase(t, a.setup, a.closed)
			what := p.name + " → " + action
			r := a.do(p.client, c, p.kind == "agent")
			switch {
			case p.kind == "anonymous":
				if r.Status != 303 || !strings.HasPrefix(r.Location, "/login?next=") {
					t.Errorf("%s = %d → %q, want a redirect to sign in", what, r.Status, r.Location)
				}
			case p.kind == "stranger":
				rtExpect(t, what, r, 404, "")
			case p.kind == "agent" && customerOnly[action]:
				rtExpect(t, what, r, 403, "")
			case action == "view":
				rtExpect(t, what, r, 200, "")
			default:
				rtExpect(t, what, r, 303, cpPath(c, ""))
				if a.check != nil {
					a.check(t, c, what)
				}
			}
			if r.Status >= 400 || p.kind == "anonymous" {
				if after := w.cpReload(t, c); after.Version != c.Version {
					t.Errorf("%s was refused but changed the case (version %d → %d)", what, c.Version, after.Version)
				}
			}
		}
	}

	// Agents' actions by customers: 403 for someone who sees the case, 404
	// for another organization.
	c := w.cpCase(t, portal.SubInProgress, 0)
	for _, staffOnly := range []struct {
		action string
		vals   url.Values
	}{
		{"status", url.Values{"sub_status": {"awaiting_customer"}}},
		{"status", url.Values{"sub_status": {"escalated"}}},
		{"propose-solution", url.Values{"body": {"x"}}},
		{"assign", url.Values{"agent": {"me"}}},
		{"comments", url.Values{"body": {"x"}, "internal": {"1"}}},
	} {
		rtExpect(t, "opener → "+staffOnly.action, w.cpPost(t, w.openerC, c, staffOnly.action, staffOnly.vals), 403, "")
		rtExpect(t, "admin → "+staffOnly.action, w.cpPost(t, w.adminC, c, staffOnly.action, staffOnly.vals), 403, "")
		rtExpect(t, "other organization → "+staffOnly.action, w.cpPost(t, w.strangerC, c, staffOnly.action, staffOnly.vals), 404, "")
	}
	if after := w.cpReload(t, c); after.Version != c.Version || after.AssignedTo != 0 {
		t.Errorf("refused staff actions changed the case: %+v", after)
	}
	// The survey is the customers'.
	closed := w.cpCase(t, portal.SubResolved, time.Hour)
	survey := url.Values{"response_time": {"5"}, "technical_quality": {"4"}, "communication": {"4"}, "resolution": {"5"}, "overall": {"5"}}
	rtExpect(t, "agent → survey", w.cpPost(t, w.agentC, closed, "survey", survey), 403, "")
	rtExpect(t, "other organization → survey", w.cpPost(t, w.strangerC, closed, "survey", survey), 404, "")
	rtExpect(t, "cc → survey", w.cpPost(t, w.ccC, closed, "survey", survey), 303, cpPath(closed, "")+"#survey")
}

// The list and the download complete the matrix; their pages belong to the
// other areas, and are checked here for the same people.
func TestCaseAccess_ListAndDownload(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	r := w.cpMultipart(t, w.openerC, cpPath(c, "comments"), url.Values{"body": {"ログを添付します"}},
		cpFile{"vpn.log", []byte("2026-11-21 09:00:01 tunnel down\n")})
	rtExpect(t, "POST comment with a file", r, 303, cpPath(c, ""))
	files, err := w.in.Store.CaseAttachments(context.Background(), c.ID, false)
	if err != nil || len(files) != 1 {
		t.Fatalf("attachments %v, %v", files, err)
	}
	link := regexp.QuoteMeta(cpPath(c, "attachments/"))
	download := regexp.MustCompile(`href="(` + link + `\d+)"`).FindStringSubmatch(w.openerC.Get(cpPath(c, "")).Body)
	if download == nil {
		t.Fatal("the case page has no download link")
	}

	for _, p := range []struct {
		name         string
		cl           *apptest.Client
		list, dl     int
		listIncludes bool
	}{
		{"opener", w.openerC, 200, 200, true},
		{"cc", w.ccC, 200, 200, true},
		{"account admin", w.adminC, 200, 200, true},
		{"other organization", w.strangerC, 200, 404, false},
		{"agent", w.agentC, 403, 200, false},
		{"anonymous", w.anonC, 303, 303, false},
	} {
		lr := p.cl.Get("/cases?state=all")
		rtExpect(t, p.name+" → list", lr, p.list, "")
		if got := strings.Contains(lr.Body, c.Number); got != p.listIncludes {
			t.Errorf("%s → list includes %s: %v, want %v", p.name, c.Number, got, p.listIncludes)
		}
		dr := p.cl.Get(download[1])
		rtExpect(t, p.name+" → download", dr, p.dl, "")
		if p.dl == 200 && dr.Body != "2026-11-21 09:00:01 tunnel down\n" {
			t.Errorf("%s → download gave %q", p.name, dr.Body)
		}
		if p.name == "anonymous" && !strings.HasPrefix(dr.Location, "/login?next=") {
			t.Errorf("anonymous download → %q", dr.Location)
		}
	}
}
