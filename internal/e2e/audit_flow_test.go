package e2e

import (
	"context"
	"fmt"
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

// TestSupportResetsSecondFactor is the lost-device flow in two browsers: an
// agent finds the contact, resets their second factor with the case as the
// reference, and a staff administrator finds the reset in the audit log by
// filtering on its action.
func TestSupportResetsSecondFactor(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			L := bundle.Localizer(tc.lang)
			in := apptest.Start(t)
			ctx := context.Background()
			acc := in.Account(t, "Acme")
			contact := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true, Name: tc.name, OTP: portal.OTPApp,
				Language: tc.lang})
			agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Agent " + tc.lang,
				OTP: portal.OTPApp, Language: tc.lang})
			boss := in.User(t, apptest.UserSpec{Role: portal.RoleAdmin, Ready: true, OTP: portal.OTPApp, Language: tc.lang})
			cs, _, err := in.Store.CreateCase(ctx, store.NewCase{AccountID: acc.ID, OpenedBy: contact.ID,
				HelpType: portal.HelpPortal, Priority: portal.DefaultPriority, Subject: "Lost phone",
				Description: "I lost my phone."}, nil)
			if err != nil {
				t.Fatal(err)
			}

			// The agent finds the contact from the header's "Users".
			b := browsertest.New(t, "agent-"+tc.lang)
			browserSignIn(t, in, b, agent, tc.lang)
			b.Do(chromedp.Click(chromedp.CSS(`.site-nav a[href="/agent/users"]`), chromedp.NodeVisible),
				chromedp.WaitVisible(chromedp.CSS(`form[action="/agent/users"] input[name="q"]`)))
			wantText(t, b, "main h1", L.T("agent_users.title"))
			b.Do(chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), strings.SplitN(contact.Email, "@", 2)[0]))
			submit(b, `form[action="/agent/users"] button[type="submit"]`)
			rows := tableRows(t, b, "#agent-users tbody tr")
			if len(rows) != 1 || !strings.Contains(strings.Join(rows[0], " "), contact.Email) {
				b.Screenshot("search")
				t.Fatalf("search rows = %q", rows)
			}
			userPath := fmt.Sprintf("/agent/users/%d", contact.ID)
			submit(b, `#agent-users a[href="`+userPath+`"]`)
			wantText(t, b, "main h1", contact.Name)
			wantText(t, b, "#mfa-state", L.T("contacts.mfa_paired", "Method", L.T("register.otp_app")))

			// A reset needs a reference; the case number is typed as an IME
			// with full-width input would.
			submit(b, `#reset-mfa button[type="submit"]`)
			wantText(t, b, "#e-reference", L.T("agent_users.reference_required"))
			ref := cs.Number
			if tc.fullWidth {
				ref = fullWidth(ref)
			}
			b.Do(chromedp.SendKeys(chromedp.CSS(`input[name="reference"]`), ref),
				chromedp.SendKeys(chromedp.CSS(`textarea[name="note"]`), "callback verified"))
			b.Screenshot("reset-form")
			submit(b, `#reset-mfa button[type="submit"]`)
			wantText(t, b, ".flash", L.T("agent_users.reset_done"))
			wantText(t, b, "#mfa-state", L.T("contacts.mfa_not_paired", "Method", L.T("register.otp_app")))
			b.Screenshot("reset-done")

			m := waitMail(t, in, contact.Email, L.T("mfa_reset_support_mail.subject"), 1)
			if !strings.Contains(m.Text, cs.Number) || !strings.Contains(m.Text, agent.Name) {
				t.Errorf("the contact's mail lacks the reference or the agent:\n%s", m.Text)
			}

			// The staff administrator filters the log by the action.
			a := browsertest.New(t, "admin-"+tc.lang)
			browserSignIn(t, in, a, boss, tc.lang)
			a.Do(chromedp.Navigate(in.URL + "/admin/audit"))
			wantText(t, a, "main h1", L.T("audit.title"))
			choose(t, a, "f-action", L.T("audit.action.mfa_reset"))
			submit(a, `form.audit-filter button[type="submit"]`)
			a.Screenshot("audit-filtered")
			if loc := a.Location(); !strings.Contains(loc, "action=mfa.reset") {
				t.Errorf("the filter is not in the URL: %s", loc)
			}
			rows = tableRows(t, a, "#audit-log tbody tr")
			if len(rows) != 1 {
				t.Fatalf("filtered log rows = %q, want the one reset", rows)
			}
			row := strings.Join(rows[0], " | ")
			for _, want := range []string{L.T("audit.action.mfa_reset"), agent.Name, contact.Email, acc.Identifier,
				cs.Number, "callback verified", L.T("audit.value.support")} {
				if !strings.Contains(row, want) {
					t.Errorf("the entry %q lacks %q", row, want)
				}
			}
			if got := texts(t, a, `#audit-log a[href="/cases/`+cs.Number+`"]`); len(got) != 1 {
				t.Errorf("the entry does not link its case: %q", got)
			}
		})
	}
}
