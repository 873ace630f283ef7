package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/auth"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

func TestAccount_ShowAndSave(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, u)
	page := c.Get("/account")
	if page.Status != 200 {
		t.Fatalf("GET /account = %d", page.Status)
	}
	for _, want := range []string{u.Email, "Acme 株式会社", "Customer contact", "Authenticator app", "Recovery codes left",
		`action="/account/mfa/method"`, `action="/account/mfa/recovery-codes"`, `href="/password/change"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if !strings.Contains(page.Body, `<option value="JP">Japan (&#43;81)</option>`) {
		t.Error("the account page does not offer the registration form's country list")
	}
	vals := url.Values{"name": {"  鈴木　一郎 "}, "time_zone": {"Europe/Paris"}, "country_code": {"jp"},
		"phone": {"０３ー１２３４ー５６７８"}, "mobile": {"+81 90-1234-5678"}, "contact_method": {"email"}, "language": {"ja"}}
	siExpect(t, "POST /account", c.PostForm("/account", vals), 303, "/account")
	fresh, err := in.Store.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Name != "鈴木　一郎" || fresh.TimeZone != "Europe/Paris" || fresh.CountryCode != "JP" ||
		fresh.Phone != "03-1234-5678" || fresh.Mobile != "+81 90-1234-5678" || fresh.ContactMethod != "email" || fresh.Language != "ja" {
		t.Fatalf("saved %+v", fresh)
	}
	page = c.Get("/account")
	if !strings.Contains(page.Body, "設定を保存しました。") || !strings.Contains(page.Body, `lang="ja"`) {
		t.Error("after choosing Japanese the page is not in Japanese with the flash")
	}
}

func TestAccount_InvalidInputKept(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, u)
	vals := url.Values{"name": {"Typed Name"}, "time_zone": {"Mars/Olympus_Mons"}, "country_code": {"+81"},
		"phone": {"call me maybe"}, "contact_method": {"pigeon"}, "language": {"fr"}}
	r := c.PostForm("/account", vals)
	if r.Status != 422 {
		t.Fatalf("POST /account with a bad time zone = %d, want 422", r.Status)
	}
	for _, want := range []string{`value="Typed Name"`, `id="e-time_zone"`, "Mars/Olympus_Mons", `id="e-phone"`,
		`id="e-country_code"`, "Choose a country code from the list",
		`aria-describedby="e-contact_method"`, `id="e-contact_method"`, "Choose a contact method",
		`aria-describedby="e-language"`, `id="e-language"`, "Choose Japanese or English"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("422 page lacks %q", want)
		}
	}
	if fresh, _ := in.Store.UserByID(context.Background(), u.ID); fresh.Name != u.Name {
		t.Error("invalid input was saved")
	}
	if r := c.PostForm("/account", url.Values{"name": {""}, "time_zone": {"Asia/Tokyo"}, "contact_method": {"portal"}, "language": {"en"}}); r.Status != 422 {
		t.Errorf("empty name = %d, want 422", r.Status)
	}
}

func TestAccount_DisableMFA(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	acc := in.Account(t, "Strict KK")
	u := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, u)
	ctx := context.Background()

	// The organization requires a second factor (the default).
	r := c.PostForm("/account/mfa/disable", url.Values{"password": {u.Password}})
	if r.Status != 403 || !strings.Contains(r.Body, "requires two-step verification") {
		t.Fatalf("turning 2FA off where required = %d, want 403 with a message", r.Status)
	}
	if page := c.Get("/account"); strings.Contains(page.Body, `action="/account/mfa/disable"`) {
		t.Error("the account page offers turning 2FA off although the organization requires it")
	}

	if err := in.Store.SetAccountMFARequired(ctx, acc.ID, false, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	if page := c.Get("/account"); !strings.Contains(page.Body, `action="/account/mfa/disable"`) {
		t.Fatal("the account page does not offer turning 2FA off where allowed")
	}
	r = c.PostForm("/account/mfa/disable", url.Values{"password": {"not my password"}})
	if r.Status != 422 || !strings.Contains(r.Body, `id="e-password"`) {
		t.Fatalf("turning 2FA off with a wrong password = %d, want 422", r.Status)
	}
	seen := siSeen(in)
	siExpect(t, "POST /account/mfa/disable", c.PostForm("/account/mfa/disable", url.Values{"password": {u.Password}}), 303, "/account")
	siWaitMail(t, in, u.Email, seen, func(m mailtest.Mail) bool { return m.Subject == "Two-step verification was turned off" })
	fresh, _ := in.Store.UserByID(ctx, u.ID)
	if fresh.OTPMethod != portal.OTPNone || fresh.MFAEnrolled() {
		t.Fatalf("after turning off: method %q, enrolled %v", fresh.OTPMethod, fresh.MFAEnrolled())
	}
	siExpect(t, "GET /account", c.Get("/account"), 200, "")
	// The next sign-in takes the password only.
	siExpect(t, "POST /login", siLogin(in.Client(t), u), 303, "/cases")

	// Turning it back on pairs a factor first.
	siExpect(t, "POST /account/mfa/method", c.PostForm("/account/mfa/method", url.Values{"otp_method": {"email"}}), 303, "/mfa/setup")
	seen = siSeen(in)
	siExpect(t, "POST /mfa/setup send", c.PostForm("/mfa/setup", url.Values{"send": {"1"}}), 303, "/mfa/setup")
	code := siWaitCode(t, in, u.Email, seen)
	siExpect(t, "POST /mfa/setup", c.PostForm("/mfa/setup", url.Values{"code": {code}}), 303, "/mfa/setup")
	if codes := apptest.RecoveryCodesOf(c.Get("/mfa/setup").Body); len(codes) != 10 {
		t.Fatalf("%d recovery codes after turning 2FA on, want 10", len(codes))
	}
	if fresh, _ := in.Store.UserByID(ctx, u.ID); fresh.OTPMethod != portal.OTPEmail || !fresh.MFAEnrolled() {
		t.Fatalf("after turning on: method %q, enrolled %v", fresh.OTPMethod, fresh.MFAEnrolled())
	}
}

func TestAccount_StaffCannotDisableMFA(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, agent)
	r := c.PostForm("/account/mfa/disable", url.Values{"password": {agent.Password}})
	if r.Status != 403 || !strings.Contains(r.Body, "Staff accounts always use two-step verification") {
		t.Fatalf("staff turning 2FA off = %d, want 403", r.Status)
	}
	if fresh, _ := in.Store.UserByID(context.Background(), agent.ID); !fresh.MFAEnrolled() {
		t.Fatal("staff 2FA was turned off")
	}
}

func TestAccount_SwitchMethodKeepsOldUntilConfirmed(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, u)
	ctx := context.Background()

	if r := c.PostForm("/account/mfa/method", url.Values{"otp_method": {"sms"}}); r.Status != 422 {
		t.Errorf("unknown method = %d, want 422", r.Status)
	} else if !strings.Contains(r.Body, `aria-describedby="e-otp_method h-otp_method"`) || !strings.Contains(r.Body, `id="e-otp_method"`) {
		t.Error("the method's message is not tied to its fieldset")
	}
	siExpect(t, "POST /account/mfa/method", c.PostForm("/account/mfa/method", url.Values{"otp_method": {"email"}}), 303, "/mfa/setup")
	page := c.Get("/mfa/setup")
	if page.Status != 200 || !strings.Contains(page.Body, "Send a code") {
		t.Fatalf("GET /mfa/setup while switching = %d", page.Status)
	}
	// Abandoned halfway: the authenticator app still protects the account,
	// and the person is still signed in.
	if fresh, _ := in.Store.UserByID(ctx, u.ID); fresh.OTPMethod != portal.OTPApp || !fresh.MFAEnrolled() {
		t.Fatalf("the switch changed the factor before confirmation: %q", fresh.OTPMethod)
	}
	siExpect(t, "GET /cases", c.Get("/cases"), 200, "")
	c2 := in.Client(t)
	siExpect(t, "POST /login elsewhere", siLogin(c2, u), 303, "/login/otp")
	siExpect(t, "POST /login/otp with the app", c2.PostForm("/login/otp", url.Values{"code": {apptest.FreshTOTPCode(t, in, u)}}), 303, "/cases")

	// Completed: the new method replaces the old one.
	seen := siSeen(in)
	siExpect(t, "POST /mfa/setup send", c.PostForm("/mfa/setup", url.Values{"code": {""}}), 303, "/mfa/setup")
	code := siWaitCode(t, in, u.Email, seen)
	if r := c.PostForm("/mfa/setup", url.Values{"code": {"000000"}}); r.Status != 422 && code != "000000" {
		t.Errorf("a wrong code while pairing = %d, want 422", r.Status)
	}
	siExpect(t, "POST /mfa/setup", c.PostForm("/mfa/setup", url.Values{"code": {code}}), 303, "/mfa/setup")
	if codes := apptest.RecoveryCodesOf(c.Get("/mfa/setup").Body); len(codes) != 10 {
		t.Fatalf("%d recovery codes after switching, want 10", len(codes))
	}
	siExpect(t, "GET /account", c.Get("/account"), 200, "")
	if fresh, _ := in.Store.UserByID(ctx, u.ID); fresh.OTPMethod != portal.OTPEmail || !fresh.MFAEnrolled() || fresh.TOTPSecret != "" {
		t.Fatalf("after switching: method %q, enrolled %v", fresh.OTPMethod, fresh.MFAEnrolled())
	}
	siWaitMail(t, in, u.Email, seen, func(m mailtest.Mail) bool { return m.Subject == "Two-step verification was set up" })
	in.SignIn(t, in.Client(t), u)

	// And back to an app on a new phone.
	siExpect(t, "POST /account/mfa/method app", c.PostForm("/account/mfa/method", url.Values{"otp_method": {"app"}}), 303, "/mfa/setup")
	secret := apptest.TOTPSecretOf(c.Get("/mfa/setup").Body)
	if secret == "" {
		t.Fatal("no #totp-secret when switching to an app")
	}
	siExpect(t, "POST /mfa/setup app", c.PostForm("/mfa/setup", url.Values{"code": {siTOTPNow(secret)}}), 303, "/mfa/setup")
	u.TOTPSecret = secret
	in.SignIn(t, in.Client(t), u)
}

func TestAccount_RegenerateRecoveryCodes(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, u)
	old := u.RecoveryCodes[0]
	siExpect(t, "POST /account/mfa/recovery-codes", c.PostForm("/account/mfa/recovery-codes", nil), 303, "/mfa/setup")
	page := c.Get("/mfa/setup")
	codes := apptest.RecoveryCodesOf(page.Body)
	if len(codes) != 10 {
		t.Fatalf("%d new recovery codes shown, want 10", len(codes))
	}
	if again := c.Get("/mfa/setup"); len(apptest.RecoveryCodesOf(again.Body)) != 0 {
		t.Fatal("the new codes were shown twice")
	}
	siExpect(t, "GET /account", c.Get("/account"), 200, "")

	c2 := in.Client(t)
	siExpect(t, "POST /login", siLogin(c2, u), 303, "/login/otp")
	if r := c2.PostForm("/login/otp", url.Values{"code": {old}}); r.Status != 422 {
		t.Fatalf("an old recovery code after regenerating = %d, want 422", r.Status)
	}
	siExpect(t, "POST /login/otp new recovery code", c2.PostForm("/login/otp", url.Values{"code": {codes[0]}}), 303, "/cases")
	if page := c2.Get("/cases"); !strings.Contains(page.Body, "signed in with a recovery code") {
		t.Error("no notice after signing in with a recovery code")
	}
}

func TestAccount_SignedOut(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	c := in.Client(t)
	siExpect(t, "POST /account signed out", c.PostForm("/account", url.Values{"name": {"x"}}), 303, "/login?next=%2Faccount")
	siExpect(t, "GET /mfa/setup signed out", c.Get("/mfa/setup"), 303, "/login")
	siExpect(t, "GET /password/change signed out", c.Get("/password/change"), 303, "/login")
}

func siTOTPNow(secret string) string { return auth.TOTPCode(secret, time.Now()) }
