package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// queueFixture: two organizations, two products, a customer, two agents.
type queueFixture struct {
	in             *apptest.Instance
	acme, globex   *portal.Account
	p1, p2         *portal.Product
	customer       *apptest.TestUser
	agentA, agentB *apptest.TestUser
	clientA        *apptest.Client
}

func newQueueFixture(t *testing.T) *queueFixture {
	t.Helper()
	ctx := context.Background()
	f := &queueFixture{in: apptest.Start(t)}
	f.acme = f.in.Account(t, "Acme")
	f.globex = f.in.Account(t, "Globex")
	var err error
	if f.p1, err = f.in.Store.CreateProduct(ctx, "Deep Security", []string{"20"}, nil); err != nil {
		t.Fatal(err)
	}
	if f.p2, err = f.in.Store.CreateProduct(ctx, "Apex One", []string{"2019"}, nil); err != nil {
		t.Fatal(err)
	}
	f.customer = f.in.User(t, apptest.UserSpec{AccountID: f.acme.ID, Ready: true, Language: "en"})
	f.agentA = f.in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Agent Alpha", Language: "en"})
	f.agentB = f.in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Agent Beta", Language: "en"})
	f.clientA = f.in.Client(t)
	f.in.SignIn(t, f.clientA, f.agentA)
	return f
}

// file opens a case directly in the store.
func (f *queueFixture) file(t *testing.T, acc *portal.Account, p *portal.Product, prio int, subject string) *portal.Case {
	t.Helper()
	opener := f.customer.User
	if acc.ID != f.acme.ID {
		opener = f.in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true}).User
	}
	c, _, err := f.in.Store.CreateCase(context.Background(), store.NewCase{AccountID: acc.ID, OpenedBy: opener.ID,
		HelpType: portal.HelpProduct, ProductID: p.ID, ProductVersion: p.Versions[0], Priority: prio,
		Subject: subject, Description: "d"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var queueRowRE = regexp.MustCompile(`name="case" value="(CS\d{7})"`)

// queueNumbers lists the case numbers of a queue page, in order.
func queueNumbers(body string) []string {
	var out []string
	for _, m := range queueRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestQueue_Access(t *testing.T) {
	t.Parallel()
	f := newQueueFixture(t)
	c := f.file(t, f.acme, f.p1, 2, "Customer must not see the queue")
	cust := f.in.Client(t)
	f.in.SignIn(t, cust, f.customer)
	if r := cust.Get("/agent/queue"); r.Status != http.StatusForbidden {
		t.Errorf("customer GET /agent/queue: %d", r.Status)
	}
	if r := cust.PostForm("/agent/queue/assign", url.Values{"one": {c.Number}}); r.Status != http.StatusForbidden {
		t.Errorf("customer POST /agent/queue/assign: %d", r.Status)
	}
	if got, _ := f.in.Store.CaseByNumber(context.Background(), c.Number); got.AssignedTo != 0 {
		t.Error("a customer assigned a case")
	}
	anon := f.in.Client(t)
	if r := anon.Get("/agent/queue?priority=1"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login?next=") {
		t.Errorf("signed out: %d %s", r.Status, r.Location)
	}
	if r := anon.PostForm("/agent/queue/assign", url.Values{"one": {c.Number}}); r.Status != http.StatusSeeOther ||
		!strings.HasPrefix(r.Location, "/login") {
		t.Errorf("signed out POST: %d %s", r.Status, r.Location)
	}
}

func TestQueue_FiltersAndSorts(t *testing.T) {
	t.Parallel()
	f := newQueueFixture(t)
	ctx := context.Background()
	critical := f.file(t, f.acme, f.p1, 1, "Servers down")
	low := f.file(t, f.globex, f.p2, 4, "Question about licences")
	high := f.file(t, f.globex, f.p1, 2, "Slow scans")
	closed := f.file(t, f.acme, f.p1, 1, "Already solved")
	if _, err := f.in.Store.Pool().Exec(ctx, `UPDATE cases SET status = 'closed', sub_status = 'resolved' WHERE id = $1`, closed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.in.Store.AssignCase(ctx, store.AssignRequest{Number: high.Number, Actor: f.agentA.User, AgentID: f.agentA.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.in.Store.Pool().Exec(ctx, `UPDATE cases SET sub_status = 'in_progress' WHERE id = $1`, high.ID); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{critical.Number, high.Number, low.Number}}, // by priority, open only, unassigned included
		{"?priority=2", []string{high.Number}},
		{"?product=" + strconv.FormatInt(f.p2.ID, 10), []string{low.Number}},
		{"?account=" + f.globex.Identifier, []string{high.Number, low.Number}},
		{"?account=" + strings.ToLower(f.globex.Identifier), []string{high.Number, low.Number}},
		{"?assignee=me", []string{high.Number}},
		{"?assignee=unassigned", []string{critical.Number, low.Number}},
		{"?sub_status=new", []string{critical.Number, low.Number}},
		{"?sort=priority&dir=desc", []string{low.Number, high.Number, critical.Number}},
		{"?sort=age", []string{critical.Number, low.Number, high.Number}},
		{"?sort=age&dir=desc", []string{high.Number, low.Number, critical.Number}},
		{"?priority=1&account=" + f.globex.Identifier, nil},
		// Unknown values fall back to the defaults.
		{"?priority=9&sort=bogus&assignee=everyone", []string{critical.Number, high.Number, low.Number}},
	} {
		r := f.clientA.Get("/agent/queue" + tc.query)
		if r.Status != http.StatusOK {
			t.Errorf("%s: status %d", tc.query, r.Status)
			continue
		}
		if got := queueNumbers(r.Body); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}

	// The filter form keeps what was asked for.
	r := f.clientA.Get("/agent/queue?priority=2&assignee=me&account=" + f.globex.Identifier)
	for _, want := range []string{`<option value="2" selected>`, `<option value="me" selected>`, `value="` + f.globex.Identifier + `"`,
		`data-live-src="/agent/queue/events"`, `id="queue-results" data-live-region`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("filtered page lacks %s", want)
		}
	}
	// Counts per sub-status follow the other filters.
	if !regexp.MustCompile(`(?s)New <span class="queue-count">1</span>`).MatchString(f.clientA.Get("/agent/queue?account=" + f.globex.Identifier).Body) {
		t.Error("count of new cases at Globex is not 1")
	}
	// An unknown organization is said beside the field, with the text kept.
	r = f.clientA.Get("/agent/queue?account=C00000000")
	if !strings.Contains(r.Body, "There is no organization with this customer ID.") || !strings.Contains(r.Body, `value="C00000000"`) {
		t.Error("unknown organization not explained")
	}
	if len(queueNumbers(r.Body)) != 0 {
		t.Error("unknown organization lists cases")
	}
	// The overdue mark and the response due column.
	if _, err := f.in.Store.Pool().Exec(ctx, `UPDATE cases SET response_due = now() - interval '1 hour' WHERE id = $1`, low.ID); err != nil {
		t.Fatal(err)
	}
	r = f.clientA.Get("/agent/queue?sort=due")
	if got := queueNumbers(r.Body); len(got) != 3 || got[0] != low.Number {
		t.Errorf("by due: %v, want %s first", got, low.Number)
	}
	if !strings.Contains(r.Body, `badge badge--warn">Overdue`) {
		t.Error("overdue case not marked")
	}
}

func TestQueue_Paging(t *testing.T) {
	t.Parallel()
	f := newQueueFixture(t)
	var want []string
	for i := range 57 {
		want = append(want, f.file(t, f.acme, f.p1, 3, fmt.Sprintf("Case %d", i)).Number)
	}
	r := f.clientA.Get("/agent/queue?sort=age&product=" + strconv.FormatInt(f.p1.ID, 10))
	first := queueNumbers(r.Body)
	next := regexp.MustCompile(`href="([^"]+)" class="button button--secondary" rel="next"`).FindStringSubmatch(r.Body)
	if len(first) != 50 || next == nil {
		t.Fatalf("first page: %d rows, next %v", len(first), next)
	}
	link := strings.ReplaceAll(next[1], "&amp;", "&")
	if !strings.Contains(link, "sort=age") || !strings.Contains(link, "product=") || strings.Contains(link, "offset") {
		t.Errorf("next link %s does not keep the filter", link)
	}
	r = f.clientA.Get(link)
	second := queueNumbers(r.Body)
	if got := append(first, second...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages %v\nwant %v", got, want)
	}
	if strings.Contains(r.Body, `rel="next"`) || !strings.Contains(r.Body, `href="/agent/queue?product=`) {
		t.Error("last page: a next link, or no first-page link")
	}
	// A mangled cursor starts over instead of failing.
	if r := f.clientA.Get("/agent/queue?after=xyz"); r.Status != http.StatusSeeOther || r.Location != "/agent/queue" {
		t.Errorf("bad cursor: %d %s", r.Status, r.Location)
	}
}

func TestQueue_Assign(t *testing.T) {
	t.Parallel()
	f := newQueueFixture(t)
	ctx := context.Background()
	a := f.file(t, f.acme, f.p1, 1, "Take me")
	b := f.file(t, f.globex, f.p1, 2, "Bulk one")
	c := f.file(t, f.globex, f.p2, 3, "Bulk two")
	ret := "priority=1&sort=age"

	// Assign to me from the row.
	r := f.clientA.PostForm("/agent/queue/assign", url.Values{"one": {a.Number}, "return": {ret}})
	if r.Status != http.StatusSeeOther || r.Location != "/agent/queue?priority=1&sort=age" {
		t.Fatalf("assign to me: %d %s", r.Status, r.Location)
	}
	if got, _ := f.in.Store.CaseByNumber(ctx, a.Number); got.AssignedTo != f.agentA.ID {
		t.Errorf("%s assigned to %d", a.Number, got.AssignedTo)
	}
	if body := f.clientA.Get(r.Location).Body; !strings.Contains(body, "The cases are assigned.") {
		t.Error("no flash after assigning")
	}

	// Bulk: two cases to another agent, one closed in the meantime.
	if _, err := f.in.Store.Pool().Exec(ctx, `UPDATE cases SET status = 'closed', sub_status = 'resolved' WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	r = f.clientA.PostForm("/agent/queue/assign", url.Values{"case": {b.Number, c.Number},
		"agent": {strconv.FormatInt(f.agentB.ID, 10)}, "return": {""}})
	if r.Status != http.StatusSeeOther || r.Location != "/agent/queue" {
		t.Fatalf("bulk: %d %s", r.Status, r.Location)
	}
	if got, _ := f.in.Store.CaseByNumber(ctx, b.Number); got.AssignedTo != f.agentB.ID {
		t.Errorf("%s assigned to %d", b.Number, got.AssignedTo)
	}
	if got, _ := f.in.Store.CaseByNumber(ctx, c.Number); got.AssignedTo != 0 {
		t.Error("a closed case was assigned")
	}
	if body := f.clientA.Get("/agent/queue").Body; !strings.Contains(body, "Some cases are assigned") {
		t.Error("partial assignment not said")
	}
	var audits, events int
	f.in.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.assign' AND actor_id = $1`, f.agentA.ID).Scan(&audits)
	f.in.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM case_events WHERE kind = 'assigned'`).Scan(&events)
	if audits != 2 || events != 2 {
		t.Errorf("audit entries %d, timeline entries %d; want 2 each", audits, events)
	}

	// Nothing selected, or an agent that is not one: 422, the choice kept.
	r = f.clientA.PostForm("/agent/queue/assign", url.Values{"agent": {"me"}, "return": {ret}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Select at least one case.") {
		t.Errorf("nothing selected: %d", r.Status)
	}
	r = f.clientA.PostForm("/agent/queue/assign", url.Values{"case": {a.Number}, "agent": {strconv.FormatInt(f.customer.ID, 10)},
		"return": {"sort=age"}})
	if r.Status != http.StatusUnprocessableEntity || !regexp.MustCompile(`name="case" value="`+a.Number+`"[^>]* checked`).MatchString(r.Body) {
		t.Errorf("customer as assignee: %d, or the ticked case not kept", r.Status)
	}
	if got, _ := f.in.Store.CaseByNumber(ctx, a.Number); got.AssignedTo != f.agentA.ID {
		t.Error("a refused assignment changed the case")
	}
}
