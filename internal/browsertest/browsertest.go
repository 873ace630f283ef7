// Package browsertest drives headless Chromium (Debian's chromium package)
// for end-to-end tests of the user-facing flows, and keeps screenshots of
// each step under the test package's testdata/out folder.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one Chromium process with its own profile, so two Browsers are
// two people with separate cookies.
type Browser struct {
	tb    testing.TB
	ctx   context.Context
	name  string
	shots atomic.Int32
}

// chromiumPath finds Debian's chromium.
func chromiumPath() string {
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// New starts a headless browser named name (used in screenshot names) that
// stops when the test ends. Without Chromium the test is skipped, except in
// CI, where it fails: `make test` installs it.
func New(tb testing.TB, name string) *Browser {
	tb.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("browsertest: chromium is not installed (make test installs it with scripts/browser-deps.sh)")
		}
		tb.Skip("browsertest: chromium is not installed; run scripts/browser-deps.sh")
	}
	// Chromium leaves folders in TMPDIR; give each browser its own.
	tmp := tb.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.WindowSize(1280, 900),
		chromedp.Env("TMPDIR=" + tmp),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now, so a start-up failure is reported here.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		tb.Fatalf("browsertest: start chromium: %v", err)
	}
	return &Browser{tb: tb, ctx: ctx, name: name}
}

// Ctx is the context to run chromedp actions in.
func (b *Browser) Ctx() context.Context { return b.ctx }

// Do runs steps, failing the test (with a screenshot) on error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.Screenshot("error")
		b.tb.Fatalf("browser %s: %v", b.name, err)
	}
}

// Text returns the text of the element sel selects (CSS).
func (b *Browser) Text(sel string) string {
	b.tb.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.Screenshot("error")
		b.tb.Fatalf("browser %s: text of %s: %v", b.name, sel, err)
	}
	return s
}

// Location returns the current URL.
func (b *Browser) Location() string {
	b.tb.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.tb.Fatalf("browser %s: location: %v", b.name, err)
	}
	return s
}

// Screenshot saves a full-page PNG as testdata/out/<test>/<n>-<browser>-<step>.png.
func (b *Browser) Screenshot(step string) string {
	b.tb.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.tb.Logf("browser %s: screenshot %s: %v", b.name, step, err)
		return ""
	}
	dir := filepath.Join("testdata", "out", safeName(b.tb.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.tb.Fatal(err)
	}
	n := b.shots.Add(1)
	path := filepath.Join(dir, fmt.Sprintf("%02d-%s-%s.png", n, b.name, safeName(step)))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.tb.Fatal(err)
	}
	return path
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }
