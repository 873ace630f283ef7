// Package apptest starts the whole application for end-to-end tests: a fresh
// migrated database, a real in-process SMTP server and `madoguchi serve` on a
// random loopback port, plus an HTTP client and fixtures.
//
// The test package's TestMain must call storetest.Main.
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madoguchi/internal/app"
	"madoguchi/internal/auth"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// Instance is a running application.
type Instance struct {
	URL   string
	Store *store.Store
	Mail  *mailtest.Server
	DBURL string
}

// Options adjust an instance.
type Options struct {
	// Env adds or overrides environment variables of serve.
	Env map[string]string
	// Dev runs serve --dev (dev mailbox, no SMTP needed).
	Dev bool
	// Now, if set, is the web server's clock.
	Now func() time.Time
}

// Start runs the application until the test ends.
func Start(tb testing.TB) *Instance { return StartWith(tb, Options{}) }

// StartWith runs the application with options until the test ends.
func StartWith(tb testing.TB, o Options) *Instance {
	tb.Helper()
	dbURL := storetest.URL(tb)
	return StartOn(tb, dbURL, o)
}

// StartOn runs another instance on an existing database, as a second server
// process behind a load balancer would.
func StartOn(tb testing.TB, dbURL string, o Options) *Instance {
	tb.Helper()
	smtp := mailtest.Start(tb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"DATABASE_URL": dbURL,
		"BASE_URL":     base,
		"SMTP_URL":     smtp.URL(),
		"MAIL_FROM":    "Madoguchi サポート <no-reply@madoguchi.test>",
		// Uploads go to a folder of the test's own, never into the package.
		"DATA_DIR": tb.TempDir(),
	}
	for k, v := range o.Env {
		env[k] = v
	}
	logs := &syncBuffer{}
	ready := make(chan struct{})
	a := &app.App{
		Getenv:   func(k string) string { return env[k] },
		Stdout:   logs,
		Stderr:   logs,
		Listener: ln,
		Hasher:   &auth.Hasher{Params: auth.TestParams},
		Serving:  func() { close(ready) },
		Now:      o.Now,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args := []string{"serve"}
	if o.Dev {
		args = append(args, "--dev")
	}
	go func() { done <- a.Run(ctx, args) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		tb.Fatalf("apptest: serve exited: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		cancel()
		tb.Fatalf("apptest: serve did not start\n%s", logs.String())
	}
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("apptest: serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Errorf("apptest: serve did not stop")
		}
		if tb.Failed() {
			tb.Logf("server log:\n%s", logs.String())
		}
	})

	pool, err := store.Connect(context.Background(), dbURL, 4)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return &Instance{URL: base, Store: store.New(pool, nil), Mail: smtp, DBURL: dbURL}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Client is a browser-like HTTP client: it keeps cookies, does not follow
// redirects (tests check them) and sends the headers a browser sends with a
// same-origin form.
type Client struct {
	tb   testing.TB
	base string
	http *http.Client
	// Header is added to every request (e.g. Accept-Language).
	Header http.Header
}

// Client returns a new client with an empty cookie jar.
func (in *Instance) Client(tb testing.TB) *Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &Client{
		tb:   tb,
		base: in.URL,
		http: &http.Client{
			Jar:           jar,
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Header: http.Header{"Accept-Language": {"en"}},
	}
}

// Response is a read answer.
type Response struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

// Get requests path.
func (c *Client) Get(path string) *Response {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.tb.Fatal(err)
	}
	return c.Do(req)
}

// PostForm posts vals to path as a same-origin form.
func (c *Client) PostForm(path string, vals url.Values) *Response {
	c.tb.Helper()
	return c.PostFormFrom(c.base, path, vals)
}

// PostFormFrom posts vals to path as if a page of origin submitted it; an
// origin other than the instance's is a cross-site request.
func (c *Client) PostFormFrom(origin, path string, vals url.Values) *Response {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(vals.Encode()))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	if origin == c.base {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	} else {
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	return c.Do(req)
}

// Do sends req with the client's headers and cookies and reads the answer.
func (c *Client) Do(req *http.Request) *Response {
	c.tb.Helper()
	for k, vs := range c.Header {
		if req.Header.Get(k) == "" {
			req.Header[k] = vs
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatal(err)
	}
	loc := resp.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil && loc != "" && u.Host == strings.TrimPrefix(c.base, "http://") {
		loc = u.RequestURI()
	}
	return &Response{Status: resp.StatusCode, Location: loc, Body: string(body), Header: resp.Header}
}

// Cookies returns the client's cookies for the instance.
func (c *Client) Cookies() []*http.Cookie {
	u, _ := url.Parse(c.base)
	return c.http.Jar.Cookies(u)
}

var seq atomic.Int64

// Account creates a customer organization with a generated identifier.
func (in *Instance) Account(tb testing.TB, name string) *portal.Account {
	tb.Helper()
	acc, err := in.Store.CreateAccount(context.Background(), name, "")
	if err != nil {
		tb.Fatal(err)
	}
	return acc
}

// UserSpec describes a fixture user; zero fields get sensible values.
type UserSpec struct {
	Email        string
	Name         string
	Role         portal.Role // default customer
	AccountID    int64       // required for customers
	Approver     bool
	AccountAdmin bool
	OTP          portal.OTPMethod // default e-mail
	// Ready users have accepted the terms and paired their second factor, so
	// signing in takes only the password and a code.
	Ready bool
	// MustChange marks the password temporary, as `user create` does.
	MustChange bool
	Language   string
	TimeZone   string
}

// TestUser is a created fixture user with its secrets.
type TestUser struct {
	*portal.User
	Password      string
	TOTPSecret    string
	RecoveryCodes []string
}

// User creates a user from spec.
func (in *Instance) User(tb testing.TB, spec UserSpec) *TestUser {
	tb.Helper()
	ctx := context.Background()
	n := seq.Add(1)
	if spec.Role == "" {
		spec.Role = portal.RoleCustomer
	}
	if spec.Email == "" {
		spec.Email = fmt.Sprintf("%s%d@example.test", spec.Role, n)
	}
	if spec.Name == "" {
		spec.Name = fmt.Sprintf("Test %s %d", spec.Role, n)
	}
	if spec.OTP == "" {
		spec.OTP = portal.OTPEmail
	}
	if spec.Language == "" {
		spec.Language = "en"
	}
	password := fmt.Sprintf("correct horse battery %d staple", n)
	hash, err := (auth.Hasher{Params: auth.TestParams}).Hash(password)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := in.Store.CreateUser(ctx, store.NewUser{
		AccountID: spec.AccountID, Email: spec.Email, Name: spec.Name, Role: spec.Role,
		IsApprover: spec.Approver, IsAccountAdmin: spec.AccountAdmin, PasswordHash: hash,
		MustChangePassword: spec.MustChange, OTPMethod: spec.OTP, Language: spec.Language, TimeZone: spec.TimeZone,
	})
	if err != nil {
		tb.Fatalf("apptest: create user: %v", err)
	}
	tu := &TestUser{User: u, Password: password}
	if spec.Ready {
		if err := in.Store.AcceptTerms(ctx, u.ID, u.CurrentTerms, store.Audit{}); err != nil {
			tb.Fatal(err)
		}
		e := store.Enrollment{Method: spec.OTP}
		if spec.OTP == portal.OTPApp {
			key, err := auth.NewTOTPKey("Madoguchi", u.Email)
			if err != nil {
				tb.Fatal(err)
			}
			tu.TOTPSecret = key.Secret()
			e.TOTPSecret = key.Secret()
		}
		tu.RecoveryCodes = auth.NewRecoveryCodes(portal.RecoveryCodeNum)
		for _, c := range tu.RecoveryCodes {
			e.RecoveryHash = append(e.RecoveryHash, auth.HashRecoveryCode(c))
		}
		if err := in.Store.EnrollMFA(ctx, u.ID, e); err != nil {
			tb.Fatal(err)
		}
	}
	if tu.User, err = in.Store.UserByID(ctx, u.ID); err != nil {
		tb.Fatal(err)
	}
	return tu
}
