package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/store"
)

func TestSite_Probes(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	c := in.Client(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := c.Get(path); r.Status != 200 || strings.TrimSpace(r.Body) != "ok" {
			t.Errorf("GET %s = %d %q", path, r.Status, r.Body)
		}
	}
	r := c.Get("/metrics")
	if r.Status != 200 || !strings.Contains(r.Body, "madoguchi_http_requests_total") {
		t.Errorf("GET /metrics = %d, body lacks the request counter", r.Status)
	}
}

func TestSite_SecurityHeaders(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	r := in.Client(t).Get("/login")
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self' 'nonce-", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows unsafe-inline: %q", csp)
	}
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

func TestSite_Language(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	c := in.Client(t)
	c.Header.Set("Accept-Language", "ja,en;q=0.5")
	if r := c.Get("/no-such-page"); r.Status != 404 || !strings.Contains(r.Body, `lang="ja"`) {
		t.Fatalf("Accept-Language ja: status %d, lang attribute missing", r.Status)
	}
	r := c.PostForm("/lang", url.Values{"lang": {"en"}, "next": {"/no-such-page"}})
	if r.Status != 303 || r.Location != "/no-such-page" {
		t.Fatalf("POST /lang = %d → %q", r.Status, r.Location)
	}
	if r := c.Get("/no-such-page"); !strings.Contains(r.Body, `lang="en"`) {
		t.Error("the language cookie did not switch the page to English")
	}
	if r := c.PostForm("/lang", url.Values{"lang": {"en"}, "next": {"//evil.example/"}}); r.Location != "/" {
		t.Errorf("next=//evil.example redirected to %q", r.Location)
	}
	if r := c.PostForm("/lang", url.Values{"lang": {"xx"}}); r.Status != 422 {
		t.Errorf("unknown language: status %d", r.Status)
	}
}

func TestSite_CrossSitePostRefused(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	c := in.Client(t)
	r := c.PostFormFrom("https://evil.example", "/lang", url.Values{"lang": {"en"}})
	if r.Status != 403 {
		t.Fatalf("cross-site POST = %d, want 403", r.Status)
	}
}

func TestSite_SignedOutRedirects(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	c := in.Client(t)
	for _, path := range []string{"/cases", "/agent/queue", "/account"} {
		r := c.Get(path)
		if r.Status != 303 || r.Location != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s signed out = %d → %q", path, r.Status, r.Location)
		}
	}
}

func TestSite_SessionCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, base, cookie string
		secure             bool
	}{
		{"HTTP", "", "madoguchi=", false},
		{"HTTPS", "https://support.example.test", "__Host-madoguchi=", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := apptest.Options{}
			if tc.base != "" {
				o.Env = map[string]string{"BASE_URL": tc.base}
			}
			in := apptest.StartWith(t, o)
			acc := in.Account(t, "Acme")
			u := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true})
			r := in.Client(t).PostForm("/login", url.Values{"email": {u.Email}, "password": {u.Password}})
			if r.Status != 303 {
				t.Fatalf("POST /login = %d", r.Status)
			}
			var set string
			for _, c := range r.Header.Values("Set-Cookie") {
				if strings.HasPrefix(c, tc.cookie) {
					set = c
				}
			}
			if set == "" {
				t.Fatalf("no %s cookie in %q", tc.cookie, r.Header.Values("Set-Cookie"))
			}
			for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(set, attr) {
					t.Errorf("cookie %q lacks %s", set, attr)
				}
			}
			if strings.Contains(set, "Secure") != tc.secure {
				t.Errorf("cookie %q: Secure should be %v", set, tc.secure)
			}
			if strings.Contains(set, "Domain=") || strings.Contains(set, "Expires=") || strings.Contains(set, "Max-Age=") {
				t.Errorf("cookie %q should be a host-only session cookie", set)
			}
		})
	}
}

func TestSite_DevMailbox(t *testing.T) {
	t.Parallel()
	in := apptest.StartWith(t, apptest.Options{Dev: true, Env: map[string]string{"SMTP_URL": ""}})
	err := in.Store.SendMail(context.Background(), store.Mail{To: "a@example.test", Subject: "二つのリンク",
		Text: "first " + in.URL + "/welcome/abc then " + in.URL + "/login and <b>done</b>"})
	if err != nil {
		t.Fatal(err)
	}
	r := in.Client(t).Get("/dev/mail")
	if r.Status != 200 {
		t.Fatalf("GET /dev/mail = %d", r.Status)
	}
	for _, want := range []string{`<a href="` + in.URL + `/welcome/abc">`, `<a href="` + in.URL + `/login">`, "二つのリンク", "&lt;b&gt;done&lt;/b&gt;"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("dev mailbox lacks %q", want)
		}
	}
	// Without --dev there is no mailbox.
	if r := apptest.Start(t).Client(t).Get("/dev/mail"); r.Status != 404 {
		t.Errorf("GET /dev/mail without --dev = %d", r.Status)
	}
}

func TestSite_LanguageChosenBeforeSignIn(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	acc := in.Account(t, "Acme")
	u := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true, Language: "ja"})
	c := in.Client(t)
	c.PostForm("/lang", url.Values{"lang": {"en"}, "next": {"/login"}})
	in.SignIn(t, c, u)
	if r := c.Get("/account"); !strings.Contains(r.Body, `lang="en"`) {
		t.Error("English chosen on the sign-in page was undone by the stored Japanese setting")
	}
}

func TestSite_SignedInPagesAreNotCached(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	acc := in.Account(t, "Acme")
	u := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true})
	c := in.Client(t)
	if r := c.Get("/login"); r.Header.Get("Cache-Control") == "no-store" {
		t.Error("the public sign-in page is marked no-store; only signed-in pages need it")
	}
	in.SignIn(t, c, u)
	for _, path := range []string{"/account", "/cases"} {
		if r := c.Get(path); r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control = %q, want no-store", path, r.Header.Get("Cache-Control"))
		}
	}
}

// A session ends after 30 idle minutes and lives while used, without
// rewriting its row on every request.
func TestSite_SessionIdleTimeout(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	in := apptest.StartWith(t, apptest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	acc := in.Account(t, "Acme")
	u := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true})
	c := in.Client(t)
	in.SignIn(t, c, u)
	// The row's version (xmin) changes with every write of it, even one
	// that writes the same bytes.
	row := func() (version string) {
		t.Helper()
		// One person, one session row (the sign-in renewed the token).
		if err := in.Store.Pool().QueryRow(context.Background(),
			`SELECT xmin::text FROM sessions ORDER BY expiry DESC LIMIT 1`).Scan(&version); err != nil {
			t.Fatal(err)
		}
		return version
	}
	get := func(what string, want int) {
		t.Helper()
		if r := c.Get("/account"); r.Status != want {
			t.Fatalf("%s: GET /account = %d (%s), want %d", what, r.Status, r.Location, want)
		}
	}
	get("just signed in", 200)
	before := row()
	get("a second later", 200)
	if before != row() {
		t.Error("a request within a minute of the last rewrote the session row")
	}
	for i := 1; i <= 3; i++ {
		offset.Add(int64(25 * time.Minute))
		get(fmt.Sprintf("after %d×25 busy minutes", i), 200)
	}
	if before == row() {
		t.Error("the session's last-seen time was never written back")
	}
	offset.Add(int64(31 * time.Minute))
	get("after 31 idle minutes", 303)
	if r := c.Get("/account"); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("the idle session still works: %d %s", r.Status, r.Location)
	}
}
