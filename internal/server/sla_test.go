package server_test

import (
	"context"
	"html"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/jobs"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
)

// A case walked through its response clock over HTTP with the portal's
// clock injected: filed (target starts), set to wait on the customer
// (paused), answered by the customer (resumed with the time left), answered
// by the agent (met) and written to again (a new target). Staff see the
// target on the case page; the customer never does. Clock-time targets keep
// the arithmetic independent of when the test runs.
func TestSLA_CaseWalk(t *testing.T) {
	t.Parallel()
	base := time.Now().Truncate(time.Second)
	var offset atomic.Int64
	now := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	at := func(d time.Duration) { offset.Store(int64(d)) }
	w := cpNewWith(t, apptest.Options{Now: now, Env: map[string]string{
		"RESPONSE_TARGETS":     "1=1h,2=4h,3=8h,4=16h",
		"RESPONSE_WARN_BEFORE": "9h",
		"TEAM_EMAIL":           "team@vendor.example",
	}})
	ctx := context.Background()
	pool := w.in.Store.Pool()

	r := w.openerC.PostForm("/cases/new", url.Values{"type": {"portal"}, "priority": {"3"},
		"subject": {"一覧が表示されない"}, "description": {"ケース一覧が空です。"}})
	rtExpect(t, "POST /cases/new", r, 303, "")
	c := w.cpReload(t, &portal.Case{Number: strings.TrimPrefix(r.Location, "/cases/")})

	clock := func(step string, wantDue time.Time, wantRemaining time.Duration) {
		t.Helper()
		var due *time.Time
		var remaining *int32
		if err := pool.QueryRow(ctx, `SELECT response_due, sla_remaining FROM cases WHERE id = $1`, c.ID).
			Scan(&due, &remaining); err != nil {
			t.Fatal(err)
		}
		gotRemaining := time.Duration(-1)
		if remaining != nil {
			gotRemaining = time.Duration(*remaining) * time.Second
		}
		switch {
		case wantDue.IsZero() != (due == nil), due != nil && !due.Equal(wantDue):
			t.Fatalf("%s: response_due = %v, want %v", step, due, wantDue)
		case wantRemaining >= 0 && gotRemaining != wantRemaining, wantRemaining < 0 && remaining != nil:
			t.Fatalf("%s: sla_remaining = %s, want %s", step, gotRemaining, wantRemaining)
		}
	}
	lang := func(u *apptest.TestUser) string {
		if u.Language == "" {
			return "ja"
		}
		return u.Language
	}
	tz := func(u *apptest.TestUser) string {
		if u.TimeZone == "" {
			return "Asia/Tokyo"
		}
		return u.TimeZone
	}
	agentPage := func(step string) string {
		t.Helper()
		p := w.agentC.Get(cpPath(c, ""))
		rtExpect(t, step+": agent's page", p, 200, "")
		return p.Body
	}
	customerSeesNoTarget := func(step string) {
		t.Helper()
		p := w.openerC.Get(cpPath(c, ""))
		rtExpect(t, step+": customer's page", p, 200, "")
		for _, l := range []string{"en", "ja"} {
			for _, key := range []string{"sla.response_due", "sla.paused", "sla.overdue"} {
				if strings.Contains(p.Body, rtText(l, key)) {
					t.Errorf("%s: the customer's page shows %q", step, rtText(l, key))
				}
			}
		}
		if strings.Contains(p.Body, "case-response-due") {
			t.Errorf("%s: the customer's page has the response target", step)
		}
	}
	dueText := func(due time.Time) string {
		l := rtBundle().Localizer(lang(w.agent))
		return html.EscapeString(l.DateTime(due, tz(w.agent)))
	}

	// Filed at base: 8 clock hours.
	clock("filed", base.Add(8*time.Hour), -1)
	rtContains(t, "filed: agent's page", agentPage("filed"), rtText(lang(w.agent), "sla.response_due"),
		`id="case-response-due"`, dueText(base.Add(8*time.Hour)),
		rtText(lang(w.agent), "sla.in_hours", "Count", 8))
	customerSeesNoTarget("filed")

	// +10 min: the agent asks the customer for information, without a reply.
	at(10 * time.Minute)
	rtExpect(t, "set awaiting_customer", w.cpPost(t, w.agentC, c, "status",
		url.Values{"sub_status": {"awaiting_customer"}}), 303, "")
	clock("paused", time.Time{}, 7*time.Hour+50*time.Minute)
	at(20 * time.Minute)
	body := agentPage("paused")
	rtContains(t, "paused: agent's page", body, rtText(lang(w.agent), "sla.paused"))
	if strings.Contains(body, rtText(lang(w.agent), "sla.overdue")) {
		t.Error("paused: the page says overdue")
	}
	customerSeesNoTarget("paused")

	// +25 min: the customer answers; 7 h 50 min are left.
	at(25 * time.Minute)
	rtExpect(t, "customer replies", w.cpMultipart(t, w.openerC, cpPath(c, "comments"),
		url.Values{"body": {"手順を添付します。"}, "version": {strconv.Itoa(w.cpReload(t, c).Version)}}), 303, "")
	resumed := base.Add(25*time.Minute + 7*time.Hour + 50*time.Minute)
	clock("resumed", resumed, -1)
	at(30 * time.Minute)
	rtContains(t, "resumed: agent's page", agentPage("resumed"), dueText(resumed),
		rtText(lang(w.agent), "sla.in_hours", "Count", 7))

	// The warning job: the case is unassigned, so the team is told.
	// Unassigned: in the portal's first language and the business zone.
	// (The periodic run may have warned of an earlier target too: the
	// mail about this one is the one with its due time.)
	ja := rtBundle().Localizer("ja")
	dueJST := ja.DateTime(resumed, "Asia/Tokyo")
	warnNow(t, pool)
	warn := w.in.Mail.WaitFor(t, "team@vendor.example", func(m mailtest.Mail) bool {
		return strings.Contains(m.Subject, c.Number) && strings.Contains(m.Text, dueJST)
	}, 15*time.Second)
	for _, want := range []string{w.in.URL + "/cases/" + c.Number, ja.T("sla_mail.unassigned"), ja.T("priority.3")} {
		if !strings.Contains(warn.Text, want) {
			t.Errorf("the warning lacks %q:\n%s", want, warn.Text)
		}
	}
	if warn.Subject != ja.T("sla_mail.subject", "Number", c.Number, "Priority", ja.T("priority.3")) {
		t.Errorf("warning subject %q", warn.Subject)
	}

	// An overdue target is marked.
	if _, err := pool.Exec(ctx, `UPDATE cases SET response_due = $2 WHERE id = $1`, c.ID, now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rtContains(t, "overdue: agent's page", agentPage("overdue"), rtText(lang(w.agent), "sla.overdue"))
	customerSeesNoTarget("overdue")

	// +35 min: the agent replies: met, nothing shown.
	at(35 * time.Minute)
	rtExpect(t, "agent replies", w.cpMultipart(t, w.agentC, cpPath(c, "comments"),
		url.Values{"body": {"確認しました。"}, "version": {strconv.Itoa(w.cpReload(t, c).Version)}}), 303, "")
	clock("met", time.Time{}, -1)
	if body := agentPage("met"); strings.Contains(body, "case-response-due") {
		t.Error("met: the page still shows a target")
	}

	// +45 min: the customer writes again: a new target of 8 hours.
	at(45 * time.Minute)
	rtExpect(t, "customer writes again", w.cpMultipart(t, w.openerC, cpPath(c, "comments"),
		url.Values{"body": {"追加の情報です。"}, "version": {strconv.Itoa(w.cpReload(t, c).Version)}}), 303, "")
	clock("new target", base.Add(45*time.Minute+8*time.Hour), -1)
	rtContains(t, "new target: agent's page", agentPage("new target"), dueText(base.Add(45*time.Minute+8*time.Hour)))
	customerSeesNoTarget("new target")
}

// warnNow queues one run of the warning job, as the periodic schedule does
// every minute, so the test need not wait for the next tick.
func warnNow(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Insert(context.Background(), jobs.ResponseWarnArgs{}, nil); err != nil {
		t.Fatal(err)
	}
}
