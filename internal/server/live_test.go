package server_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madoguchi/internal/app"
	"madoguchi/internal/app/apptest"
	"madoguchi/internal/auth"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/server"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// lvStream is an open text/event-stream read line by line.
type lvStream struct {
	Status int
	Header http.Header
	lines  chan string // closed at the end of the stream
	body   io.Closer
}

// lvOpen opens path as cl's browser would with EventSource.
func lvOpen(t *testing.T, base string, cl *apptest.Client, path string) *lvStream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Language", "en")
	for _, c := range cl.Cookies() {
		req.AddCookie(c)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	st := &lvStream{Status: res.StatusCode, Header: res.Header, lines: make(chan string, 100), body: res.Body}
	t.Cleanup(func() { res.Body.Close() })
	go func() {
		defer close(st.lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			st.lines <- sc.Text()
		}
	}()
	return st
}

// next returns the next line that starts with one of prefixes, or fails
// after wait; ok is false if the stream ended first.
func (st *lvStream) next(t *testing.T, wait time.Duration, prefixes ...string) (line string, ok bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case l, open := <-st.lines:
			if !open {
				return "", false
			}
			for _, p := range prefixes {
				if strings.HasPrefix(l, p) {
					return l, true
				}
			}
		case <-deadline:
			t.Fatalf("no line starting with %q within %s", prefixes, wait)
		}
	}
}

// none checks that no line starting with prefix comes within wait.
func (st *lvStream) none(t *testing.T, wait time.Duration, prefix string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case l, open := <-st.lines:
			if !open {
				t.Fatal("the stream ended")
			}
			if strings.HasPrefix(l, prefix) {
				t.Fatalf("unexpected %q", l)
			}
		case <-deadline:
			return
		}
	}
}

// ended waits for the end of the stream.
func (st *lvStream) ended(t *testing.T, wait time.Duration) []string {
	t.Helper()
	var seen []string
	deadline := time.After(wait)
	for {
		select {
		case l, open := <-st.lines:
			if !open {
				return seen
			}
			seen = append(seen, l)
		case <-deadline:
			t.Fatalf("the stream did not end within %s (read %q)", wait, seen)
		}
	}
}

// The case stream of the agent hears a customer's comment, committed; it is
// a proper event stream (type, no caching, a retry interval).
func TestLive_CaseStreamHearsComment(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)

	st := lvOpen(t, w.in.URL, w.agentC, "/cases/"+c.Number+"/events")
	if st.Status != http.StatusOK {
		t.Fatalf("status %d", st.Status)
	}
	if ct := st.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := st.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if l, _ := st.next(t, 5*time.Second, "retry:"); l != "retry: 5000" {
		t.Errorf("retry line %q", l)
	}
	if res := w.cpPost(t, w.openerC, c, "comments", url.Values{"body": {"ログを添付します。"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("comment: %d", res.Status)
	}
	if l, ok := st.next(t, 10*time.Second, "data:"); !ok || l != "data: "+c.Number {
		t.Errorf("event %q, want the case number", l)
	}
	// The data is the case number only: nothing of the comment travels.
	other := w.cpCase(t, portal.SubInProgress, 0)
	if res := w.cpPost(t, w.openerC, other, "comments", url.Values{"body": {"別の件です。"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("comment: %d", res.Status)
	}
	st.none(t, time.Second, "data:")
}

// A customer's stream never hears of an internal note; it does hear the
// public reply that follows.
func TestLive_CustomerNotToldOfInternalNotes(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	st := lvOpen(t, w.in.URL, w.openerC, "/cases/"+c.Number+"/events")
	if st.Status != http.StatusOK {
		t.Fatalf("status %d", st.Status)
	}
	st.next(t, 5*time.Second, "retry:")
	agentSt := lvOpen(t, w.in.URL, w.agentC, "/cases/"+c.Number+"/events")
	agentSt.next(t, 5*time.Second, "retry:")

	if res := w.cpPost(t, w.agentC, c, "comments", url.Values{"body": {"社内メモ: 再現環境を準備中"}, "internal": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("note: %d", res.Status)
	}
	// The agent hears it, so it was announced; the customer does not.
	agentSt.next(t, 10*time.Second, "data:")
	st.none(t, 1500*time.Millisecond, "data:")

	if res := w.cpPost(t, w.agentC, c, "comments", url.Values{"body": {"ご連絡ありがとうございます。"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.Status)
	}
	if l, ok := st.next(t, 10*time.Second, "data:"); !ok || l != "data: "+c.Number {
		t.Errorf("event %q", l)
	}
}

// Streams are refused like the pages they follow: another organization's
// case is not found, the queue's stream is for staff, and a signed-out
// person is sent to sign in.
func TestLive_StreamAccess(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	for name, tc := range map[string]struct {
		cl   *apptest.Client
		path string
		want int
	}{
		"OtherOrganizationCase":  {w.strangerC, "/cases/" + c.Number + "/events", http.StatusNotFound},
		"UnknownCase":            {w.openerC, "/cases/CS9999999/events", http.StatusNotFound},
		"CustomerQueue":          {w.openerC, "/agent/queue/events", http.StatusForbidden},
		"AccountAdminQueue":      {w.adminC, "/agent/queue/events", http.StatusForbidden},
		"SignedOutCase":          {w.anonC, "/cases/" + c.Number + "/events", http.StatusSeeOther},
		"SignedOutQueue":         {w.anonC, "/agent/queue/events", http.StatusSeeOther},
		"ColleagueOnCC":          {w.ccC, "/cases/" + c.Number + "/events", http.StatusOK},
		"AccountAdministrator":   {w.adminC, "/cases/" + c.Number + "/events", http.StatusOK},
		"AgentQueue":             {w.agentC, "/agent/queue/events", http.StatusOK},
		"AgentAnyOrganizationOf": {w.agentC, "/cases/" + c.Number + "/events", http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			st := lvOpen(t, w.in.URL, tc.cl, tc.path)
			if st.Status != tc.want {
				t.Errorf("status %d, want %d", st.Status, tc.want)
			}
			if tc.want == http.StatusOK {
				st.next(t, 5*time.Second, "retry:")
			} else if ct := st.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("a refused stream answered %q", ct)
			}
			st.body.Close()
		})
	}
}

// The queue's stream hears every case, internal notes included.
func TestLive_QueueStreamHearsEveryCase(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	a, b := w.cpCase(t, portal.SubInProgress, 0), w.cpCase(t, portal.SubInProgress, 0)
	st := lvOpen(t, w.in.URL, w.agentC, "/agent/queue/events")
	st.next(t, 5*time.Second, "retry:")
	if res := w.cpPost(t, w.openerC, a, "comments", url.Values{"body": {"追記です。"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("comment: %d", res.Status)
	}
	if l, _ := st.next(t, 10*time.Second, "data:"); l != "data: "+a.Number {
		t.Errorf("event %q, want %s", l, a.Number)
	}
	if res := w.cpPost(t, w.agentC, b, "comments", url.Values{"body": {"メモ"}, "internal": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("note: %d", res.Status)
	}
	if l, _ := st.next(t, 10*time.Second, "data:"); l != "data: "+b.Number {
		t.Errorf("event %q, want %s", l, b.Number)
	}
}

// Signing out ends the streams of that session at their next heartbeat,
// with an "end" event so the page stops reconnecting.
func TestLive_StreamEndsWithSession(t *testing.T) {
	defer server.SetLiveHeartbeat(300 * time.Millisecond)()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	st := lvOpen(t, w.in.URL, w.openerC, "/cases/"+c.Number+"/events")
	st.next(t, 5*time.Second, "retry:")
	st.next(t, 5*time.Second, ": ping") // the session check passes while signed in
	if res := w.openerC.PostForm("/logout", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.Status)
	}
	lines := st.ended(t, 5*time.Second)
	if !strings.Contains(strings.Join(lines, "\n"), "event: end") {
		t.Errorf("the stream ended without an end event: %q", lines)
	}
}

// The caps: a ninth stream of one person is refused, others are not.
func TestLive_StreamsPerPersonCapped(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	for i := range 8 {
		st := lvOpen(t, w.in.URL, w.agentC, "/cases/"+c.Number+"/events")
		if st.Status != http.StatusOK {
			t.Fatalf("stream %d: status %d", i+1, st.Status)
		}
		st.next(t, 5*time.Second, "retry:")
	}
	if st := lvOpen(t, w.in.URL, w.agentC, "/agent/queue/events"); st.Status != http.StatusTooManyRequests {
		t.Errorf("ninth stream: status %d, want 429", st.Status)
	}
	if st := lvOpen(t, w.in.URL, w.openerC, "/cases/"+c.Number+"/events"); st.Status != http.StatusOK {
		t.Errorf("another person's stream: status %d", st.Status)
	}
}

// Shutting the server down ends its streams at once, so that a graceful
// shutdown does not wait for its 15-second limit.
func TestLive_StreamEndsOnShutdown(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	smtp := mailtest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{"DATABASE_URL": dbURL, "BASE_URL": base, "SMTP_URL": smtp.URL(),
		"MAIL_FROM": "Madoguchi <no-reply@madoguchi.test>", "DATA_DIR": t.TempDir()}
	ready := make(chan struct{})
	var logs lvBuffer
	a := &app.App{Getenv: func(k string) string { return env[k] }, Stdout: &logs, Stderr: &logs, Listener: ln,
		Hasher: &auth.Hasher{Params: auth.TestParams}, Serving: func() { close(ready) }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, []string{"serve"}) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	pool, err := store.Connect(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	in := &apptest.Instance{URL: base, Store: store.New(pool, nil), Mail: smtp, DBURL: dbURL}
	agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true})
	cl := in.Client(t)
	in.SignIn(t, cl, agent)
	st := lvOpen(t, base, cl, "/agent/queue/events")
	st.next(t, 5*time.Second, "retry:")

	start := time.Now()
	cancel()
	st.ended(t, 5*time.Second)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not stop\n%s", logs.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s", d)
	}
}

type lvBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lvBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lvBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// The requests a page makes by itself for live updates (the refetch marked
// X-Live-Refresh, the event stream) do not keep an unattended session from
// idling out; a person's own request does.
func TestLive_RefreshDoesNotKeepSessionAlive(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	in := apptest.StartWith(t, apptest.Options{Now: now})
	acc := in.Account(t, "Acme")
	for _, passive := range []bool{true, false} {
		offset.Store(0)
		u := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true})
		cl := in.Client(t)
		in.SignIn(t, cl, u)
		if res := cl.Get("/cases"); res.Status != http.StatusOK {
			t.Fatalf("/cases: %d", res.Status)
		}
		get := func() *apptest.Response {
			req, err := http.NewRequest(http.MethodGet, in.URL+"/cases", nil)
			if err != nil {
				t.Fatal(err)
			}
			if passive {
				req.Header.Set("X-Live-Refresh", "1")
			}
			return cl.Do(req)
		}
		offset.Store(int64(20 * time.Minute))
		if res := get(); res.Status != http.StatusOK {
			t.Fatalf("passive %v: after 20 minutes: %d", passive, res.Status)
		}
		offset.Store(int64(40 * time.Minute))
		res := cl.Get("/cases")
		switch {
		case passive && res.Status != http.StatusSeeOther:
			t.Errorf("40 minutes after the last request of the person, only refreshes between: status %d, want the sign-in redirect", res.Status)
		case !passive && res.Status != http.StatusOK:
			t.Errorf("20 minutes after the person's last request: status %d, want 200", res.Status)
		}
	}
}
