package app_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app"
	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestCLI_SeedBulk(t *testing.T) {
	t.Parallel()
	const n = 2000
	dsn := storetest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn}
	ctx := context.Background()
	pool, err := store.Connect(ctx, dsn, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool, nil)

	if _, _, err := run(t, env, "seed", "demo"); err != nil {
		t.Fatal(err)
	}
	// Several batches, the last one short.
	out, errOut, err := run(t, env, "seed", "bulk", "--cases", "2000", "--batch", "700")
	if err != nil {
		t.Fatalf("seed bulk: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "2000/2000 cases") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}

	var count, distinct, badNumbers int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT number), count(*) FILTER (WHERE number !~ '^CS[0-9]{7}$')
		FROM cases`).Scan(&count, &distinct, &badNumbers); err != nil {
		t.Fatal(err)
	}
	if count != n || distinct != n || badNumbers != 0 {
		t.Fatalf("cases = %d, distinct numbers = %d, malformed numbers = %d; want %d, %d, 0", count, distinct, badNumbers, n, n)
	}

	t.Run("ResponseTargets", func(t *testing.T) {
		// Open cases waiting on support owe a response; the others do not;
		// an overdue one is already warned about.
		var missing, stray, unwarned, owed int
		if err := pool.QueryRow(ctx, `SELECT
				count(*) FILTER (WHERE status = 'open' AND sub_status NOT IN ('awaiting_customer', 'solution_proposed') AND response_due IS NULL),
				count(*) FILTER (WHERE (status = 'closed' OR sub_status IN ('awaiting_customer', 'solution_proposed')) AND response_due IS NOT NULL),
				count(*) FILTER (WHERE response_due < now() AND response_warned_at IS NULL),
				count(*) FILTER (WHERE response_due IS NOT NULL)
			FROM cases`).Scan(&missing, &stray, &unwarned, &owed); err != nil {
			t.Fatal(err)
		}
		if missing != 0 || stray != 0 || unwarned != 0 || owed == 0 {
			t.Errorf("response due: %d missing, %d where none is owed, %d overdue unwarned, %d owed", missing, stray, unwarned, owed)
		}
	})

	t.Run("EveryCaseIsConsistent", func(t *testing.T) {
		type caseRow struct {
			id                        int64
			number                    string
			status, sub               string
			assigned, followUp        int64
			waiting, closed           *time.Time
			created, updated          time.Time
			openerAccount, caseAcount int64
			openerRole                string
		}
		rows, err := pool.Query(ctx, `SELECT c.id, c.number, c.status, c.sub_status, coalesce(c.assigned_to, 0),
				coalesce(c.follow_up_of, 0), c.waiting_since, c.closed_at, c.created_at, c.updated_at,
				coalesce(u.account_id, 0), c.account_id, u.role
			FROM cases c JOIN users u ON u.id = c.opened_by`)
		if err != nil {
			t.Fatal(err)
		}
		cases := map[int64]*caseRow{}
		seen := map[portal.SubStatus]int{}
		for rows.Next() {
			var c caseRow
			if err := rows.Scan(&c.id, &c.number, &c.status, &c.sub, &c.assigned, &c.followUp, &c.waiting, &c.closed,
				&c.created, &c.updated, &c.openerAccount, &c.caseAcount, &c.openerRole); err != nil {
				t.Fatal(err)
			}
			cases[c.id] = &c
			sub := portal.SubStatus(c.sub)
			seen[sub]++
			switch {
			case !portal.ValidCaseNumber(c.number):
				t.Errorf("%s: not a case number", c.number)
			case !sub.Valid() || string(sub.Status()) != c.status:
				t.Errorf("%s: status %s with sub-status %s", c.number, c.status, c.sub)
			case (c.closed != nil) != (sub.Status() == portal.Closed):
				t.Errorf("%s: %s with closed_at %v", c.number, c.sub, c.closed)
			case (c.waiting != nil) != sub.WaitingOnCustomer():
				t.Errorf("%s: %s with waiting_since %v", c.number, c.sub, c.waiting)
			case (c.assigned == 0) != (sub == portal.SubNew):
				t.Errorf("%s: %s assigned to %d", c.number, c.sub, c.assigned)
			case c.updated.Before(c.created) || c.updated.After(time.Now()):
				t.Errorf("%s: created %v, updated %v", c.number, c.created, c.updated)
			case c.openerRole != "customer" || c.openerAccount != c.caseAcount:
				t.Errorf("%s: opened by a %s of account %d for account %d", c.number, c.openerRole, c.openerAccount, c.caseAcount)
			case c.waiting != nil && time.Since(*c.waiting) > 14*24*time.Hour:
				t.Errorf("%s: waiting since %v, the auto-close job would close it at once", c.number, c.waiting)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, s := range portal.SubStatuses {
			if seen[s] == 0 {
				t.Errorf("no case is %s (%v)", s, seen)
			}
		}
		if closed := seen[portal.SubResolved] + seen[portal.SubNoResponse] + seen[portal.SubCloseAgreed] +
			seen[portal.SubClosedByCustomer] + seen[portal.SubOutOfScope]; closed < n/2 {
			t.Errorf("only %d of %d cases are closed", closed, n)
		}

		// Replay every timeline: it starts with "created", each change starts
		// where the previous one ended and is one the state machine allows,
		// and the last one ends in the case's sub-status.
		type state struct {
			cur       portal.SubStatus
			events    int
			comments  int
			last      time.Time
			customers int
			agents    int
		}
		timelines := map[int64]*state{}
		evs, err := pool.Query(ctx, `SELECT e.case_id, e.at, e.kind, e.action, e.body, e.internal, e.from_status,
				e.to_status, coalesce(u.role, '')
			FROM case_events e LEFT JOIN users u ON u.id = e.actor_id ORDER BY e.case_id, e.id`)
		if err != nil {
			t.Fatal(err)
		}
		for evs.Next() {
			var caseID int64
			var at time.Time
			var kind, action, body, from, to, role string
			var internal bool
			if err := evs.Scan(&caseID, &at, &kind, &action, &body, &internal, &from, &to, &role); err != nil {
				t.Fatal(err)
			}
			c := cases[caseID]
			s := timelines[caseID]
			if s == nil {
				if kind != "created" || to != string(portal.SubNew) || !at.Equal(c.created) {
					t.Errorf("%s: first event %s to %q at %v, created %v", c.number, kind, to, at, c.created)
				}
				timelines[caseID] = &state{cur: portal.SubNew, events: 1, last: at}
				continue
			}
			s.events++
			if at.Before(s.last) || at.After(c.updated) {
				t.Errorf("%s: event at %v after %v, case updated %v", c.number, at, s.last, c.updated)
			}
			s.last = at
			switch kind {
			case "comment":
				s.comments++
				if role == "customer" {
					s.customers++
				} else {
					s.agents++
				}
			case "internal_note":
				s.comments++
				if !internal || role == "customer" {
					t.Errorf("%s: internal note by %q, internal %v", c.number, role, internal)
				}
			}
			if body == "" && (kind == "comment" || kind == "internal_note" || kind == "solution" || kind == "reopened") {
				t.Errorf("%s: %s without a body", c.number, kind)
			}
			if to == "" {
				continue
			}
			actor := portal.ActorCustomer
			switch {
			case role == "":
				actor = portal.ActorSystem
			case role != "customer":
				actor = portal.ActorAgent
			}
			next, err := portal.Next(portal.Transition{From: s.cur, Action: portal.Action(action), Actor: actor, Target: portal.SubStatus(to)})
			if from != string(s.cur) || err != nil || string(next) != to {
				t.Errorf("%s: %s by %s from %s (recorded %s→%s): %s, %v", c.number, action, actor, s.cur, from, to, next, err)
			}
			s.cur = portal.SubStatus(to)
		}
		if err := evs.Err(); err != nil {
			t.Fatal(err)
		}
		var none, many, both int
		for id, c := range cases {
			s := timelines[id]
			if s == nil {
				t.Errorf("%s has no timeline", c.number)
				continue
			}
			if string(s.cur) != c.sub {
				t.Errorf("%s: timeline ends in %s, case is %s", c.number, s.cur, c.sub)
			}
			if s.comments > 50 {
				t.Errorf("%s: %d comments", c.number, s.comments)
			}
			if s.comments == 0 {
				none++
			}
			if s.comments > 20 {
				many++
			}
			if s.customers > 0 && s.agents > 0 {
				both++
			}
		}
		if none == 0 || many == 0 || many > n/4 || both < n/2 {
			t.Errorf("comments per case: %d cases with none, %d with over 20, %d with both sides talking", none, many, both)
		}
	})

	t.Run("TextInBothLanguages", func(t *testing.T) {
		var ja, en, cc int
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE subject ~ '[ぁ-んァ-ヶ一-龠]'),
				count(*) FILTER (WHERE subject ~ '^[ -~]+$'), count(*) FILTER (WHERE cardinality(cc) > 0)
			FROM cases`).Scan(&ja, &en, &cc); err != nil {
			t.Fatal(err)
		}
		if ja < n/2 || en < n/10 || cc == 0 {
			t.Errorf("%d Japanese subjects, %d English, %d with CC", ja, en, cc)
		}
	})

	t.Run("AttachmentsOnComments", func(t *testing.T) {
		var files, withFiles, wrong int
		if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT a.case_id),
				count(*) FILTER (WHERE e.case_id <> a.case_id OR e.kind <> 'comment' OR e.actor_id <> a.uploaded_by
					OR a.sha256 !~ '^[0-9a-f]{64}$' OR a.size <= 0)
			FROM attachments a JOIN case_events e ON e.id = a.event_id`).Scan(&files, &withFiles, &wrong); err != nil {
			t.Fatal(err)
		}
		if files == 0 || withFiles < n/10 || wrong != 0 {
			t.Errorf("%d attachments on %d cases, %d not on a comment of their case by its author", files, withFiles, wrong)
		}
	})

	email := lastLine(out)
	t.Run("LastLineIsTheContactWithTheMostCases", func(t *testing.T) {
		u, err := st.UserByEmail(ctx, email)
		if err != nil {
			t.Fatalf("last line %q: %v\n%s", email, err, out)
		}
		var mine, most int
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE opened_by = $1),
				(SELECT max(n) FROM (SELECT count(*) AS n FROM cases GROUP BY opened_by) t) FROM cases`, u.ID).
			Scan(&mine, &most); err != nil {
			t.Fatal(err)
		}
		if mine != most || mine != n/100 {
			t.Errorf("%s opened %d cases; the most anyone opened is %d; want %d", email, mine, most, n/100)
		}
		if u.Role != portal.RoleCustomer || u.Status != portal.StatusActive || u.MustChangePassword {
			t.Errorf("user = %+v", u)
		}
		if ok, _ := (auth.Hasher{Params: auth.TestParams}).Verify(app.DemoPassword, u.PasswordHash); !ok {
			t.Error("the demo password does not verify")
		}
		// Password, then an e-mailed code, and nothing else before the portal.
		if u.OTPMethod != portal.OTPEmail || !u.MFAEnrolled() || !u.NeedsSecondFactor() {
			t.Errorf("second factor: method %s, enrolled %v", u.OTPMethod, u.MFAEnrolled())
		}
		if step := portal.NextSignInStep(u, portal.SignInState{SecondFactorDone: true}, u.CurrentTerms); step != portal.StepDone {
			t.Errorf("after the code the next step is %s, want done", step)
		}
	})

	t.Run("NormalCasesContinueAfterTheBlock", func(t *testing.T) {
		u, err := st.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		var last string
		if err := pool.QueryRow(ctx, `SELECT max(number) FROM cases`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		c, created, err := st.CreateCase(ctx, store.NewCase{AccountID: u.AccountID, OpenedBy: u.ID, HelpType: portal.HelpPortal,
			Priority: portal.DefaultPriority, Subject: "After the bulk load", Description: "A normal case."}, nil)
		if err != nil || !created {
			t.Fatalf("CreateCase after seed bulk: %v, created %v", err, created)
		}
		if want := nextNumber(t, last); c.Number != want {
			t.Errorf("new case number %s, want %s (the last bulk case is %s)", c.Number, want, last)
		}
	})

	t.Run("RunningAgainAddsMore", func(t *testing.T) {
		out2, errOut2, err := run(t, env, "seed", "bulk", "--cases", "50")
		if err != nil {
			t.Fatalf("second seed bulk: %v\n%s", err, errOut2)
		}
		var total, distinct int
		if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT number) FROM cases`).Scan(&total, &distinct); err != nil {
			t.Fatal(err)
		}
		if total != n+1+50 || distinct != total {
			t.Errorf("after a second run: %d cases, %d distinct numbers; want %d", total, distinct, n+1+50)
		}
		if _, err := st.UserByEmail(ctx, lastLine(out2)); err != nil {
			t.Errorf("second run's last line %q: %v", lastLine(out2), err)
		}
	})
}

func nextNumber(t *testing.T, number string) string {
	t.Helper()
	if !regexp.MustCompile(`^CS[0-9]{7}$`).MatchString(number) {
		t.Fatalf("not a case number: %q", number)
	}
	var n int64
	for _, d := range number[2:] {
		n = n*10 + int64(d-'0')
	}
	return portal.CaseNumber(n + 1)
}

func TestCLI_SeedBulkRefusesBadArguments(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "postgres://unused/none"}
	for _, args := range [][]string{
		{"seed", "bulk"},
		{"seed", "bulk", "--cases", "0"},
		{"seed", "bulk", "--cases", "10000000"},
		{"seed", "bulk", "--cases", "10", "--batch", "0"},
		{"seed", "bulk", "--cases", "ten"},
	} {
		if _, _, err := run(t, env, args...); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
