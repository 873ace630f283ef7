package server_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/auth"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// siMailKey identifies a received mail, for waiting on a newer one.
func siMailKey(m mailtest.Mail) string {
	if id := m.Header.Get("Message-Id"); id != "" {
		return id
	}
	return string(m.Raw)
}

// siSeen marks every mail received so far.
func siSeen(in *apptest.Instance) map[string]bool {
	seen := map[string]bool{}
	for _, m := range in.Mail.Messages() {
		seen[siMailKey(m)] = true
	}
	return seen
}

// siWaitMail waits for a mail to `to` not in seen that match accepts.
func siWaitMail(t *testing.T, in *apptest.Instance, to string, seen map[string]bool, match func(mailtest.Mail) bool) mailtest.Mail {
	t.Helper()
	m := in.Mail.WaitFor(t, to, func(m mailtest.Mail) bool {
		return !seen[siMailKey(m)] && (match == nil || match(m))
	}, 15*time.Second)
	seen[siMailKey(m)] = true
	return m
}

// siWaitCode waits for a new one-time code mailed to to.
func siWaitCode(t *testing.T, in *apptest.Instance, to string, seen map[string]bool) string {
	t.Helper()
	return siWaitMail(t, in, to, seen, func(m mailtest.Mail) bool { return m.Code() != "" }).Code()
}

// siCustomer creates an organization and a customer contact in it.
func siCustomer(t *testing.T, in *apptest.Instance, spec apptest.UserSpec) *apptest.TestUser {
	t.Helper()
	if spec.AccountID == 0 && (spec.Role == "" || spec.Role == portal.RoleCustomer) {
		spec.AccountID = in.Account(t, "Acme 株式会社").ID
	}
	return in.User(t, spec)
}

func siLogin(c *apptest.Client, u *apptest.TestUser) *apptest.Response {
	return c.PostForm("/login", url.Values{"email": {u.Email}, "password": {u.Password}})
}

// siWrongTOTP returns a 6-digit code that is not valid for secret now nor
// one step either side.
func siWrongTOTP(secret string) string {
	now := time.Now()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if c != auth.TOTPCode(secret, now.Add(-30*time.Second)) && c != auth.TOTPCode(secret, now) &&
			c != auth.TOTPCode(secret, now.Add(30*time.Second)) && c != auth.TOTPCode(secret, now.Add(60*time.Second)) {
			return c
		}
	}
	panic("unreachable")
}

// siCrossed reports whether a fixed rate-limit window of length window
// ended between start and now, which restarts the count.
func siCrossed(start time.Time, window time.Duration) bool {
	return !time.Now().Truncate(window).Equal(start.Truncate(window))
}

func siExpect(t *testing.T, what string, r *apptest.Response, status int, location string) {
	t.Helper()
	if r.Status != status || (location != "" && r.Location != location) {
		t.Fatalf("%s = %d → %q, want %d → %q\n%s", what, r.Status, r.Location, status, location, r.Body)
	}
}

func TestSignIn_EmailCode(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, Name: "山田 太郎"})
	c := in.Client(t)
	seen := siSeen(in)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	m := siWaitMail(t, in, u.Email, seen, nil)
	if m.Subject != "One-time passcode for 山田 太郎" {
		t.Errorf("subject %q", m.Subject)
	}
	code := m.Code()
	if code == "" {
		t.Fatalf("no single 6-digit code in the mail:\n%s", m.Text)
	}
	if r := c.Get("/login/otp"); r.Status != 200 || !strings.Contains(r.Body, `name="code"`) {
		t.Fatalf("GET /login/otp = %d", r.Status)
	}
	siExpect(t, "POST /login/otp", c.PostForm("/login/otp", url.Values{"code": {code}}), 303, "/cases")
	siExpect(t, "GET /cases", c.Get("/cases"), 200, "")
}

func TestSignIn_EmailCodeJapanese(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, Name: "山田 花子", Language: "ja"})
	c := in.Client(t)
	seen := siSeen(in)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	m := siWaitMail(t, in, u.Email, seen, nil)
	if m.Subject != "ワンタイムパスコード: 山田 花子 様" {
		t.Errorf("subject %q", m.Subject)
	}
	code := m.Code()
	if code == "" {
		t.Fatalf("no single 6-digit code in the mail:\n%s", m.Text)
	}
	// Typed with the IME on: full-width digits and an ideographic space.
	wide := strings.Map(func(r rune) rune { return r - '0' + '０' }, code[:3]) + "\u3000" +
		strings.Map(func(r rune) rune { return r - '0' + '０' }, code[3:])
	siExpect(t, "POST /login/otp (full width)", c.PostForm("/login/otp", url.Values{"code": {wide}}), 303, "/cases")
}

func TestSignIn_TOTP(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	r := c.Get("/login/otp")
	if r.Status != 200 || !strings.Contains(r.Body, "authenticator app") {
		t.Fatalf("GET /login/otp = %d, no authenticator instructions", r.Status)
	}
	for _, want := range []string{`action="/logout"`, "recovery code"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("second-factor page lacks %q", want)
		}
	}
	siExpect(t, "POST /login/otp", c.PostForm("/login/otp", url.Values{"code": {auth.TOTPCode(u.TOTPSecret, time.Now())}}), 303, "/cases")
	if n := in.Mail.Count(u.Email); n != 0 {
		t.Errorf("%d mails sent to an authenticator-app user", n)
	}
}

func TestSignIn_HelperSignsInTwice(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	in.SignIn(t, in.Client(t), u)
	// The same user again at once: the helper must not replay the step.
	in.SignIn(t, in.Client(t), u)
	e := siCustomer(t, in, apptest.UserSpec{Ready: true})
	in.SignIn(t, in.Client(t), e)
	in.SignIn(t, in.Client(t), e)
}

func TestSignIn_ReplayedTOTPRefused(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	code := apptest.FreshTOTPCode(t, in, u)
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	siExpect(t, "POST /login/otp", c.PostForm("/login/otp", url.Values{"code": {code}}), 303, "/cases")

	// Someone who saw the code over a shoulder tries it at once.
	c2 := in.Client(t)
	siExpect(t, "POST /login (2)", siLogin(c2, u), 303, "/login/otp")
	r := c2.PostForm("/login/otp", url.Values{"code": {code}})
	if r.Status != 422 || !strings.Contains(r.Body, "That code is not valid") {
		t.Fatalf("replayed TOTP code = %d, want 422 with a message", r.Status)
	}
}

func TestSignIn_ConcurrentTOTPAcceptedOnce(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	code := apptest.FreshTOTPCode(t, in, u)
	const n = 5
	clients := make([]*apptest.Client, n)
	for i := range clients {
		clients[i] = in.Client(t)
		siExpect(t, "POST /login", siLogin(clients[i], u), 303, "/login/otp")
	}
	results := make(chan int, n)
	for _, c := range clients {
		go func() { results <- c.PostForm("/login/otp", url.Values{"code": {code}}).Status }()
	}
	ok := 0
	for range n {
		if <-results == 303 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent uses of one TOTP code succeeded, want 1", ok, n)
	}
}

func TestSignIn_ReplayedEmailCodeRefused(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	seen := siSeen(in)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	code := siWaitCode(t, in, u.Email, seen)
	siExpect(t, "POST /login/otp", c.PostForm("/login/otp", url.Values{"code": {code}}), 303, "/cases")
	siExpect(t, "POST /logout", c.PostForm("/logout", nil), 303, "/login")

	siExpect(t, "POST /login (2)", siLogin(c, u), 303, "/login/otp")
	siWaitCode(t, in, u.Email, seen) // a new code was sent; the old one is spent
	if r := c.PostForm("/login/otp", url.Values{"code": {code}}); r.Status != 422 {
		t.Fatalf("replayed e-mailed code = %d, want 422", r.Status)
	}
}

func TestSignIn_ResendInvalidatesPreviousCode(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	seen := siSeen(in)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	first := siWaitCode(t, in, u.Email, seen)
	siExpect(t, "POST /login/otp/resend", c.PostForm("/login/otp/resend", nil), 303, "/login/otp")
	if r := c.Get("/login/otp"); !strings.Contains(r.Body, "We have sent a new code") {
		t.Error("no flash after resending")
	}
	second := siWaitCode(t, in, u.Email, seen)
	if first != second {
		if r := c.PostForm("/login/otp", url.Values{"code": {first}}); r.Status != 422 {
			t.Fatalf("the code sent before the resend = %d, want 422", r.Status)
		}
	}
	siExpect(t, "POST /login/otp (new code)", c.PostForm("/login/otp", url.Values{"code": {second}}), 303, "/cases")
}

func TestSignIn_ResendLimited(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	start := time.Now()
	for range 5 {
		siExpect(t, "POST /login/otp/resend", c.PostForm("/login/otp/resend", nil), 303, "/login/otp")
	}
	r := c.PostForm("/login/otp/resend", nil)
	if siCrossed(start, 10*time.Minute) {
		t.Skip("the 10-minute rate-limit window ended during the test")
	}
	if r.Status != 429 || !strings.Contains(r.Body, "try again after") {
		t.Fatalf("6th resend in 10 minutes = %d, want 429 saying when", r.Status)
	}
}

func TestSignIn_WrongCodeAndLockout(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	wrong := siWrongTOTP(u.TOTPSecret)
	for i := 1; i <= 4; i++ {
		r := c.PostForm("/login/otp", url.Values{"code": {wrong}})
		if r.Status != 422 || !strings.Contains(r.Body, "That code is not valid") {
			t.Fatalf("wrong code #%d = %d, want 422 with a message", i, r.Status)
		}
	}
	r := c.PostForm("/login/otp", url.Values{"code": {wrong}})
	if r.Status != 429 || !regexp.MustCompile(`try again after \d{1,2}:\d{2}`).MatchString(r.Body) {
		t.Fatalf("5th wrong code = %d, want 429 with the time to retry\n%s", r.Status, r.Body)
	}
	// While locked even the right code is refused, without counting.
	r = c.PostForm("/login/otp", url.Values{"code": {apptest.FreshTOTPCode(t, in, u)}})
	if r.Status != 429 {
		t.Fatalf("right code while locked = %d, want 429", r.Status)
	}
	if fresh, _ := in.Store.UserByID(context.Background(), u.ID); fresh.OTPFailures != 5 {
		t.Errorf("failures = %d, want 5", fresh.OTPFailures)
	}
}

func TestSignIn_LockedAfterMaxFailures(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	ctx := context.Background()
	// 99 failures spread over days, the last lock expired.
	if _, err := in.Store.Pool().Exec(ctx, `UPDATE users SET otp_failures = $2, otp_locked_until = NULL WHERE id = $1`,
		u.ID, portal.MaxOTPFailures-1); err != nil {
		t.Fatal(err)
	}
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	r := c.PostForm("/login/otp", url.Values{"code": {siWrongTOTP(u.TOTPSecret)}})
	if r.Status != 429 || !strings.Contains(r.Body, "contact your account administrator") {
		t.Fatalf("100th wrong code = %d, want 429 telling to contact the administrator\n%s", r.Status, r.Body)
	}
	if _, err := in.Store.Pool().Exec(ctx, `UPDATE users SET otp_locked_until = NULL WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	r = c.PostForm("/login/otp", url.Values{"code": {apptest.FreshTOTPCode(t, in, u)}})
	if r.Status != 429 || !strings.Contains(r.Body, "contact your account administrator") {
		t.Fatalf("right code after 100 failures = %d, want 429 (locked until reset)", r.Status)
	}
	if r := c.Get("/login/otp"); !strings.Contains(r.Body, "contact your account administrator") {
		t.Error("the second-factor page does not say the factor is locked")
	}
	// A reset by an administrator unlocks it: the user pairs again.
	if err := in.Store.ResetMFA(ctx, u.ID, store.Mail{To: u.Email, Subject: "reset", Text: "reset"}, store.Audit{Action: "mfa.reset"}); err != nil {
		t.Fatal(err)
	}
	u.TOTPSecret = ""
	in.SignIn(t, in.Client(t), u)
	if u.TOTPSecret == "" {
		t.Error("after a reset the user signed in without pairing again")
	}
}

// siNonceRE matches what differs between any two answers: the CSP nonce.
var siNonceRE = regexp.MustCompile(`nonce="[^"]*"`)

func TestSignIn_UnknownAddressLooksLikeWrongPassword(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	wrong := c.PostForm("/login", url.Values{"email": {u.Email}, "password": {"not the password at all"}})
	unknown := c.PostForm("/login", url.Values{"email": {"nobody-" + u.Email}, "password": {"not the password at all"}})
	if wrong.Status != 422 || unknown.Status != 422 {
		t.Fatalf("wrong password = %d, unknown address = %d, want 422 both", wrong.Status, unknown.Status)
	}
	a := siNonceRE.ReplaceAllString(strings.ReplaceAll(wrong.Body, u.Email, "ADDRESS"), "")
	b := siNonceRE.ReplaceAllString(strings.ReplaceAll(unknown.Body, "nobody-"+u.Email, "ADDRESS"), "")
	if a != b {
		t.Fatalf("bodies differ:\n--- wrong password\n%s\n--- unknown address\n%s", a, b)
	}
	if !strings.Contains(a, "The e-mail address or password is incorrect.") {
		t.Error("no message on a failed sign-in")
	}

	// Disabled and invited users get the very same answer, even with the right password.
	disabled := siCustomer(t, in, apptest.UserSpec{Ready: true})
	if err := in.Store.SetContactStatus(context.Background(), disabled.AccountID, disabled.ID, portal.StatusDisabled, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	r := c.PostForm("/login", url.Values{"email": {disabled.Email}, "password": {disabled.Password}})
	if got := siNonceRE.ReplaceAllString(strings.ReplaceAll(r.Body, disabled.Email, "ADDRESS"), ""); r.Status != 422 || got != a {
		t.Errorf("disabled user's sign-in = %d, differs from a wrong password", r.Status)
	}
	invited, err := in.Store.CreateUser(context.Background(), store.NewUser{AccountID: disabled.AccountID,
		Email: "invited-" + disabled.Email, Name: "Invited", Role: portal.RoleCustomer, Status: portal.StatusInvited})
	if err != nil {
		t.Fatal(err)
	}
	r = c.PostForm("/login", url.Values{"email": {invited.Email}, "password": {""}})
	if r.Status != 422 {
		t.Errorf("invited user with an empty password = %d, want 422", r.Status)
	}
	r = c.PostForm("/login", url.Values{"email": {invited.Email}, "password": {"anything at all 123"}})
	if got := siNonceRE.ReplaceAllString(strings.ReplaceAll(r.Body, invited.Email, "ADDRESS"), ""); r.Status != 422 || got != a {
		t.Errorf("invited user's sign-in = %d, differs from a wrong password", r.Status)
	}
}

func TestSignIn_PasswordLockout(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	for i := 1; i <= 5; i++ {
		if r := c.PostForm("/login", url.Values{"email": {u.Email}, "password": {"wrong password here"}}); r.Status != 422 {
			t.Fatalf("wrong password #%d = %d, want 422", i, r.Status)
		}
	}
	r := c.PostForm("/login", url.Values{"email": {u.Email}, "password": {"wrong password here"}})
	if r.Status != 429 || !regexp.MustCompile(`try again after \d{1,2}:\d{2}`).MatchString(r.Body) {
		t.Fatalf("6th wrong password = %d, want 429 with the time\n%s", r.Status, r.Body)
	}
	// The address is locked, typed in any case or width, even with the right password.
	upper := strings.ToUpper(u.Email)
	if r := c.PostForm("/login", url.Values{"email": {upper}, "password": {u.Password}}); r.Status != 429 {
		t.Fatalf("right password while locked = %d, want 429", r.Status)
	}
	// Unknown addresses lock the same way.
	for i := 1; i <= 6; i++ {
		r = c.PostForm("/login", url.Values{"email": {"ghost@example.test"}, "password": {"wrong password here"}})
	}
	if r.Status != 429 {
		t.Fatalf("6th failure for an unknown address = %d, want 429", r.Status)
	}
}

func TestSignIn_PerIPLimit(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	// An office behind one NAT: 30 sign-ins a minute all go through.
	for i := 1; i <= 30; i++ {
		siExpect(t, "POST /login", siLogin(in.Client(t), u), 303, "/login/otp")
	}
	// But not an unlimited number.
	for i := 31; i <= 200; i++ {
		r := siLogin(in.Client(t), u)
		if r.Status == 429 {
			return
		}
		if r.Status != 303 {
			t.Fatalf("sign-in #%d = %d", i, r.Status)
		}
	}
	t.Fatal("200 sign-ins from one address were all accepted")
}

func TestSignIn_Next(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	for _, tt := range []struct{ next, want string }{
		{"//evil.example", "/cases"},
		{"https://evil.example", "/cases"},
		{"/\\evil.example", "/cases"},
		{"/account", "/account"},
	} {
		u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
		c := in.Client(t)
		page := c.Get("/login?next=" + url.QueryEscape(tt.next))
		if page.Status != 200 {
			t.Fatalf("GET /login?next=%s = %d", tt.next, page.Status)
		}
		next := ""
		_, form, _ := strings.Cut(page.Body, `action="/login"`)
		if m := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(form); m != nil {
			next = m[1]
		}
		if tt.want != "/cases" && next != tt.want {
			t.Errorf("next=%s not kept in the form (%q)", tt.next, next)
		}
		if tt.want == "/cases" && next != "" {
			t.Errorf("next=%s kept in the form as %q", tt.next, next)
		}
		r := c.PostForm("/login", url.Values{"email": {u.Email}, "password": {u.Password}, "next": {tt.next}})
		siExpect(t, "POST /login", r, 303, "/login/otp")
		r = c.PostForm("/login/otp", url.Values{"code": {apptest.FreshTOTPCode(t, in, u)}})
		if r.Status != 303 || r.Location != tt.want {
			t.Errorf("next=%s: landed on %d %q, want %q", tt.next, r.Status, r.Location, tt.want)
		}
	}
	// Coming back to a page after being sent to sign in.
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	r := c.Get("/account")
	siExpect(t, "GET /account signed out", r, 303, "/login?next=%2Faccount")
	in.SignInTo(t, c, u, "/account")
}

func TestSignIn_CrossSitePostRefused(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true})
	c := in.Client(t)
	r := c.PostFormFrom("https://evil.example", "/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	if r.Status != 403 {
		t.Fatalf("cross-site POST /login = %d, want 403", r.Status)
	}
	if in.Mail.Count(u.Email) != 0 {
		t.Error("a cross-site sign-in sent a code")
	}
}

func TestSignIn_Logout(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, u)
	r := c.PostForm("/logout", nil)
	siExpect(t, "POST /logout", r, 303, "/login")
	if r := c.Get("/login"); !strings.Contains(r.Body, "You have signed out.") {
		t.Error("no flash after signing out")
	}
	siExpect(t, "GET /cases after logout", c.Get("/cases"), 303, "/login?next=%2Fcases")

	// Mid sign-in too: "sign in as someone else".
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	siExpect(t, "POST /logout mid sign-in", c.PostForm("/logout", nil), 303, "/login")
	siExpect(t, "GET /login/otp after logout", c.Get("/login/otp"), 303, "/login")
}

func TestSignIn_DisabledUserSessionEnds(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	c := in.Client(t)
	in.SignIn(t, c, u)
	if err := in.Store.SetContactStatus(context.Background(), u.AccountID, u.ID, portal.StatusDisabled, store.Audit{Action: "user.disable"}); err != nil {
		t.Fatal(err)
	}
	siExpect(t, "GET /cases after disabling", c.Get("/cases"), 303, "/login?next=%2Fcases")
}

func TestSignIn_ForcedPasswordChangeBeforeTermsAndPairing(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	// As `madoguchi user create --otp app` leaves it: a temporary password,
	// no terms accepted, nothing paired.
	u := siCustomer(t, in, apptest.UserSpec{OTP: portal.OTPApp, MustChange: true})
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/password/change")
	siExpect(t, "GET /cases before changing", c.Get("/cases"), 303, "/password/change")
	page := c.Get("/password/change")
	if page.Status != 200 || !strings.Contains(page.Body, "temporary password") {
		t.Fatalf("GET /password/change = %d without explaining why", page.Status)
	}
	for _, tt := range []struct {
		current, new, confirm, field string
	}{
		{"wrong temporary pw", "a much better passphrase", "a much better passphrase", "current_password"},
		{u.Password, "short", "short", "new_password"},
		{u.Password, "a much better passphrase", "a different passphrase", "confirm_password"},
		{u.Password, u.Password, u.Password, "new_password"},
	} {
		r := c.PostForm("/password/change", url.Values{"current_password": {tt.current}, "new_password": {tt.new}, "confirm_password": {tt.confirm}})
		if r.Status != 422 || !strings.Contains(r.Body, `id="e-`+tt.field+`"`) {
			t.Errorf("change %q→%q/%q = %d, want 422 with a message beside %s", tt.current, tt.new, tt.confirm, r.Status, tt.field)
		}
	}
	r := c.PostForm("/password/change", url.Values{"current_password": {u.Password},
		"new_password": {"a much better passphrase"}, "confirm_password": {"a much better passphrase"}})
	siExpect(t, "POST /password/change", r, 303, "/terms")
	u.Password = "a much better passphrase"

	siExpect(t, "POST /terms unchecked", c.PostForm("/terms", url.Values{}), 422, "")
	siExpect(t, "POST /terms", c.PostForm("/terms", url.Values{"accept_terms": {"1"}}), 303, "/mfa/setup")

	page = c.Get("/mfa/setup")
	secret := apptest.TOTPSecretOf(page.Body)
	if page.Status != 200 || secret == "" || !strings.Contains(page.Body, `class="qr" src="data:image/png;base64,`) {
		t.Fatalf("GET /mfa/setup = %d, secret %q, QR shown: %v", page.Status, secret, strings.Contains(page.Body, `class="qr"`))
	}
	for _, step := range []string{"Download an authenticator app", "Scan the QR code", "Enter the 6-digit code"} {
		if !strings.Contains(page.Body, step) {
			t.Errorf("pairing page lacks the step %q", step)
		}
	}
	// The secret is not stored before it is confirmed.
	if fresh, _ := in.Store.UserByID(context.Background(), u.ID); fresh.TOTPSecret != "" || fresh.MFAEnrolledAt != nil {
		t.Fatal("the pending secret was stored before confirmation")
	}
	if r := c.PostForm("/mfa/setup", url.Values{"code": {"12345"}}); r.Status != 422 {
		t.Errorf("pairing with a bad code = %d, want 422", r.Status)
	}
	if again := apptest.TOTPSecretOf(c.Get("/mfa/setup").Body); again != secret {
		t.Errorf("the secret changed between page views: %q → %q", secret, again)
	}
	siExpect(t, "POST /mfa/setup", c.PostForm("/mfa/setup", url.Values{"code": {auth.TOTPCode(secret, time.Now())}}), 303, "/mfa/setup")
	u.TOTPSecret = secret

	page = c.Get("/mfa/setup")
	codes := apptest.RecoveryCodesOf(page.Body)
	if page.Status != 200 || len(codes) != 10 || !strings.Contains(page.Body, "data-copy=") {
		t.Fatalf("recovery codes page = %d with %d codes", page.Status, len(codes))
	}
	if r := c.Get("/mfa/setup"); len(apptest.RecoveryCodesOf(r.Body)) != 0 {
		t.Fatal("the recovery codes were shown a second time")
	}
	siExpect(t, "GET /", c.Get("/"), 303, "/cases")
	siExpect(t, "GET /cases", c.Get("/cases"), 200, "")

	// A recovery code signs in once, typed in upper case, full width or without hyphens.
	code := codes[3]
	variant := strings.ToUpper(strings.ReplaceAll(code, "-", "－"))
	c2 := in.Client(t)
	siExpect(t, "POST /login", siLogin(c2, u), 303, "/login/otp")
	siExpect(t, "POST /login/otp (recovery)", c2.PostForm("/login/otp", url.Values{"code": {variant}}), 303, "/cases")
	c3 := in.Client(t)
	siExpect(t, "POST /login", siLogin(c3, u), 303, "/login/otp")
	if r := c3.PostForm("/login/otp", url.Values{"code": {strings.ReplaceAll(code, "-", "")}}); r.Status != 422 {
		t.Fatalf("a used recovery code = %d, want 422", r.Status)
	}
	left, err := in.Store.RecoveryCodesLeft(context.Background(), u.ID)
	if err != nil || left != 9 {
		t.Errorf("recovery codes left = %d, %v; want 9", left, err)
	}
}

func TestSignIn_CLIStyleEmailUser(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{OTP: portal.OTPEmail, MustChange: true})
	c := in.Client(t)
	seen := siSeen(in)
	// The code comes first: it proves the address before anything else.
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	code := siWaitCode(t, in, u.Email, seen)
	siExpect(t, "POST /login/otp", c.PostForm("/login/otp", url.Values{"code": {code}}), 303, "/password/change")
	newPassword := "another fine passphrase"
	siExpect(t, "POST /password/change", c.PostForm("/password/change", url.Values{"current_password": {u.Password},
		"new_password": {newPassword}, "confirm_password": {newPassword}}), 303, "/terms")
	siExpect(t, "POST /terms", c.PostForm("/terms", url.Values{"accept_terms": {"on"}}), 303, "/mfa/setup")
	page := c.Get("/mfa/setup")
	if codes := apptest.RecoveryCodesOf(page.Body); len(codes) != 10 {
		t.Fatalf("an e-mail user who passed the first code sees %d recovery codes, want 10", len(codes))
	}
	siExpect(t, "GET /", c.Get("/"), 303, "/cases")
	fresh, _ := in.Store.UserByID(context.Background(), u.ID)
	if !fresh.MFAEnrolled() || fresh.MustChangePassword {
		t.Errorf("after the first sign-in: enrolled %v, must change %v", fresh.MFAEnrolled(), fresh.MustChangePassword)
	}
}

func TestSignIn_TermsRequired(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	u := siCustomer(t, in, apptest.UserSpec{Ready: true, OTP: portal.OTPApp})
	ctx := context.Background()
	// New terms are published: everyone accepts them at their next sign-in.
	if _, err := in.Store.Pool().Exec(ctx, `INSERT INTO terms_versions (version, published_at, body_en, body_ja)
		VALUES (2, now() - interval '1 second', 'New terms, second edition.', '新しい利用規約（第2版）。')`); err != nil {
		t.Fatal(err)
	}
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/login/otp")
	siExpect(t, "POST /login/otp", c.PostForm("/login/otp", url.Values{"code": {apptest.FreshTOTPCode(t, in, u)}}), 303, "/terms")
	siExpect(t, "GET /cases", c.Get("/cases"), 303, "/terms")
	page := c.Get("/terms")
	if page.Status != 200 || !strings.Contains(page.Body, "New terms, second edition.") {
		t.Fatalf("GET /terms = %d without the current text", page.Status)
	}
	r := c.PostForm("/terms", url.Values{})
	if r.Status != 422 || !strings.Contains(r.Body, "tick the box") {
		t.Fatalf("POST /terms unchecked = %d, want 422 with a message", r.Status)
	}
	siExpect(t, "POST /terms", c.PostForm("/terms", url.Values{"accept_terms": {"1"}}), 303, "/cases")
	if fresh, _ := in.Store.UserByID(ctx, u.ID); fresh.TermsVersion != 2 {
		t.Errorf("terms version = %d, want 2", fresh.TermsVersion)
	}
	c.Header.Set("Accept-Language", "ja")
	if _, err := in.Store.Pool().Exec(ctx, `UPDATE users SET language = 'ja' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if page := c.Get("/terms"); !strings.Contains(page.Body, "新しい利用規約（第2版）。") {
		t.Error("the Japanese page does not show the Japanese terms")
	}
}

func TestSignIn_AgentPairsAndLandsOnQueue(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	// Staff must use a second factor: an agent with nothing paired pairs it
	// right after the password.
	agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, OTP: portal.OTPApp})
	if err := in.Store.AcceptTerms(context.Background(), agent.ID, agent.CurrentTerms, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, agent), 303, "/mfa/setup")
	siExpect(t, "GET /agent/queue before pairing", c.Get("/agent/queue"), 303, "/mfa/setup")
	siExpect(t, "POST /logout", c.PostForm("/logout", nil), 303, "/login")
	in.SignIn(t, c, agent) // pairs, notes the recovery codes, lands on /agent/queue
	if agent.TOTPSecret == "" || len(agent.RecoveryCodes) != 10 {
		t.Fatalf("the agent signed in without pairing (secret %q, %d codes)", agent.TOTPSecret, len(agent.RecoveryCodes))
	}
	// The next sign-in asks for the app's code.
	c2 := in.Client(t)
	siExpect(t, "POST /login (2)", siLogin(c2, agent), 303, "/login/otp")
	siExpect(t, "POST /login/otp", c2.PostForm("/login/otp", url.Values{"code": {apptest.FreshTOTPCode(t, in, agent)}}), 303, "/agent/queue")
}

func TestSignIn_NoSecondFactorWhenTurnedOff(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	acc := in.Account(t, "Relaxed Ltd")
	ctx := context.Background()
	if err := in.Store.SetAccountMFARequired(ctx, acc.ID, false, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	u := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true})
	if _, err := in.Store.Pool().Exec(ctx, `UPDATE users SET otp_method = 'none', mfa_enrolled_at = NULL WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	c := in.Client(t)
	siExpect(t, "POST /login", siLogin(c, u), 303, "/cases")
	// The organization now requires it: the user chooses a method and pairs.
	if err := in.Store.SetAccountMFARequired(ctx, acc.ID, true, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	c2 := in.Client(t)
	siExpect(t, "POST /login", siLogin(c2, u), 303, "/mfa/setup")
	if page := c2.Get("/mfa/setup"); !strings.Contains(page.Body, `name="otp_method"`) {
		t.Fatal("no choice of method offered")
	}
	if r := c2.PostForm("/mfa/setup", url.Values{"otp_method": {"sms"}}); r.Status != 422 ||
		!strings.Contains(r.Body, `aria-describedby="e-otp_method"`) || !strings.Contains(r.Body, `id="e-otp_method"`) {
		t.Errorf("an unknown method = %d, want 422 with the message tied to the choice", r.Status)
	}
	siExpect(t, "POST /logout", c2.PostForm("/logout", nil), 303, "/login")
	in.SignIn(t, c2, u)
	if fresh, _ := in.Store.UserByID(ctx, u.ID); fresh.OTPMethod != portal.OTPEmail || !fresh.MFAEnrolled() {
		t.Errorf("after pairing: method %q, enrolled %v", fresh.OTPMethod, fresh.MFAEnrolled())
	}
}
