package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/browsertest"
	"madoguchi/internal/i18n"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
	"madoguchi/locales"
)

// liveText is what the people of the live-update test type, per language.
var liveText = map[string]struct{ subject, draft, comment string }{
	"ja": {"夜間バッチが失敗する", "確認して折り返しご連絡", "ログを確認しました。エラーコードは E-4012 です。"},
	"en": {"Nightly batch fails", "Checking, will call back", "We read the log: the error code is E-4012."},
}

// TestLiveUpdatesAcrossInstances runs two `madoguchi serve` processes on one
// database, as behind a load balancer: the agent's browser shows a case page
// served by instance A, the customer comments through instance B, and the
// agent's page shows the comment and the new status without a reload, while
// the reply the agent had started typing stays as typed.
func TestLiveUpdatesAcrossInstances(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	bin := buildMadoguchi(t)
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			L := bundle.Localizer(tc.lang)
			txt := liveText[tc.lang]
			ctx := context.Background()

			dbURL := storetest.URL(t)
			smtp := mailtest.Start(t)
			dataDir := t.TempDir() // shared, as S3 would be
			env := []string{"DATABASE_URL=" + dbURL, "SMTP_URL=" + smtp.URL(), "DATA_DIR=" + dataDir,
				"MAIL_FROM=Madoguchi <no-reply@madoguchi.test>"}
			if out, err := runMadoguchi(bin, env, "migrate"); err != nil {
				t.Fatalf("madoguchi migrate: %v\n%s", err, out)
			}
			urlA, urlB := startMadoguchi(t, bin, env, "A"), startMadoguchi(t, bin, env, "B")

			pool, err := store.Connect(ctx, dbURL, 4)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			st := store.New(pool, nil)
			inA := &apptest.Instance{URL: urlA, Store: st, Mail: smtp, DBURL: dbURL}
			inB := &apptest.Instance{URL: urlB, Store: st, Mail: smtp, DBURL: dbURL}

			acc := inA.Account(t, "株式会社ライブ")
			customer := inA.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true, Language: tc.lang, Name: tc.name})
			agent := inA.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, OTP: portal.OTPApp, Language: tc.lang})
			c, _, err := st.CreateCase(ctx, store.NewCase{AccountID: acc.ID, OpenedBy: customer.ID, HelpType: portal.HelpPortal,
				Priority: portal.DefaultPriority, Subject: txt.subject, Description: txt.subject}, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The agent asked for information, so the customer's answer changes the status too.
			if _, err := st.Act(ctx, store.ActRequest{Number: c.Number, Actor: agent.User, Action: portal.ActSetStatus,
				Target: portal.SubAwaitingCustomer}); err != nil {
				t.Fatal(err)
			}

			// The agent opens the case on instance A and starts a reply.
			ag := browsertest.New(t, "agent")
			browserSignIn(t, inA, ag, agent, tc.lang)
			casePath := "/cases/" + c.Number
			ag.Do(
				chromedp.Navigate(urlA+casePath),
				chromedp.WaitVisible(chromedp.ID("case-timeline")),
				chromedp.WaitVisible(chromedp.CSS(`[data-live-src][data-live-state="open"]`)),
				chromedp.SendKeys(chromedp.ID("f-body"), txt.draft, chromedp.NodeVisible),
				chromedp.Evaluate[chromedp.Void](`window.e2eLiveMarker = "same page"`),
			)
			wantText(t, ag, "#case-status", L.T("substatus.awaiting_customer"))
			ag.Screenshot("case-before")

			// The customer comments through instance B.
			cust := inB.Client(t)
			cust.Header.Set("Accept-Language", tc.lang)
			inB.SignIn(t, cust, customer)
			fresh, err := st.CaseByNumber(ctx, c.Number)
			if err != nil {
				t.Fatal(err)
			}
			res := cust.PostForm(casePath+"/comments", url.Values{"body": {txt.comment}, "version": {strconv.Itoa(fresh.Version)}})
			if res.Status != http.StatusSeeOther {
				t.Fatalf("the customer's comment through B: status %d", res.Status)
			}

			// The agent's page shows it, without navigating.
			err = chromedp.Do(ag.Ctx(), chromedp.Poll[chromedp.Void](
				fmt.Sprintf(`document.getElementById("case-timeline").textContent.includes(%q)`, txt.comment),
				chromedp.WithPollingTimeout(20*time.Second)))
			if err != nil {
				ag.Screenshot("comment-missing")
				t.Fatalf("the agent's page did not show the customer's comment: %v", err)
			}
			ag.Screenshot("case-after")
			marker, err := chromedp.Run(ag.Ctx(), chromedp.Evaluate[string](`window.e2eLiveMarker || ""`))
			if err != nil || marker != "same page" {
				t.Errorf("the page was reloaded or left (marker %q, %v)", marker, err)
			}
			if loc := ag.Location(); loc != urlA+casePath {
				t.Errorf("the agent is at %s, want %s", loc, urlA+casePath)
			}
			wantText(t, ag, "#case-status", L.T("substatus.customer_updated"))
			draft, err := chromedp.Run(ag.Ctx(), chromedp.Evaluate[string](`document.getElementById("f-body").value`))
			if err != nil || draft != txt.draft {
				t.Errorf("the agent's draft reply is %q (%v), want it kept as %q", draft, err, txt.draft)
			}
			announced, err := chromedp.Run(ag.Ctx(), chromedp.Poll[string](
				`document.getElementById("live-status").textContent || false`, chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil || announced != L.T("live.updated") {
				t.Errorf("announced %q (%v), want %q", announced, err, L.T("live.updated"))
			}

			// The reply goes out against what the page now shows: not refused
			// as made on an outdated page.
			submit(ag, `#comment-form button[type="submit"]`)
			ag.Screenshot("reply-sent")
			wantText(t, ag, ".flash", L.T("case_act.commented_flash"))
			wantText(t, ag, "#case-timeline", txt.draft)
		})
	}
}

// buildMadoguchi builds cmd/madoguchi into a folder of the test's.
func buildMadoguchi(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "madoguchi")
	// go test puts its own go first on PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, "madoguchi/cmd/madoguchi").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runMadoguchi runs a one-shot command of the binary.
func runMadoguchi(bin string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(baseEnv(), env...)
	return cmd.CombinedOutput()
}

// baseEnv is what a process needs beyond Madoguchi's own variables.
func baseEnv() []string {
	var out []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// startMadoguchi runs `madoguchi serve` on a free loopback port until the
// test ends (also when it fails), and returns its base URL.
func startMadoguchi(t *testing.T, bin string, env []string, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	var logs syncBuf
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(baseEnv(), env...)
	cmd.Env = append(cmd.Env, "LISTEN_ADDR="+addr, "BASE_URL="+base)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Stopped by its own PID: SIGTERM, as a service manager would.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("instance %s: %v", name, err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("instance %s did not stop within 20 s", name)
		}
		if t.Failed() {
			t.Logf("instance %s log:\n%s", name, logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("instance %s exited: %v\n%s", name, err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s did not start\n%s", name, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.b.String())
}
