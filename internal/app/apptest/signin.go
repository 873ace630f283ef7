package apptest

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
)

// SignIn signs u in on c the way a person does: the password, then the
// second factor (the code e-mailed on the spot, or a TOTP code computed from
// u.TOTPSecret), then whatever steps are due (a new password for a temporary
// one, the terms, pairing a factor, the recovery codes). It keeps u up to
// date (a changed password, a paired secret, new recovery codes) and fails
// the test unless the person lands on /cases or /agent/queue.
//
// TOTP codes are never accepted twice, so signing the same user in again
// within 30 seconds uses the next step's code (accepted as clock skew) or
// waits for a fresh step. E-mailed codes are limited to 10 sign-ins per user
// every 10 minutes.
func (in *Instance) SignIn(t testing.TB, c *Client, u *TestUser) {
	t.Helper()
	in.signIn(t, c, u, "", "/cases", "/agent/queue")
}

// SignInTo signs u in from the sign-in page a signed-out person was sent to
// on their way to next (/login?next=…), and fails the test unless they land
// on next.
func (in *Instance) SignInTo(t testing.TB, c *Client, u *TestUser, next string) {
	t.Helper()
	if r := c.Get("/login?next=" + url.QueryEscape(next)); r.Status != 200 {
		t.Fatalf("SignInTo %s: GET /login = %d", u.Email, r.Status)
	}
	in.signIn(t, c, u, next, next)
}

func (in *Instance) signIn(t testing.TB, c *Client, u *TestUser, next string, want ...string) {
	t.Helper()
	seen := in.seenMails()
	vals := url.Values{"email": {u.Email}, "password": {u.Password}}
	if next != "" {
		vals.Set("next", next)
	}
	r := c.PostForm("/login", vals)
	if r.Status != 303 {
		t.Fatalf("SignIn %s: POST /login = %d, want 303\n%s", u.Email, r.Status, r.Body)
	}
	loc := r.Location
	for range 12 {
		if slices.Contains(want, loc) {
			if got := c.Get(loc); got.Status != 200 {
				t.Fatalf("SignIn %s: GET %s = %d after signing in", u.Email, loc, got.Status)
			}
			return
		}
		switch loc {
		case "/login/otp":
			code := in.secondFactorCode(t, u, seen)
			r = c.PostForm("/login/otp", url.Values{"code": {code}})
		case "/password/change":
			newPassword := u.Password + " renewed"
			r = c.PostForm("/password/change", url.Values{"current_password": {u.Password},
				"new_password": {newPassword}, "confirm_password": {newPassword}})
			if r.Status == 303 {
				u.Password = newPassword
				u.MustChangePassword = false
			}
		case "/terms":
			r = c.PostForm("/terms", url.Values{"accept_terms": {"1"}})
		case "/mfa/setup":
			r = in.completeSetup(t, c, u)
		case "/":
			r = c.Get("/")
		default:
			t.Fatalf("SignIn %s: ended on %q, want %s", u.Email, loc, strings.Join(want, " or "))
		}
		if r.Status != 303 {
			t.Fatalf("SignIn %s: step %s answered %d, want 303\n%s", u.Email, loc, r.Status, r.Body)
		}
		loc = r.Location
	}
	t.Fatalf("SignIn %s: too many steps, last at %q", u.Email, loc)
}

// seenMails returns a key for every mail received so far, so that a later
// wait picks only a new one.
func (in *Instance) seenMails() map[string]bool {
	seen := map[string]bool{}
	for _, m := range in.Mail.Messages() {
		seen[mailKey(m)] = true
	}
	return seen
}

func mailKey(m mailtest.Mail) string {
	if id := m.Header.Get("Message-Id"); id != "" {
		return id
	}
	return string(m.Raw)
}

// waitCode returns the code of the first code mail to u not in seen, and
// marks it seen.
func (in *Instance) waitCode(t testing.TB, u *TestUser, seen map[string]bool) string {
	t.Helper()
	m := in.Mail.WaitFor(t, u.Email, func(m mailtest.Mail) bool {
		return !seen[mailKey(m)] && m.Code() != ""
	}, 15*time.Second)
	seen[mailKey(m)] = true
	return m.Code()
}

// secondFactorCode returns a code that /login/otp accepts now for u.
func (in *Instance) secondFactorCode(t testing.TB, u *TestUser, seen map[string]bool) string {
	t.Helper()
	fresh, err := in.Store.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.OTPMethod == portal.OTPEmail {
		return in.waitCode(t, u, seen)
	}
	if u.TOTPSecret == "" {
		t.Fatalf("SignIn %s: an authenticator code is asked for but the test user has no TOTP secret", u.Email)
	}
	return FreshTOTPCode(t, in, u)
}

// FreshTOTPCode returns a TOTP code for u that the server has not seen yet:
// the current step's if it is newer than the last step used, else the next
// step's (within the accepted skew), else it waits for the next step.
func FreshTOTPCode(t testing.TB, in *Instance, u *TestUser) string {
	t.Helper()
	for range 3 {
		fresh, err := in.Store.UserByID(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		cur := auth.TOTPStep(now)
		switch {
		case cur > fresh.TOTPLastStep:
			return auth.TOTPCode(u.TOTPSecret, now)
		case cur+1 > fresh.TOTPLastStep:
			return auth.TOTPCode(u.TOTPSecret, now.Add(30*time.Second))
		}
		time.Sleep(time.Unix((cur+1)*30, 0).Sub(now) + 50*time.Millisecond)
	}
	t.Fatalf("FreshTOTPCode %s: no unused TOTP step", u.Email)
	return ""
}

var (
	secretRE   = regexp.MustCompile(`id="totp-secret"[^>]*>([^<]*)<`)
	recoveryRE = regexp.MustCompile(`<code>([2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4})</code>`)
)

// TOTPSecretOf returns the secret shown in #totp-secret on a page, without
// the spaces it is grouped with, or "".
func TOTPSecretOf(body string) string {
	m := secretRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(html.UnescapeString(m[1])), "")
}

// RecoveryCodesOf returns the recovery codes listed on a page.
func RecoveryCodesOf(body string) []string {
	var codes []string
	for _, m := range recoveryRE.FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// completeSetup does what /mfa/setup asks: note the recovery codes it shows,
// or pair the user's method (choosing e-mail when they have none).
func (in *Instance) completeSetup(t testing.TB, c *Client, u *TestUser) *Response {
	t.Helper()
	page := c.Get("/mfa/setup")
	if page.Status == 303 {
		return page
	}
	if page.Status != 200 {
		t.Fatalf("SignIn %s: GET /mfa/setup = %d", u.Email, page.Status)
	}
	if codes := RecoveryCodesOf(page.Body); len(codes) > 0 {
		u.RecoveryCodes = codes
		return c.Get("/")
	}
	if secret := TOTPSecretOf(page.Body); secret != "" {
		r := c.PostForm("/mfa/setup", url.Values{"code": {auth.TOTPCode(secret, time.Now())}})
		if r.Status == 303 {
			u.TOTPSecret = secret
		}
		return r
	}
	if strings.Contains(page.Body, `name="otp_method"`) && !strings.Contains(page.Body, `name="code"`) {
		if r := c.PostForm("/mfa/setup", url.Values{"otp_method": {"email"}}); r.Status != 303 {
			return r
		}
	}
	seen := in.seenMails()
	if r := c.PostForm("/mfa/setup", url.Values{"send": {"1"}}); r.Status != 303 {
		return r
	}
	return c.PostForm("/mfa/setup", url.Values{"code": {in.waitCode(t, u, seen)}})
}
