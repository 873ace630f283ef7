package store_test

import (
	"context"
	"testing"
	"time"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// slaClock reads the response clock of a case straight from its row.
func slaClock(t *testing.T, w *evWorld, c *portal.Case) (due *time.Time, remaining *int32, warned *time.Time) {
	t.Helper()
	if err := w.pool.QueryRow(context.Background(), `SELECT response_due, sla_remaining, response_warned_at
		FROM cases WHERE id = $1`, c.ID).Scan(&due, &remaining, &warned); err != nil {
		t.Fatal(err)
	}
	return due, remaining, warned
}

// The response clock follows the case through the store's own
// transactions: filed, paused over a weekend, resumed, re-based on a
// priority change, met, started anew and stopped on closing.
func TestStore_SLAClock(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	jst, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	w.s.SetSLAPolicy(portal.DefaultSLAPolicy())
	var now time.Time
	w.s.SetNow(func() time.Time { return now })
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, jst) }

	check := func(step string, c *portal.Case, wantDue time.Time, wantRemaining time.Duration) {
		t.Helper()
		due, remaining, _ := slaClock(t, w, c)
		switch {
		case wantDue.IsZero() && due != nil:
			t.Fatalf("%s: response_due = %s, want NULL", step, due.In(jst))
		case !wantDue.IsZero() && (due == nil || !due.Equal(wantDue)):
			t.Fatalf("%s: response_due = %v, want %s", step, due, wantDue)
		case wantRemaining == 0 && remaining != nil:
			t.Fatalf("%s: sla_remaining = %d, want NULL", step, *remaining)
		case wantRemaining != 0 && (remaining == nil || time.Duration(*remaining)*time.Second != wantRemaining):
			t.Fatalf("%s: sla_remaining = %v, want %s", step, remaining, wantRemaining)
		}
		got, err := w.s.CaseSLA(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if (got.State == portal.SLARunning) != !wantDue.IsZero() || (got.State == portal.SLAPaused) != (wantRemaining != 0) {
			t.Fatalf("%s: CaseSLA = %+v", step, got)
		}
	}
	act := func(c *portal.Case, who *portal.User, a portal.Action, target portal.SubStatus, body string) *portal.Case {
		t.Helper()
		out, err := w.s.Act(ctx, evAct(c, who, a, target, body))
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		return out
	}

	// Friday 16:00, 3-Moderate: one business day (9 h) = 2 h on Friday and
	// 7 on Monday.
	now = at(20, 16)
	c := w.evCase(t)
	check("filed", c, at(23, 16), 0)

	now = at(20, 17)
	c = act(c, w.agent, portal.ActSetStatus, portal.SubAwaitingCustomer, "")
	check("awaiting customer", c, time.Time{}, 8*time.Hour)

	// A note changes nothing.
	now = at(21, 10)
	c = act(c, w.agent, portal.ActInternalNote, "", "メモ")
	check("internal note", c, time.Time{}, 8*time.Hour)

	// Sunday noon: the 8 business hours left run from Monday 09:00.
	now = at(22, 12)
	c = act(c, w.opener, portal.ActComment, "", "ログを添付します。")
	check("customer replied", c, at(23, 17), 0)

	// Monday 09:00, raised to 2-High (4 clock hours): 1 hour was used.
	now = at(23, 9)
	c, _, err = w.s.UpdateCaseFields(ctx, store.FieldsUpdate{Number: c.Number, Version: c.Version, Actor: w.opener,
		Priority: 2, CC: c.CC, BusinessImpact: c.BusinessImpact})
	if err != nil {
		t.Fatal(err)
	}
	check("priority raised", c, at(23, 12), 0)

	now = at(23, 10)
	c = act(c, w.agent, portal.ActComment, "", "確認します。")
	check("agent replied", c, time.Time{}, 0)

	now = at(23, 11)
	c = act(c, w.cc, portal.ActComment, "", "追加情報です。")
	check("customer wrote again", c, at(23, 15), 0)

	now = at(23, 12)
	c = act(c, w.agent, portal.ActClose, portal.SubResolved, "")
	check("closed", c, time.Time{}, 0)

	now = at(24, 10)
	act(c, w.opener, portal.ActReopen, "", "再発しました。")
	check("reopened", c, at(24, 14), 0)
}

// The warning job's selection: due within the window or overdue, once per
// target; a new target may be warned about again.
func TestStore_WarnResponsesDue(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	w.s.SetNow(func() time.Time { return now })
	critical := func() *portal.Case {
		c, _, err := w.s.CreateCase(ctx, store.NewCase{AccountID: w.acc.ID, OpenedBy: w.opener.ID,
			HelpType: portal.HelpProduct, Priority: 1, Subject: "停止", Description: "全停止"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	soon := critical() // due 11:00
	if _, err := w.s.AssignCase(ctx, store.AssignRequest{Number: soon.Number, Actor: w.agent, AgentID: w.agent2.ID}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute)
	later := critical() // due 11:20

	var got []string
	var agents []string
	mail := func(c *portal.Case, due time.Time, agent *store.Recipient) ([]store.Mail, error) {
		got = append(got, c.Number)
		to := "team@vendor.example"
		if agent != nil {
			to = agent.Email
		}
		agents = append(agents, to)
		return []store.Mail{{To: to, Subject: "due " + c.Number + " " + due.UTC().Format(time.RFC3339)}}, nil
	}
	now = time.Date(2026, 11, 23, 10, 35, 0, 0, time.UTC)
	n, err := w.s.WarnResponsesDue(ctx, now, 30*time.Minute, mail)
	if err != nil || n != 1 || len(got) != 1 || got[0] != soon.Number || agents[0] != w.agent2.Email {
		t.Fatalf("first run: %d %v %v %v", n, err, got, agents)
	}
	if m := rgMails(t, w.s, w.agent2.Email); len(m) != 1 || m[0].Subject != "due "+soon.Number+" 2026-11-23T11:00:00Z" {
		t.Fatalf("outbox = %+v", m)
	}
	n, err = w.s.WarnResponsesDue(ctx, now, 30*time.Minute, mail)
	if err != nil || n != 0 {
		t.Fatalf("second run warned again: %d %v", n, err)
	}

	// Overdue and unassigned: warned, with no agent.
	now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	got, agents = nil, nil
	if n, err = w.s.WarnResponsesDue(ctx, now, 30*time.Minute, mail); err != nil || n != 1 || got[0] != later.Number ||
		agents[0] != "team@vendor.example" {
		t.Fatalf("overdue run: %d %v %v %v", n, err, got, agents)
	}

	// Met, then a new target: warned again when it comes due.
	soon, err = w.s.Act(ctx, evAct(w.evReload(t, soon), w.agent2, portal.ActComment, "", "対応中です。"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err = w.s.Act(ctx, evAct(soon, w.opener, portal.ActComment, "", "まだです。")); err != nil {
		t.Fatal(err)
	}
	if _, _, warned := slaClock(t, w, soon); warned != nil {
		t.Fatalf("a new target kept the warning mark %s", warned)
	}
	got = nil
	now = now.Add(45 * time.Minute) // the new target is due at 13:00
	if n, err = w.s.WarnResponsesDue(ctx, now, 30*time.Minute, mail); err != nil || n != 1 || got[0] != soon.Number {
		t.Fatalf("new target: %d %v %v", n, err, got)
	}
}
