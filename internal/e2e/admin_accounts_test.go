package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/browsertest"
	"madoguchi/internal/i18n"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/locales"
)

// adminText is what the administrator types, per language.
var adminText = map[string]struct{ org, contact, email string }{
	"ja": {"株式会社 北星システム", "山本 直樹", "yamamoto@hokusei.example"},
	"en": {"Northstar Systems Ltd", "Jordan Lee", "jordan@northstar.example"},
}

// TestAdminAccounts: a staff administrator creates an organization from the
// administration index, reads its generated identifier, invites its first
// contact (who gets the welcome mail) and makes them an approver.
func TestAdminAccounts(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	idRE := regexp.MustCompile(`^C\d{8}$`)
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			L := bundle.Localizer(tc.lang)
			txt := adminText[tc.lang]
			in := apptest.Start(t)
			ctx := context.Background()
			admin := in.User(t, apptest.UserSpec{Role: portal.RoleAdmin, Ready: true, OTP: portal.OTPApp,
				Language: tc.lang, Name: tc.name, Email: "admin." + tc.lang + "@vendor.example"})

			b := browsertest.New(t, "admin")
			browserSignIn(t, in, b, admin, tc.lang)
			b.Do(chromedp.Navigate(in.URL + "/admin"))
			if got := b.Text("main h1"); got != L.T("admin.title") {
				t.Errorf("index heading = %q, want %q", got, L.T("admin.title"))
			}
			b.Screenshot("admin-index")
			submit(b, `main a[href="/admin/accounts"]`) // a link: the same wait

			// Create the organization with a generated identifier.
			b.Do(chromedp.SendKeys(chromedp.CSS(`#create input[name="name"]`), txt.org, chromedp.NodeVisible))
			b.Screenshot("create-form")
			submit(b, `#create button[type="submit"]`)
			if got := b.Text(".flash"); got != L.T("admin.created_flash") {
				t.Errorf("flash = %q, want %q", got, L.T("admin.created_flash"))
			}
			identifier := strings.TrimSpace(b.Text("#account-identifier"))
			if !idRE.MatchString(identifier) {
				t.Fatalf("identifier shown = %q", identifier)
			}
			acc, err := in.Store.AccountByIdentifier(ctx, identifier)
			if err != nil || acc.Name != txt.org {
				t.Fatalf("account %s = %+v, %v", identifier, acc, err)
			}
			if got := b.Text("main h1"); got != txt.org {
				t.Errorf("heading = %q", got)
			}
			b.Screenshot("organization-created")

			// Invite the first contact, in the page's language.
			b.Do(
				chromedp.SendKeys(chromedp.CSS(`#invite input[name="name"]`), txt.contact, chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.CSS(`#invite input[name="email"]`), txt.email, chromedp.NodeVisible),
				chromedp.Click(chromedp.CSS(`#invite input[name="language"][value="`+tc.lang+`"]`), chromedp.NodeVisible),
			)
			submit(b, `#invite button[type="submit"]`)
			if got := b.Text(".flash"); got != L.T("contacts.invited_flash") {
				t.Errorf("flash = %q, want %q", got, L.T("contacts.invited_flash"))
			}
			invitee, err := in.Store.UserByEmail(ctx, txt.email)
			if err != nil {
				t.Fatal(err)
			}
			row := "#contact-" + strconv.FormatInt(invitee.ID, 10)
			if got := b.Text(row + " th"); got != txt.contact {
				t.Errorf("contact row name = %q", got)
			}
			if got := b.Text(row + " .badge"); got != L.T("contacts.status_invited") {
				t.Errorf("contact status = %q", got)
			}
			in.Mail.WaitFor(t, txt.email, func(m mailtest.Mail) bool {
				return m.Subject == bundle.Localizer(tc.lang).T("invite_mail.subject") && strings.Contains(m.Text, txt.org) &&
					m.Link("/welcome/") != ""
			}, 15*time.Second)

			// Make them an approver.
			b.Do(chromedp.Click(chromedp.CSS(row+` input[name="approver"]`), chromedp.NodeVisible))
			submit(b, row+` form[action$="/roles"] button[type="submit"]`)
			if got := b.Text(".flash"); got != L.T("contacts.roles_flash") {
				t.Errorf("flash = %q, want %q", got, L.T("contacts.roles_flash"))
			}
			checked, err := chromedp.Run(b.Ctx(), chromedp.Evaluate[bool](
				`document.querySelector("`+row+` input[name=approver]").checked`))
			if err != nil || !checked {
				t.Errorf("approver box after saving: %v, %v", checked, err)
			}
			invitee, _ = in.Store.UserByID(ctx, invitee.ID)
			if !invitee.IsApprover || invitee.IsAccountAdmin {
				t.Errorf("roles = approver %v, account admin %v", invitee.IsApprover, invitee.IsAccountAdmin)
			}
			b.Screenshot("contact-approver")

			// The list finds the organization by its identifier.
			b.Do(chromedp.Navigate(in.URL + "/admin/accounts"))
			b.Do(chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), strings.ToLower(identifier), chromedp.NodeVisible))
			submit(b, `form[role="search"] button[type="submit"]`)
			if got := b.Text(`#accounts tbody th`); got != txt.org {
				t.Errorf("search result = %q", got)
			}
			b.Screenshot("organization-list")
		})
	}
}
