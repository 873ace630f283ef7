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
	"madoguchi/locales"
)

// TestCatalogAdministration: a staff administrator, in a browser, adds a
// product with its versions and operating systems, a category with a
// problem, invites an agent, and publishes new terms of use, which they
// then accept themself. A customer's create-case form offers the new
// product and problem.
func TestCatalogAdministration(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			L := bundle.Localizer(tc.lang)
			in := apptest.Start(t)
			ctx := context.Background()
			admin := in.User(t, apptest.UserSpec{Role: portal.RoleAdmin, Ready: true, OTP: portal.OTPApp,
				Language: tc.lang, Name: tc.name, Email: "admin." + tc.lang + "@vendor.example"})
			acc := in.Account(t, "株式会社テスト")
			customer := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true, Language: tc.lang})

			b := browsertest.New(t, "admin")
			browserSignIn(t, in, b, admin, tc.lang)

			// 1. A product with versions one per line and operating systems
			// separated by commas.
			b.Do(chromedp.Navigate(in.URL+"/admin/products"), chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/products"]`)))
			b.Screenshot("products-empty")
			b.Do(
				chromedp.SendKeys(chromedp.ID("f-name"), "Madoguchi Vault", chromedp.NodeVisible),
				chromedp.SetValue(chromedp.ID("f-versions"), "1.0\n1.1\n2.0", chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.ID("f-os"), "Windows 11, Ubuntu 24.04", chromedp.NodeVisible),
			)
			b.Screenshot("product-filled")
			submit(b, `form[action="/admin/products"] button[type="submit"]`)
			b.Screenshot("product-created")
			wantText(t, b, ".flash", L.T("catalog_admin.product_created"))
			rows := tableRows(t, b, "#products tbody tr")
			if len(rows) != 1 || rows[0][0] != "Madoguchi Vault" || rows[0][1] != "1.0, 1.1, 2.0" || rows[0][2] != "Windows 11, Ubuntu 24.04" ||
				rows[0][3] != L.T("catalog_admin.active") {
				t.Errorf("product rows = %q", rows)
			}

			// 2. A category and a problem under it, named in both languages.
			b.Do(chromedp.Navigate(in.URL+"/admin/categories"), chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/categories"]`)))
			b.Do(
				chromedp.SendKeys(chromedp.ID("f-c-name_ja"), "バックアップ", chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.ID("f-c-name_en"), "Backup", chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.ID("f-c-sort"), "10", chromedp.NodeVisible),
			)
			submit(b, `form[action="/admin/categories"] button[type="submit"]`)
			wantText(t, b, ".flash", L.T("catalog_admin.category_created"))
			cats, err := in.Store.CatalogCategories(ctx)
			if err != nil || len(cats) != 1 {
				t.Fatalf("categories = %+v, %v", cats, err)
			}
			cat := cats[0].ID
			sec := fmt.Sprintf("#category-%d", cat)
			b.Do(chromedp.Click(chromedp.CSS(sec+" details summary"), chromedp.NodeVisible))
			b.Do(
				chromedp.SendKeys(chromedp.ID(fmt.Sprintf("f-p%d-name_ja", cat)), "復元が失敗する", chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.ID(fmt.Sprintf("f-p%d-name_en", cat)), "Restore fails", chromedp.NodeVisible),
			)
			b.Screenshot("problem-filled")
			submit(b, sec+` form button[type="submit"]`)
			b.Screenshot("problem-created")
			wantText(t, b, ".flash", L.T("catalog_admin.problem_created"))
			wantText(t, b, sec+" table", "復元が失敗する")
			wantText(t, b, sec+" table", "Restore fails")

			// 3. An agent is invited and gets the welcome link.
			b.Do(chromedp.Navigate(in.URL+"/admin/agents"), chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/agents/invite"]`)))
			agentEmail := "new.agent." + tc.lang + "@vendor.example"
			b.Do(
				chromedp.SendKeys(chromedp.ID("f-name"), "鈴木 一郎", chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.ID("f-email"), agentEmail, chromedp.NodeVisible),
				chromedp.Click(chromedp.CSS(`input[name="role"][value="agent"]`), chromedp.NodeVisible),
				chromedp.Click(chromedp.CSS(`input[name="otp_method"][value="email"]`), chromedp.NodeVisible),
			)
			b.Screenshot("invite-filled")
			submit(b, `form[action="/admin/agents/invite"] button[type="submit"]`)
			b.Screenshot("agent-invited")
			wantText(t, b, ".flash", L.T("catalog_admin.agent_invited"))
			wantText(t, b, "#staff", agentEmail)
			wantText(t, b, "#staff", L.T("contacts.status_invited"))
			invitation := waitMail(t, in, agentEmail, L.T("invite_mail.subject"), 1)
			if invitation.Link(in.URL+"/welcome/") == "" {
				t.Errorf("the invitation has no welcome link:\n%s", invitation.Text)
			}

			// 4. New terms of use: preview, publish, and accept them at once.
			b.Do(chromedp.Navigate(in.URL+"/admin/terms"), chromedp.WaitVisible(chromedp.ID("f-body_ja")))
			b.Do(
				chromedp.SetValue(chromedp.ID("f-body_ja"), "改定後の利用規約です。\n\n第2条を追加しました。", chromedp.NodeVisible),
				chromedp.SetValue(chromedp.ID("f-body_en"), "These are the revised terms.\n\nArticle 2 is new.", chromedp.NodeVisible),
			)
			submit(b, `form[action="/admin/terms/preview"] button[type="submit"]`)
			b.Screenshot("terms-preview")
			wantText(t, b, "#terms-ja", "第2条を追加しました。")
			wantText(t, b, "#terms-en", "Article 2 is new.")
			if v, _, _, _ := in.Store.CurrentTerms(ctx); v != 1 {
				t.Errorf("the preview published version %d", v)
			}
			submit(b, `form[action="/admin/terms"] button.button:not(.button--secondary)`)
			b.Screenshot("terms-step")
			if loc := b.Location(); !strings.HasSuffix(loc, "/terms") {
				t.Fatalf("after publishing the administrator is at %s, want the terms step", loc)
			}
			wantText(t, b, ".flash", L.T("catalog_admin.terms_published"))
			wantText(t, b, "#terms-text", map[string]string{"ja": "第2条を追加しました。", "en": "Article 2 is new."}[tc.lang])
			b.Do(chromedp.Click(chromedp.CSS(`input[name="accept_terms"]`), chromedp.NodeVisible))
			submit(b, `form[action="/terms"] button[type="submit"]`)
			b.Screenshot("terms-published")
			if loc := b.Location(); !strings.HasSuffix(loc, "/admin/terms") {
				t.Errorf("after accepting the administrator is at %s, want /admin/terms", loc)
			}
			wantText(t, b, "#terms-2", L.T("catalog_admin.terms_current"))
			// The text went through the preview's hidden fields unchanged.
			if v, en, ja, err := in.Store.CurrentTerms(ctx); err != nil || v != 2 || en != "These are the revised terms.\n\nArticle 2 is new." ||
				ja != "改定後の利用規約です。\n\n第2条を追加しました。" {
				t.Errorf("published terms = %d %q %q, %v", v, en, ja, err)
			}

			// The customer accepts the new terms on their way in, and the
			// create-case form offers the new product and problem.
			c := in.Client(t)
			in.SignIn(t, c, customer)
			form := c.Get("/cases/new").Body
			for _, want := range []string{">Madoguchi Vault</option>", ">2.0</option>", ">Ubuntu 24.04</option>",
				map[string]string{"ja": ">復元が失敗する</option>", "en": ">Restore fails</option>"}[tc.lang]} {
				if !strings.Contains(form, want) {
					t.Errorf("the create-case form lacks %q", want)
				}
			}
			if u, err := in.Store.UserByID(ctx, customer.ID); err != nil || u.TermsVersion != 2 {
				t.Errorf("customer's accepted terms = %v, %v; want 2", u, err)
			}
		})
	}
}
