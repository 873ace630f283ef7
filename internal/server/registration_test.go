package server_test

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/auth"
	"madoguchi/internal/i18n"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/locales"
)

// Helpers of the registration area start with rt so that they cannot clash
// with other areas' helpers in package server_test.

var rtBundle = sync.OnceValue(func() *i18n.Bundle {
	b, err := i18n.New(locales.FS)
	if err != nil {
		panic(err)
	}
	return b
})

var rtEscape = template.Must(template.New("").Parse(`{{.}}`))

// rtText is the message key in lang as it appears in a page's HTML text.
func rtText(lang, key string, args ...any) string {
	var b strings.Builder
	if err := rtEscape.Execute(&b, rtBundle().Localizer(lang).T(key, args...)); err != nil {
		panic(err)
	}
	return b.String()
}

// rtOrg is an organization with a ready approver and a ready account
// administrator (who is not an approver).
type rtOrg struct {
	acc      *portal.Account
	approver *apptest.TestUser
	admin    *apptest.TestUser
}

func rtNewOrg(t *testing.T, in *apptest.Instance, name string) rtOrg {
	t.Helper()
	acc := in.Account(t, name)
	return rtOrg{
		acc:      acc,
		approver: in.User(t, apptest.UserSpec{AccountID: acc.ID, Approver: true, Ready: true, Language: "ja"}),
		admin:    in.User(t, apptest.UserSpec{AccountID: acc.ID, AccountAdmin: true, Ready: true}),
	}
}

// rtForm is a valid registration form for identifier and email.
func rtForm(identifier, email string) url.Values {
	return url.Values{
		"customer_identifier": {identifier},
		"name":                {"山田 太郎"},
		"email":               {email},
		"time_zone":           {"Asia/Tokyo"},
		"country_code":        {"JP"},
		"phone":               {"03-1234-5678"},
		"mobile":              {""},
		"contact_method":      {"email"},
		"otp_method":          {"email"},
	}
}

func rtExpect(t *testing.T, what string, r *apptest.Response, status int, location string) {
	t.Helper()
	if r.Status != status || (location != "" && r.Location != location) {
		t.Fatalf("%s = %d → %q, want %d → %q\n%s", what, r.Status, r.Location, status, location, rtSnippet(r.Body))
	}
}

func rtSnippet(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 30000 {
		body = body[:3000]
	}
	return body
}

func rtContains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("%s lacks %q\n%s", what, want, rtSnippet(body))
		}
	}
}

// rtPath turns a link from a mail into a path on the instance, checking that
// it is under BASE_URL.
func rtPath(t *testing.T, in *apptest.Instance, link string) string {
	t.Helper()
	if !strings.HasPrefix(link, in.URL+"/") {
		t.Fatalf("link %q is not under BASE_URL %s", link, in.URL)
	}
	return strings.TrimPrefix(link, in.URL)
}

// rtWait waits for a mail to to whose subject contains subject.
func rtWait(t *testing.T, in *apptest.Instance, to, subject string) mailtest.Mail {
	t.Helper()
	return in.Mail.WaitFor(t, to, func(m mailtest.Mail) bool { return strings.Contains(m.Subject, subject) }, 15*time.Second)
}

// rtRegister files a valid request for email and returns the approval path
// from the approver's mail.
func rtRegister(t *testing.T, in *apptest.Instance, org rtOrg, email string) string {
	t.Helper()
	c := in.Client(t)
	r := c.PostForm("/register", rtForm(org.acc.Identifier, email))
	rtExpect(t, "POST /register", r, 303, "/register/sent")
	m := in.Mail.WaitFor(t, org.approver.Email, func(m mailtest.Mail) bool {
		return strings.Contains(m.Text, email)
	}, 15*time.Second)
	return rtPath(t, in, m.Link("/approvals/"))
}

func rtRegistrationState(t *testing.T, in *apptest.Instance, approvalPath string) portal.RegistrationState {
	t.Helper()
	token := strings.TrimPrefix(approvalPath, "/approvals/")
	reg, err := in.Store.RegistrationByToken(context.Background(), auth.HashToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return reg.State
}

func TestRegistration_Success(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	acc := in.Account(t, "株式会社アクメ")
	ja := in.User(t, apptest.UserSpec{AccountID: acc.ID, Approver: true, Ready: true, Language: "ja"})
	en := in.User(t, apptest.UserSpec{AccountID: acc.ID, Approver: true, Ready: true, Language: "en", TimeZone: "Europe/London"})
	plain := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true})

	c := in.Client(t)
	form := rtForm(acc.Identifier, "hanako@acme.example")
	form.Set("name", "佐藤 花子")
	form.Set("mobile", "090-1111-2222")
	form.Set("country_code", "US")
	form.Set("otp_method", "app")
	r := c.Get("/register")
	rtExpect(t, "GET /register", r, 200, "")
	for _, field := range []string{"customer_identifier", "name", "email", "time_zone", "country_code", "phone", "mobile", "contact_method", "otp_method"} {
		rtContains(t, "the form", r.Body, `name="`+field+`"`)
	}
	rtContains(t, "the form", r.Body, `<option value="Asia/Tokyo" selected>`, `<option value="JP" selected>`, `value="app"`,
		`value="email"`, rtText("en", "register.otp_app_hint"), rtText("en", "register.contact.portal"), "Japan (&#43;81)")
	jc := in.Client(t)
	jc.Header.Set("Accept-Language", "ja")
	for _, body := range []string{r.Body, jc.Get("/register").Body} {
		// Every choice is labelled: a missing translation shows its key.
		for _, key := range []string{"register.country.", "register.contact.", "register.otp_"} {
			if strings.Contains(body, key) {
				t.Errorf("the form shows an untranslated %s… key", key)
			}
		}
	}

	r = c.PostForm("/register", form)
	rtExpect(t, "POST /register", r, 303, "/register/sent")
	r = c.Get("/register/sent")
	rtExpect(t, "GET /register/sent", r, 200, "")
	rtContains(t, "the sent page", r.Body, rtText("en", "register.sent_approval"), "hanako@acme.example")

	mj := rtWait(t, in, ja.Email, "登録申請")
	me := rtWait(t, in, en.Email, "Registration request")
	for _, m := range []mailtest.Mail{mj, me} {
		link := m.Link("/approvals/")
		if !strings.HasPrefix(link, in.URL+"/approvals/") {
			t.Errorf("mail to %v: approval link %q is not under BASE_URL", m.To, link)
		}
		rtContains(t, "the approver mail", m.Text, "佐藤 花子", "株式会社アクメ", "hanako@acme.example", "Asia/Tokyo",
			"03-1234-5678", "090-1111-2222", "+1")
	}
	if mj.Link("/approvals/") != me.Link("/approvals/") {
		t.Error("the approvers got different links")
	}
	rtContains(t, "the Japanese mail", mj.Text, "アメリカ合衆国 | +1", "メール", "認証アプリ")
	rtContains(t, "the English mail", me.Text, "United States | +1", "Preferred contact method: E-mail", "Requested at:")
	if in.Mail.Count(plain.Email) != 0 {
		t.Error("a contact who is not an approver got the request")
	}
	if n := in.Mail.Count(""); n != 2 {
		t.Errorf("%d mails sent, want 2", n)
	}
}

func TestRegistration_Validation(t *testing.T) {
	t.Parallel()
	type tc struct {
		name  string
		edit  func(org rtOrg, noApprover *portal.Account, v url.Values)
		field string
		key   string
	}
	cases := []tc{
		{"IdentifierMissing", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("customer_identifier", "  ") }, "customer_identifier", "register.identifier_required"},
		{"IdentifierUnknown", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("customer_identifier", "C00000000X") }, "customer_identifier", "register.identifier_unknown"},
		{"NoApprover", func(_ rtOrg, a *portal.Account, v url.Values) { v.Set("customer_identifier", a.Identifier) }, "customer_identifier", "register.no_approver"},
		{"NameMissing", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("name", "　") }, "name", "register.name_required"},
		{"EmailMissing", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("email", "") }, "email", "register.email_required"},
		{"EmailInvalid", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("email", "taro@example") }, "email", "register.email_invalid"},
		{"EmailRegistered", func(o rtOrg, _ *portal.Account, v url.Values) { v.Set("email", strings.ToUpper(o.admin.Email)) }, "email", "register.email_taken"},
		{"TimeZoneUnknown", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("time_zone", "Mars/Base") }, "time_zone", "register.time_zone_invalid"},
		{"CountryUnknown", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("country_code", "XX") }, "country_code", "register.country_invalid"},
		{"PhoneMissing", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("phone", "") }, "phone", "register.phone_required"},
		{"PhoneInvalid", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("phone", "call me") }, "phone", "register.phone_invalid"},
		{"MobileInvalid", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("mobile", "090-abc") }, "mobile", "register.phone_invalid"},
		{"ContactMethodUnknown", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Set("contact_method", "fax") }, "contact_method", "register.contact_method_invalid"},
		{"OTPMethodMissing", func(_ rtOrg, _ *portal.Account, v url.Values) { v.Del("otp_method") }, "otp_method", "register.otp_method_required"},
	}
	// Each instance takes a few requests, well under the per-address limit.
	for i := 0; i < len(cases); i += 5 {
		batch := cases[i:min(i+5, len(cases))]
		t.Run(fmt.Sprintf("Batch%d", i/5), func(t *testing.T) {
			t.Parallel()
			in := apptest.Start(t)
			org := rtNewOrg(t, in, "Acme")
			noApprover := in.Account(t, "Lonely")
			in.User(t, apptest.UserSpec{AccountID: noApprover.ID, AccountAdmin: true, Ready: true})
			for _, tc := range batch {
				t.Run(tc.name, func(t *testing.T) {
					c := in.Client(t)
					v := rtForm(org.acc.Identifier, "new-"+strings.ToLower(tc.name)+"@acme.example")
					v.Set("name", "入力 保持")
					tc.edit(org, noApprover, v)
					r := c.PostForm("/register", v)
					rtExpect(t, "POST /register", r, 422, "")
					rtContains(t, "the 422 page", r.Body, `id="e-`+tc.field+`"`, rtText("en", tc.key))
					// What was typed is still there.
					for _, f := range []string{"customer_identifier", "name", "email", "phone"} {
						if val := v.Get(f); strings.TrimSpace(val) != "" {
							rtContains(t, "the 422 page", r.Body, `value="`+html.EscapeString(val)+`"`)
						}
					}
				})
			}
			if n := in.Mail.Count(""); n != 0 {
				t.Errorf("%d mails sent for invalid requests", n)
			}
		})
	}
}

func TestRegistration_PendingAndFullWidth(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	acc, err := in.Store.CreateAccount(context.Background(), "Acme", "AC-1234")
	if err != nil {
		t.Fatal(err)
	}
	approver := in.User(t, apptest.UserSpec{AccountID: acc.ID, Approver: true, Ready: true})
	c := in.Client(t)
	c.Header.Set("Accept-Language", "ja")

	// Typed with the IME on: full-width letters, digits, ＠ and a long dash.
	v := rtForm("ａｃ－１２３４", "Ｔａｒｏ＠Ａｃｍｅ．ｅｘａｍｐｌｅ")
	v.Set("phone", "０３ー１２３４ー５６７８")
	r := c.PostForm("/register", v)
	rtExpect(t, "POST /register (full-width)", r, 303, "/register/sent")
	m := rtWait(t, in, approver.Email, "")
	rtContains(t, "the approver mail", m.Text, "taro@acme.example", "03-1234-5678")
	token := strings.TrimPrefix(rtPath(t, in, m.Link("/approvals/")), "/approvals/")
	reg, err := in.Store.RegistrationByToken(context.Background(), auth.HashToken(token))
	if err != nil {
		t.Fatal(err)
	}
	if reg.Email != "taro@acme.example" || reg.Phone != "03-1234-5678" || reg.Language != "ja" || reg.AccountID != acc.ID {
		t.Errorf("stored request = %+v", reg)
	}

	// The same address again, while the first request waits.
	r = c.PostForm("/register", rtForm("AC-1234", "taro@acme.example"))
	rtExpect(t, "POST /register (pending)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-email"`, rtText("ja", "register.email_pending"))
}

func TestRegistration_RateLimit(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	c := in.Client(t)
	v := rtForm("C99999999", "someone@example.com")
	for i := range 10 {
		if r := c.PostForm("/register", v); r.Status != 422 {
			t.Fatalf("attempt %d: status %d, want 422", i+1, r.Status)
		}
	}
	r := c.PostForm("/register", v)
	rtExpect(t, "11th POST /register", r, 429, "")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestRegistration_CrossSite(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	c := in.Client(t)
	r := c.PostFormFrom("https://evil.example", "/register", rtForm(org.acc.Identifier, "x@acme.example"))
	rtExpect(t, "cross-site POST /register", r, 403, "")
	registered, pending, err := in.Store.EmailInUse(context.Background(), "x@acme.example")
	if err != nil || registered || pending {
		t.Errorf("a cross-site POST filed a request: %v %v %v", registered, pending, err)
	}
}

func TestApproval_Access(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	other := rtNewOrg(t, in, "Other")
	plain := in.User(t, apptest.UserSpec{AccountID: org.acc.ID, Ready: true})
	path := rtRegister(t, in, org, "newbie@acme.example")

	t.Run("SignedOut", func(t *testing.T) {
		c := in.Client(t)
		r := c.Get(path)
		rtExpect(t, "GET approval signed out", r, 303, "/login?next="+url.QueryEscape(path))
		r = c.PostForm(path+"/approve", nil)
		rtExpect(t, "POST approve signed out", r, 303, "/login?next="+url.QueryEscape(path))
	})
	t.Run("OtherOrganization", func(t *testing.T) {
		c := in.Client(t)
		in.SignIn(t, c, other.approver)
		rtExpect(t, "GET approval (other org)", c.Get(path), 404, "")
		rtExpect(t, "POST approve (other org)", c.PostForm(path+"/approve", nil), 404, "")
	})
	t.Run("NotAnApprover", func(t *testing.T) {
		c := in.Client(t)
		in.SignIn(t, c, plain)
		rtExpect(t, "GET approval (non-approver)", c.Get(path), 404, "")
		rtExpect(t, "POST reject (non-approver)", c.PostForm(path+"/reject", url.Values{"reason": {"no"}}), 404, "")
	})
	t.Run("UnknownToken", func(t *testing.T) {
		c := in.Client(t)
		in.SignIn(t, c, org.approver)
		rtExpect(t, "GET unknown approval", c.Get("/approvals/nope"), 404, "")
	})
	if got := rtRegistrationState(t, in, path); got != portal.RegistrationRequested {
		t.Fatalf("state = %s after refused attempts", got)
	}
}

func TestApproval_ApproveAndWelcome(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	path := rtRegister(t, in, org, "newbie@acme.example")

	c := in.Client(t)
	c.Header.Set("Accept-Language", "ja") // the approver's own language wins once signed in
	in.SignIn(t, c, org.approver)
	r := c.Get(path)
	rtExpect(t, "GET approval", r, 200, "")
	rtContains(t, "the approval page", r.Body, rtText("ja", "approval.lead"), rtText("ja", "approval.states.requested"),
		"山田 太郎", "newbie@acme.example", "03-1234-5678", path+"/approve", path+"/reject", `name="reason"`)
	if !strings.Contains(r.Body, "たった今") && !strings.Contains(r.Body, "分前") {
		t.Error("the page does not say how long ago the request was made")
	}
	if n := strings.Count(r.Body, rtText("ja", "approval.requested_at")); n != 1 {
		t.Errorf("the request time is labelled %d times, want once", n)
	}
	// Approving and rejecting are separate sections; the reason belongs to rejecting.
	rtContains(t, "the approval page", r.Body, rtText("ja", "approval.approve_heading"), rtText("ja", "approval.reject_heading"))
	if strings.Index(r.Body, rtText("ja", "approval.reject_heading")) > strings.Index(r.Body, `name="reason"`) {
		t.Error("the reason field comes before the rejection heading")
	}
	// Looking changes nothing: mail scanners follow links, even to the
	// buttons' URLs.
	c.Get(path)
	rtExpect(t, "GET the approve URL", c.Get(path+"/approve"), 303, path)
	rtExpect(t, "GET the reject URL", c.Get(path+"/reject"), 303, path)
	if got := rtRegistrationState(t, in, path); got != portal.RegistrationRequested {
		t.Fatalf("state after GET = %s, want requested", got)
	}

	r = c.PostForm(path+"/approve", nil)
	rtExpect(t, "POST approve", r, 303, path)
	r = c.Get(path)
	rtExpect(t, "GET approval after approving", r, 200, "")
	rtContains(t, "the decided page", r.Body, rtText("ja", "approval.states.approved"), org.approver.Name)
	if strings.Contains(r.Body, path+"/approve") {
		t.Error("a decided request still offers Approve")
	}

	// The registrant registered in English and is written to in English.
	m := rtWait(t, in, "newbie@acme.example", "Customer Registration Processed")
	welcome := rtPath(t, in, m.Link("/welcome/"))

	r = c.PostForm(path+"/approve", nil)
	rtExpect(t, "second POST approve", r, 410, "")
	rtContains(t, "the 410 page", r.Body, rtText("ja", "approval.already_decided"))
	r = c.PostForm(path+"/reject", url.Values{"reason": {"late"}})
	rtExpect(t, "POST reject after approval", r, 410, "")
	if n := in.Mail.Count("newbie@acme.example"); n != 1 {
		t.Errorf("registrant got %d mails, want 1", n)
	}

	// The welcome link, in another browser.
	w := in.Client(t)
	rtExpect(t, "GET unknown welcome", w.Get("/welcome/nope"), 404, "")
	r = w.Get(welcome)
	rtExpect(t, "GET welcome", r, 200, "")
	rtContains(t, "the welcome page", r.Body, `value="山田 太郎"`, `value="newbie@acme.example"`, `name="new_password"`,
		`name="confirm_password"`, `name="accept_terms"`, "You may use this portal")

	r = w.PostForm(welcome, url.Values{"new_password": {"password1234"}, "confirm_password": {"password1234"}, "accept_terms": {"1"}})
	rtExpect(t, "POST welcome (common password)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-new_password"`, rtText("en", "password.common"))
	r = w.PostForm(welcome, url.Values{"new_password": {"short"}, "confirm_password": {"short"}, "accept_terms": {"1"}})
	rtExpect(t, "POST welcome (short password)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "password.too_short", "Min", auth.MinPasswordLen))

	const password = "violet kettle under 9 maples"
	r = w.PostForm(welcome, url.Values{"new_password": {password}, "confirm_password": {password}})
	rtExpect(t, "POST welcome (terms not accepted)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-accept_terms"`, rtText("en", "welcome.accept_terms_required"))

	r = w.PostForm(welcome, url.Values{"new_password": {password}, "confirm_password": {password}, "accept_terms": {"1"}})
	rtExpect(t, "POST welcome", r, 303, "/login")
	rtContains(t, "the sign-in page", w.Get("/login").Body, rtText("en", "welcome.done"))

	r = w.PostForm("/login", url.Values{"email": {"newbie@acme.example"}, "password": {password}})
	rtExpect(t, "POST /login after welcome", r, 303, "/login/otp")

	r = in.Client(t).Get(welcome)
	rtExpect(t, "GET used welcome link", r, 410, "")
	rtContains(t, "the 410 page", r.Body, rtText("en", "token.gone"))
	r = in.Client(t).PostForm(welcome, url.Values{"new_password": {password + "x"}, "confirm_password": {password + "x"}, "accept_terms": {"1"}})
	rtExpect(t, "POST used welcome link", r, 410, "")
}

func TestApproval_Reject(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	path := rtRegister(t, in, org, "stranger@acme.example")

	c := in.Client(t)
	in.SignIn(t, c, org.admin) // an account administrator may decide too
	r := c.PostForm(path+"/reject", url.Values{"reason": {"   "}})
	rtExpect(t, "POST reject (no reason)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-reason"`, rtText("en", "approval.reason_required"))
	r = c.PostForm(path+"/reject", url.Values{"reason": {strings.Repeat("長", 1001)}})
	rtExpect(t, "POST reject (long reason)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "approval.reason_too_long"))
	if got := rtRegistrationState(t, in, path); got != portal.RegistrationRequested {
		t.Fatalf("state = %s after refused rejections", got)
	}

	r = c.PostForm(path+"/reject", url.Values{"reason": {"We do not know this person."}})
	rtExpect(t, "POST reject", r, 303, path)
	r = c.Get(path)
	rtContains(t, "the decided page", r.Body, rtText("en", "approval.states.rejected"), "We do not know this person.", org.admin.Name)
	m := rtWait(t, in, "stranger@acme.example", "not approved")
	rtContains(t, "the rejection mail", m.Text, "We do not know this person.")
	if m.Link("/welcome/") != "" {
		t.Error("the rejection mail has a welcome link")
	}
	rtExpect(t, "second POST reject", c.PostForm(path+"/reject", url.Values{"reason": {"again"}}), 410, "")
}

func TestApproval_FromContactsPage(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	other := rtNewOrg(t, in, "Other")
	rtRegister(t, in, org, "listed@acme.example")

	c := in.Client(t)
	in.SignIn(t, c, org.admin)
	r := c.Get("/account/contacts")
	rtExpect(t, "GET /account/contacts", r, 200, "")
	rtContains(t, "the contacts page", r.Body, `id="requests"`, "listed@acme.example", rtText("en", "approval.states.requested"))
	i := strings.Index(r.Body, `href="/account/contacts/requests/`)
	if i < 0 {
		t.Fatal("no link to the pending request")
	}
	link := r.Body[i+len(`href="`):]
	link = link[:strings.Index(link, `"`)]
	rtContains(t, "the request page", c.Get(link).Body, "listed@acme.example", link+"/approve")
	rtExpect(t, "POST approve by id", c.PostForm(link+"/approve", nil), 303, link)
	rtWait(t, in, "listed@acme.example", "Customer Registration Processed")
	rtExpect(t, "second POST approve by id", c.PostForm(link+"/approve", nil), 410, "")

	o := in.Client(t)
	in.SignIn(t, o, other.admin)
	rtExpect(t, "GET another organization's request", o.Get(link), 404, "")
}

func TestApproval_ConcurrentApprovers(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	second := in.User(t, apptest.UserSpec{AccountID: org.acc.ID, Approver: true, Ready: true})
	path := rtRegister(t, in, org, "race@acme.example")

	c1, c2 := in.Client(t), in.Client(t)
	in.SignIn(t, c1, org.approver)
	in.SignIn(t, c2, second)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, c := range []*apptest.Client{c1, c2} {
		wg.Go(func() { statuses[i] = c.PostForm(path+"/approve", nil).Status })
	}
	wg.Wait()
	if !(statuses[0] == 303 && statuses[1] == 410) && !(statuses[0] == 410 && statuses[1] == 303) {
		t.Fatalf("statuses = %v, want one 303 and one 410", statuses)
	}
	rtWait(t, in, "race@acme.example", "Customer Registration Processed")
	time.Sleep(time.Second) // a second mail, if any, would have been delivered by now
	if n := in.Mail.Count("race@acme.example"); n != 1 {
		t.Errorf("registrant got %d mails, want 1", n)
	}
}
