package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/auth"
	"madoguchi/internal/browsertest"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
)

// lang are the two languages every flow runs in, with what the person types.
var langs = []struct {
	lang, name string
	// toFullWidth types digits as a Japanese IME with full-width input would.
	fullWidth bool
}{
	{"ja", "高橋 美咲", true},
	{"en", "Alex Morgan", false},
}

func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = r - '0' + '０'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// switchLanguage uses the header's language switcher.
func switchLanguage(b *browsertest.Browser, lang string) {
	b.Do(
		chromedp.Click(chromedp.CSS(`.lang-switch button[value="`+lang+`"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] .lang-switch`)),
	)
}

func fill(b *browsertest.Browser, fields map[string]string) {
	for name, v := range fields {
		b.Do(chromedp.SendKeys(chromedp.CSS(`[name="`+name+`"]`), v, chromedp.NodeVisible))
	}
}

// signIn goes through the password page and the second factor with a code
// from getCode, ending wherever the portal sends the person next.
func signIn(b *browsertest.Browser, email, password string, getCode func() string) {
	b.Do(
		chromedp.WaitVisible(chromedp.CSS(`form[action^="/login"] input[name="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`form[action^="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="code"]`)),
	)
	b.Screenshot("otp")
	b.Do(
		chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), getCode()),
		chromedp.Click(chromedp.CSS(`form[action="/login/otp"] button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/login/otp"]`)),
	)
}

// mailCode waits for a one-time-code mail to addr that arrived after since
// mails had.
func mailCode(t *testing.T, in *apptest.Instance, addr string, since int) string {
	m := in.Mail.WaitFor(t, addr, func(m mailtest.Mail) bool { return m.Code() != "" && in.Mail.Count(addr) > since }, 20*time.Second)
	return m.Code()
}

// TestRegistrationToFirstSignIn walks the whole way in: a person registers,
// an approver (in a second browser) approves from the link in the mail, the
// person sets a password from the welcome link and signs in with an e-mailed
// code, sees their recovery codes once and lands on their cases.
func TestRegistrationToFirstSignIn(t *testing.T) {
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			in := apptest.Start(t)
			acc := in.Account(t, "株式会社テスト")
			approver := in.User(t, apptest.UserSpec{AccountID: acc.ID, Approver: true, Ready: true, Language: tc.lang})
			email := "new." + tc.lang + "@customer.example"

			// The registrant fills in the form.
			reg := browsertest.New(t, "registrant")
			reg.Do(chromedp.Navigate(in.URL + "/register"))
			switchLanguage(reg, tc.lang)
			ident := acc.Identifier
			if tc.fullWidth {
				ident = fullWidth(ident)
			}
			fill(reg, map[string]string{
				"customer_identifier": ident, "name": tc.name, "email": email,
				"phone": "03-1234-5678", "mobile": "090-1234-5678",
			})
			reg.Do(chromedp.Click(chromedp.CSS(`input[name="otp_method"][value="email"]`)))
			reg.Screenshot("register-filled")
			reg.Do(
				chromedp.Click(chromedp.CSS(`form[action="/register"] button[type="submit"]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`form[action="/register"]`)),
			)
			reg.Screenshot("register-sent")

			// The approver follows the link in the mail, signs in, approves.
			approvalMail := in.Mail.WaitFor(t, approver.Email, func(m mailtest.Mail) bool {
				return m.Link("/approvals/") != ""
			}, 20*time.Second)
			if !strings.Contains(approvalMail.Text, tc.name) {
				t.Errorf("approval mail does not name the registrant:\n%s", approvalMail.Text)
			}
			appr := browsertest.New(t, "approver")
			appr.Do(chromedp.Navigate(approvalMail.Link("/approvals/")))
			seen := in.Mail.Count(approver.Email)
			signIn(appr, approver.Email, approver.Password, func() string { return mailCode(t, in, approver.Email, seen) })
			appr.Do(chromedp.WaitVisible(chromedp.CSS(`form[action$="/approve"] button[type="submit"]`)))
			appr.Screenshot("approval-page")
			if !strings.Contains(appr.Location(), "/approvals/") {
				t.Fatalf("after sign-in the approver is at %s, not back on the approval page", appr.Location())
			}
			appr.Do(
				chromedp.Click(chromedp.CSS(`form[action$="/approve"] button[type="submit"]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/approve"]`)),
			)
			appr.Screenshot("approved")

			// The registrant sets a password from the welcome link.
			welcome := in.Mail.WaitFor(t, email, func(m mailtest.Mail) bool { return m.Link("/welcome/") != "" }, 20*time.Second)
			password := "sakura-mochi-" + tc.lang + "-2026"
			reg.Do(chromedp.Navigate(welcome.Link("/welcome/")))
			fill(reg, map[string]string{"new_password": password, "confirm_password": password})
			reg.Do(chromedp.Click(chromedp.CSS(`input[name="accept_terms"]`)))
			reg.Screenshot("welcome-filled")
			reg.Do(
				chromedp.Click(chromedp.CSS(`form[action^="/welcome/"] button[type="submit"]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`form[action^="/welcome/"]`)),
			)

			// First sign-in with an e-mailed code, typed in full width in ja.
			if !strings.Contains(reg.Location(), "/login") {
				reg.Do(chromedp.Navigate(in.URL + "/login"))
			}
			seen = in.Mail.Count(email)
			signIn(reg, email, password, func() string {
				code := mailCode(t, in, email, seen)
				if tc.fullWidth {
					code = fullWidth(code)
				}
				return code
			})
			// Pairing the e-mail factor shows the recovery codes once.
			reg.Do(chromedp.WaitVisible(chromedp.CSS(`.code-list`)))
			reg.Screenshot("recovery-codes")
			codes := reg.Text(".code-list")
			if n := len(strings.Fields(codes)); n != portal.RecoveryCodeNum {
				t.Errorf("recovery codes shown: %d, want %d (%q)", n, portal.RecoveryCodeNum, codes)
			}
			reg.Do(
				chromedp.Click(chromedp.CSS(`.recovery-continue`)),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="`+tc.lang+`"]`)),
			)
			if loc := reg.Location(); !strings.HasSuffix(loc, "/cases") {
				t.Fatalf("after the first sign-in the registrant is at %s, want /cases", loc)
			}
			reg.Screenshot("cases")
		})
	}
}

// TestTOTPPairing pairs an authenticator app with a code computed from the
// secret the page shows, then signs in again with the app.
func TestTOTPPairing(t *testing.T) {
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			in := apptest.Start(t)
			acc := in.Account(t, "Acme")
			u := in.User(t, apptest.UserSpec{AccountID: acc.ID, OTP: portal.OTPApp, Language: tc.lang, Name: tc.name})

			b := browsertest.New(t, "user")
			b.Do(chromedp.Navigate(in.URL + "/login"))
			b.Do(
				chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), u.Email),
				chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), u.Password),
				chromedp.Click(chromedp.CSS(`form[action^="/login"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name="accept_terms"]`)),
			)
			b.Screenshot("terms")
			b.Do(
				chromedp.Click(chromedp.CSS(`input[name="accept_terms"]`)),
				chromedp.Click(chromedp.CSS(`form[action="/terms"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.ID("totp-secret")),
			)
			b.Screenshot("pairing")
			secret := strings.ReplaceAll(b.Text("#totp-secret"), " ", "")
			if len(secret) < 16 {
				t.Fatalf("#totp-secret = %q", secret)
			}
			code := auth.TOTPCode(secret, time.Now())
			if tc.fullWidth {
				code = fullWidth(code)
			}
			b.Do(
				chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code),
				chromedp.Click(chromedp.CSS(`form[action="/mfa/setup"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`.code-list`)),
			)
			b.Screenshot("recovery-codes")
			b.Do(chromedp.Click(chromedp.CSS(`.recovery-continue`)), chromedp.WaitVisible(chromedp.CSS(`main`)))
			if loc := b.Location(); !strings.HasSuffix(loc, "/cases") {
				t.Fatalf("after pairing the user is at %s, want /cases", loc)
			}

			// Sign out and in again with the app. The pairing code's step is
			// spent, so use the next one.
			b.Do(
				chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
				chromedp.WaitVisible(chromedp.CSS(`form[action^="/login"] input[name="email"]`)),
			)
			signIn(b, u.Email, u.Password, func() string { return auth.TOTPCode(secret, time.Now().Add(30*time.Second)) })
			b.Do(chromedp.WaitVisible(chromedp.CSS(`main`)))
			if loc := b.Location(); !strings.HasSuffix(loc, "/cases") {
				t.Fatalf("after signing in with the app the user is at %s, want /cases", loc)
			}
			b.Screenshot("signed-in")
		})
	}
}
