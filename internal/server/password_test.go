package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// siResetLink asks for a reset link for u and returns it from the mail.
func siResetLink(t *testing.T, in *apptest.Instance, c *apptest.Client, email string) string {
	t.Helper()
	seen := siSeen(in)
	siExpect(t, "POST /password/forgot", c.PostForm("/password/forgot", url.Values{"email": {email}}), 303, "/password/forgot/sent")
	m := siWaitMail(t, in, email, seen, func(m mailtest.Mail) bool { return m.Link("/password/reset/") != "" })
	return m.Link("/password/reset/")
}

func siPath(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestPassword_ForgotAnswersAlike(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	disabled := siCustomer(t, in, apptest.UserSpec{Ready: true})
	if err := in.Store.SetContactStatus(context.Background(), disabled.AccountID, disabled.ID, portal.StatusDisabled, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	c := in.Client(t)
	page := c.Get("/password/forgot")
	if page.Status != 200 || !strings.Contains(page.Body, `name="email"`) {
		t.Fatalf("GET /password/forgot = %d", page.Status)
	}
	var answers []*apptest.Response
	for _, email := range []string{u.Email, "nobody@example.test", disabled.Email, "ＮＯＢＯＤＹ２＠example.test"} {
		answers = append(answers, c.PostForm("/password/forgot", url.Values{"email": {email}}))
	}
	for i, r := range answers {
		if r.Status != 303 || r.Location != "/password/forgot/sent" {
			t.Errorf("answer #%d = %d → %q, want 303 → /password/forgot/sent", i, r.Status, r.Location)
		}
	}
	sent := c.Get("/password/forgot/sent")
	if sent.Status != 200 || !strings.Contains(sent.Body, "If an account exists") {
		t.Errorf("GET /password/forgot/sent = %d", sent.Status)
	}
	if r := c.PostForm("/password/forgot", url.Values{"email": {"not an address"}}); r.Status != 422 {
		t.Errorf("invalid address = %d, want 422", r.Status)
	}

	m := in.Mail.WaitFor(t, u.Email, func(m mailtest.Mail) bool { return m.Link("/password/reset/") != "" }, 15*time.Second)
	if !strings.HasPrefix(m.Link("/password/reset/"), in.URL+"/password/reset/") {
		t.Errorf("reset link %q is not BASE_URL + /password/reset/…", m.Link("/password/reset/"))
	}
	time.Sleep(300 * time.Millisecond) // let any other (wrong) mail arrive
	for _, msg := range in.Mail.Messages() {
		for _, to := range msg.To {
			if to != u.Email {
				t.Errorf("a reset mail went to %s", to)
			}
		}
	}
}

func TestPassword_ForgotCappedPerAddress(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	start := time.Now()
	for i := 1; i <= 5; i++ {
		r := c.PostForm("/password/forgot", url.Values{"email": {u.Email}})
		siExpect(t, "POST /password/forgot", r, 303, "/password/forgot/sent")
	}
	in.Mail.WaitFor(t, u.Email, func(mailtest.Mail) bool { return in.Mail.Count(u.Email) >= 3 }, 15*time.Second)
	time.Sleep(time.Second) // the fourth and fifth must never come
	if siCrossed(start, time.Hour) {
		t.Skip("the hourly rate-limit window ended during the test")
	}
	if n := in.Mail.Count(u.Email); n != 3 {
		t.Fatalf("%d reset mails in an hour, want 3", n)
	}
}

func TestPassword_ForgotLinkIgnoresHostHeader(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	req, err := http.NewRequest(http.MethodPost, in.URL+"/password/forgot", strings.NewReader(url.Values{"email": {u.Email}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	r := c.Do(req)
	if r.Status != 303 {
		t.Fatalf("POST /password/forgot with Host: evil.example = %d", r.Status)
	}
	m := in.Mail.WaitFor(t, u.Email, func(m mailtest.Mail) bool { return m.Link("/password/reset/") != "" }, 15*time.Second)
	if strings.Contains(m.Text, "evil.example") || !strings.HasPrefix(m.Link("/password/reset/"), in.URL+"/") {
		t.Fatalf("the reset link follows the Host header:\n%s", m.Text)
	}
}

func TestPassword_Reset(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp, MustChange: true})
	// A session elsewhere, mid sign-in (the temporary password was known).
	other := in.Client(t)
	siExpect(t, "POST /login elsewhere", siLogin(other, u), 303, "/login/otp")

	c := in.Client(t)
	siExpect(t, "GET unknown link", c.Get("/password/reset/not-a-real-token"), 404, "")
	path := siPath(t, siResetLink(t, in, c, u.Email))
	page := c.Get(path)
	if page.Status != 200 || !strings.Contains(page.Body, `name="new_password"`) || !strings.Contains(page.Body, u.Email) {
		t.Fatalf("GET %s = %d", path, page.Status)
	}
	r := c.PostForm(path, url.Values{"new_password": {"password1234"}, "confirm_password": {"password1234"}})
	if r.Status != 422 || !strings.Contains(r.Body, `id="e-new_password"`) {
		t.Fatalf("a common password = %d, want 422 beside new_password", r.Status)
	}
	r = c.PostForm(path, url.Values{"new_password": {"short"}, "confirm_password": {"short"}})
	if r.Status != 422 || !strings.Contains(r.Body, "at least 12 characters") {
		t.Fatalf("a short password = %d, want 422 saying the minimum", r.Status)
	}
	newPassword := "a freshly reset passphrase"
	r = c.PostForm(path, url.Values{"new_password": {newPassword}, "confirm_password": {newPassword}})
	siExpect(t, "POST reset", r, 303, "/login")
	if page := c.Get("/login"); !strings.Contains(page.Body, "Your password has been reset.") {
		t.Error("no flash after resetting")
	}
	// Single use.
	if r := c.Get(path); r.Status != 410 || !strings.Contains(r.Body, "already been used or has expired") {
		t.Fatalf("GET a used link = %d, want 410", r.Status)
	}
	if r := c.PostForm(path, url.Values{"new_password": {newPassword + "x"}, "confirm_password": {newPassword + "x"}}); r.Status != 410 {
		t.Fatalf("POST a used link = %d, want 410", r.Status)
	}
	// The other session has ended.
	siExpect(t, "GET /login/otp elsewhere", other.Get("/login/otp"), 303, "/login")
	// The old password is gone, the new one works, and it is no longer temporary.
	if r := c.PostForm("/login", url.Values{"email": {u.Email}, "password": {u.Password}}); r.Status != 422 {
		t.Errorf("old password after reset = %d, want 422", r.Status)
	}
	u.Password = newPassword
	siExpect(t, "POST /login new password", siLogin(c, u), 303, "/login/otp")
	siExpect(t, "POST /login/otp", c.PostForm("/login/otp", url.Values{"code": {apptest.FreshTOTPCode(t, in, u)}}), 303, "/cases")

	// An expired link says so too.
	path = siPath(t, siResetLink(t, in, in.Client(t), u.Email))
	if _, err := in.Store.Pool().Exec(context.Background(), `UPDATE user_tokens SET expires_at = now() - interval '1 second'
		WHERE purpose = 'reset' AND used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if r := in.Client(t).Get(path); r.Status != 410 {
		t.Fatalf("GET an expired link = %d, want 410", r.Status)
	}
}

func TestPassword_ResetEndsSignedInSessions(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	signedIn := in.Client(t)
	in.SignIn(t, signedIn, u)
	c := in.Client(t)
	path := siPath(t, siResetLink(t, in, c, u.Email))
	newPassword := "yet another passphrase"
	siExpect(t, "POST reset", c.PostForm(path, url.Values{"new_password": {newPassword}, "confirm_password": {newPassword}}), 303, "/login")
	siExpect(t, "GET /cases after reset", signedIn.Get("/cases"), 303, "/login?next=%2Fcases")
	m := in.Mail.WaitFor(t, u.Email, func(m mailtest.Mail) bool { return m.Subject == "Your password was changed" }, 15*time.Second)
	if m.Code() != "" {
		t.Errorf("the notice holds something that looks like a code:\n%s", m.Text)
	}
}

func TestPassword_ChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	a, b := in.Client(t), in.Client(t)
	in.SignIn(t, a, u)
	in.SignIn(t, b, u)
	before := a.Cookies()

	page := a.Get("/password/change")
	if page.Status != 200 || !strings.Contains(page.Body, `name="current_password"`) {
		t.Fatalf("GET /password/change signed in = %d", page.Status)
	}
	newPassword := "my own new passphrase"
	r := a.PostForm("/password/change", url.Values{"current_password": {u.Password}, "new_password": {newPassword}, "confirm_password": {newPassword}})
	siExpect(t, "POST /password/change", r, 303, "/account")
	if page := a.Get("/account"); page.Status != 200 || !strings.Contains(page.Body, "Your password has been changed.") {
		t.Fatalf("GET /account after changing = %d (this session must continue, with a flash)", page.Status)
	}
	if after := a.Cookies(); len(before) > 0 && len(after) > 0 && before[0].Value == after[0].Value {
		t.Error("the session token was not renewed")
	}
	siExpect(t, "GET /cases in the other session", b.Get("/cases"), 303, "/login?next=%2Fcases")
	in.Mail.WaitFor(t, u.Email, func(m mailtest.Mail) bool { return m.Subject == "Your password was changed" }, 15*time.Second)
	u.Password = newPassword
	in.SignIn(t, in.Client(t), u)
}
