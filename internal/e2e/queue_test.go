package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/browsertest"
	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/locales"
)

// TestAgentQueue: an agent lands on the queue after signing in, filters it
// by organization and priority, takes a case with "Assign to me", then
// ticks two cases and assigns them to a colleague in one go. The filter
// stays in the URL throughout.
func TestAgentQueue(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			L := bundle.Localizer(tc.lang)
			in := apptest.Start(t)
			ctx := context.Background()
			acme, globex := in.Account(t, "株式会社アクメ"), in.Account(t, "Globex")
			product, err := in.Store.CreateProduct(ctx, "Deep Security", []string{"20"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			cust := in.User(t, apptest.UserSpec{AccountID: acme.ID, Ready: true})
			other := in.User(t, apptest.UserSpec{AccountID: globex.ID, Ready: true})
			agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, OTP: portal.OTPApp,
				Name: tc.name, Language: tc.lang})
			colleague := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Colleague " + tc.lang})
			file := func(u *apptest.TestUser, acc *portal.Account, prio int, subject string) string {
				c, _, err := in.Store.CreateCase(ctx, store.NewCase{AccountID: acc.ID, OpenedBy: u.ID,
					HelpType: portal.HelpProduct, ProductID: product.ID, ProductVersion: "20", Priority: prio,
					Subject: subject, Description: "d"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return c.Number
			}
			urgent := file(cust, acme, 1, "本番サーバーが停止")
			second := file(cust, acme, 1, "管理コンソールに接続できない")
			third := file(cust, acme, 1, "ライセンスの更新")
			elsewhere := file(other, globex, 1, "Elsewhere")
			moderate := file(cust, acme, 3, "Question")

			b := browsertest.New(t, "agent-"+tc.lang)
			browserSignIn(t, in, b, agent, tc.lang)
			if loc := b.Location(); !strings.HasSuffix(loc, "/agent/queue") {
				t.Fatalf("the agent landed on %s", loc)
			}
			wantText(t, b, "main h1", L.T("queue.title"))
			if got := queueNumbersIn(t, b); len(got) != 5 {
				t.Fatalf("unfiltered queue = %v", got)
			}

			// Filter: Acme's critical cases.
			b.Do(chromedp.SendKeys(chromedp.CSS(`#f-account`), acme.Identifier))
			choose(t, b, "f-priority", L.T("priority.1"))
			submit(b, `form.queue-filter button[type="submit"]`)
			if loc := b.Location(); !strings.Contains(loc, "priority=1") || !strings.Contains(loc, "account="+acme.Identifier) {
				t.Errorf("the filter is not in the URL: %s", loc)
			}
			got := queueNumbersIn(t, b)
			if strings.Join(got, " ") != strings.Join([]string{urgent, second, third}, " ") {
				t.Fatalf("filtered queue = %v, want %s %s %s (not %s, %s)", got, urgent, second, third, elsewhere, moderate)
			}
			b.Screenshot("filtered")

			// Take the first one.
			submit(b, `button[name="one"][value="`+urgent+`"]`)
			wantText(t, b, ".flash", L.T("queue.assigned_all"))
			if loc := b.Location(); !strings.Contains(loc, "priority=1") {
				t.Errorf("after assigning, the filter is gone: %s", loc)
			}
			rows := tableRows(t, b, "#queue tbody tr")
			if len(rows) != 3 || !strings.Contains(strings.Join(rows[0], " "), tc.name) {
				t.Errorf("the taken case does not show its agent: %q", rows)
			}

			// Bulk: the other two to a colleague.
			b.Do(chromedp.Click(chromedp.CSS(`input[name="case"][value="`+second+`"]`), chromedp.NodeVisible),
				chromedp.Click(chromedp.CSS(`input[name="case"][value="`+third+`"]`), chromedp.NodeVisible))
			choose(t, b, "f-agent", colleague.Name)
			b.Screenshot("bulk-selected")
			submit(b, `form.queue-bulk .queue-bulk__controls button[type="submit"]`)
			wantText(t, b, ".flash", L.T("queue.assigned_all"))
			for _, n := range []string{second, third} {
				c, err := in.Store.CaseByNumber(ctx, n)
				if err != nil || c.AssignedTo != colleague.ID {
					t.Errorf("%s is assigned to %d, want the colleague", n, c.AssignedTo)
				}
			}
			if c, _ := in.Store.CaseByNumber(ctx, urgent); c.AssignedTo != agent.ID {
				t.Errorf("%s is assigned to %d, want the agent", urgent, c.AssignedTo)
			}

			// "Mine" now holds the one taken.
			choose(t, b, "f-assignee", L.T("queue.assignee_me"))
			submit(b, `form.queue-filter button[type="submit"]`)
			if got := queueNumbersIn(t, b); len(got) != 1 || got[0] != urgent {
				t.Errorf("my cases = %v, want %s", got, urgent)
			}
			b.Screenshot("mine")
		})
	}
}

// queueNumbersIn lists the case numbers of the queue page, in order.
func queueNumbersIn(t *testing.T, b *browsertest.Browser) []string {
	t.Helper()
	var out []string
	for _, s := range texts(t, b, "#queue tbody th a") {
		if _, err := strconv.Atoi(strings.TrimPrefix(s, "CS")); err == nil {
			out = append(out, s)
		}
	}
	return out
}
