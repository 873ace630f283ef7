// Command bench measures a running Madoguchi on loopback: it signs in as a
// customer and an agent, drives the pages named on the command line with a
// fixed number of concurrent connections, and prints latency percentiles and
// throughput as JSON lines. scripts/bench.sh runs it against a database
// seeded with `madoguchi seed bulk` and writes docs/benchmarks.md.
//
//	go run ./internal/tools/bench -base http://127.0.0.1:18090 -db "$DATABASE_URL" \
//	    -customer user@example.com -password … -scenario case-page,my-cases,case-page:64 -conns 16 -duration 20s
//	go run ./internal/tools/bench -scenario report -in results.jsonl -out docs/benchmarks.md
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	var (
		base     = flag.String("base", "http://127.0.0.1:18090", "portal base URL")
		dsn      = flag.String("db", os.Getenv("DATABASE_URL"), "the portal's database (to read e-mailed codes and pick cases)")
		customer = flag.String("customer", "", "customer e-mail (my cases)")
		agent    = flag.String("agent", "agent@madoguchi.example", "agent e-mail (case pages)")
		password = flag.String("password", "madoguchi-demo-2026", "password of both")
		scenario = flag.String("scenario", "case-page", "comma-separated runs, each case-page | my-cases | comment | upload | queue, with :conns to override -conns (case-page:64)")
		queueDur = flag.Duration("queue-duration", 4*time.Second, "how long to load each filter, sort and page of scenario queue")
		conns    = flag.Int("conns", 16, "concurrent connections")
		duration = flag.Duration("duration", 20*time.Second, "how long to load")
		size     = flag.Int64("upload-mb", 250, "upload size in MB (scenario upload)")
		in       = flag.String("in", "", "scenario report: the collected JSON lines")
		out      = flag.String("out", "docs/benchmarks.md", "scenario report: the Markdown file to write")
		command  = flag.String("command", "make bench", "scenario report: the command named in the report")
	)
	flag.Parse()
	if *scenario == "report" {
		if err := writeReport(*in, *out, *command); err != nil {
			log.Fatal(err)
		}
		return
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// Each person signs in once for every run: sign-ins mail codes, and
	// those are rate-limited per person.
	clients := map[string]*http.Client{}
	as := func(email string) *http.Client {
		if clients[email] == nil {
			clients[email] = signIn(ctx, pool, *base, email, *password)
		}
		return clients[email]
	}
	for _, spec := range strings.Split(*scenario, ",") {
		name, n := spec, *conns
		if i := strings.IndexByte(spec, ':'); i >= 0 {
			name = spec[:i]
			if _, err := fmt.Sscan(spec[i+1:], &n); err != nil || n < 1 {
				log.Fatalf("scenario %q: connections must be a positive number", spec)
			}
		}
		if name == "queue" {
			runQueue(ctx, pool, n, *queueDur, *base, as)
			continue
		}
		runScenario(ctx, pool, name, n, *duration, *base, as(*agent), as, *customer, *size<<20)
	}
}

// runScenario runs one measurement and prints its result.
func runScenario(ctx context.Context, pool *pgxpool.Pool, name string, conns int, d time.Duration, base string,
	agent *http.Client, as func(string) *http.Client, customer string, size int64) {
	switch name {
	case "case-page":
		numbers := busyCases(ctx, pool, 200)
		report(name, run(conns, d, func(i int) string {
			return base + "/cases/" + numbers[i%len(numbers)]
		}, agent))
	case "my-cases":
		c := as(customer)
		// Alternate the first page with later pages reached by the cursor,
		// as a person paging through would.
		pages := cursorPages(c, base+"/cases?state=all", 10)
		report(name, run(conns, d, func(i int) string { return pages[i%len(pages)] }, c))
	case "comment":
		// An agent replies on open cases, spread over many so that the
		// row locks rarely meet; each reply also queues its e-mails.
		numbers := openCases(ctx, pool, 2000)
		report(name, runRequests(conns, d, http.StatusSeeOther, func(i int) *http.Request {
			vals := url.Values{"body": {fmt.Sprintf("ご連絡ありがとうございます。ログを確認しています (%d)。", i)}}
			req, _ := http.NewRequest(http.MethodPost, base+"/cases/"+numbers[i%len(numbers)]+"/comments", strings.NewReader(vals.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			return req
		}, agent))
	case "upload":
		uploadOnce(ctx, pool, as(customer), base, customer, size)
	default:
		log.Fatalf("unknown scenario %q", name)
	}
}

// client is a signed-in browser-like client that reuses its connections.
func newClient(conns int) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			IdleConnTimeout: time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Minute,
	}
}

var codeRE = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)

// signIn signs in with the password and the e-mailed code, read from the
// outbox (the benchmark server may have no reachable SMTP server).
func signIn(ctx context.Context, pool *pgxpool.Pool, base, email, password string) *http.Client {
	c := newClient(64)
	post := func(path string, vals url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(vals.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var before int64
	pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM outbox`).Scan(&before)
	if r := post("/login", url.Values{"email": {email}, "password": {password}}); r.StatusCode != http.StatusSeeOther {
		log.Fatalf("sign in %s: status %d", email, r.StatusCode)
	}
	var text string
	for i := 0; i < 100 && text == ""; i++ {
		pool.QueryRow(ctx, `SELECT text_body FROM outbox WHERE id > $1 AND lower(to_address) = lower($2) ORDER BY id DESC LIMIT 1`,
			before, email).Scan(&text)
		if text == "" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	m := codeRE.FindStringSubmatch(text)
	if m == nil {
		log.Fatalf("sign in %s: no code mailed", email)
	}
	r := post("/login/otp", url.Values{"code": {m[1]}})
	loc := r.Header.Get("Location")
	if strings.Contains(loc, "/terms") {
		// A demo user signing in for the first time accepts the terms, as
		// a person would.
		r = post("/terms", url.Values{"accept_terms": {"1"}})
		loc = r.Header.Get("Location")
	}
	if strings.Contains(loc, "/mfa/setup") {
		// The first e-mailed code pairs the e-mail method; the recovery
		// codes are then shown once, which this visit does.
		if resp, err := c.Get(base + "/mfa/setup"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if resp, err := c.Get(base + "/account"); err != nil || resp.StatusCode != http.StatusOK {
			log.Fatalf("sign in %s: account needs pairing an authenticator first; sign in once in a browser", email)
		} else {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return c
	}
	if strings.Contains(loc, "/terms") || strings.Contains(loc, "/password/change") {
		log.Fatalf("sign in %s: account needs %s first; sign in once in a browser", email, loc)
	}
	if r.StatusCode != http.StatusSeeOther {
		log.Fatalf("sign in %s: code step status %d", email, r.StatusCode)
	}
	return c
}

// busyCases picks cases with many comments: the case page target is for
// pages with 50 comments and attachments.
func busyCases(ctx context.Context, pool *pgxpool.Pool, n int) []string {
	rows, err := pool.Query(ctx, `SELECT c.number FROM cases c
		JOIN LATERAL (SELECT count(*) AS n FROM case_events e WHERE e.case_id = c.id) e ON true
		WHERE c.id IN (SELECT id FROM cases TABLESAMPLE SYSTEM (2) LIMIT 20000)
		ORDER BY e.n DESC LIMIT $1`, n)
	if err != nil {
		log.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	if len(out) == 0 {
		log.Fatal("no cases: seed the database with `madoguchi seed bulk` first")
	}
	return out
}

// openCases picks up to n open cases at random.
func openCases(ctx context.Context, pool *pgxpool.Pool, n int) []string {
	rows, err := pool.Query(ctx, `SELECT number FROM cases TABLESAMPLE SYSTEM (5)
		WHERE status = 'open' LIMIT $1`, n)
	if err != nil {
		log.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	if len(out) == 0 {
		log.Fatal("no open cases: seed the database with `madoguchi seed bulk` first")
	}
	return out
}

var nextRE = regexp.MustCompile(`href="(/cases\?[^"]*after=[^"]+)"`)

// cursorPages follows "next page" links from first to collect up to n pages.
func cursorPages(c *http.Client, first string, n int) []string {
	pages := []string{first}
	u, _ := url.Parse(first)
	for len(pages) < n {
		resp, err := c.Get(pages[len(pages)-1])
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := nextRE.FindSubmatch(body)
		if m == nil {
			break
		}
		next := strings.ReplaceAll(string(m[1]), "&amp;", "&")
		pages = append(pages, u.Scheme+"://"+u.Host+next)
	}
	return pages
}

type result struct {
	Scenario    string  `json:"scenario"`
	Conns       int     `json:"conns"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	RPS         float64 `json:"rps"`
	P50ms       float64 `json:"p50_ms"`
	P90ms       float64 `json:"p90_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	FirstError  string  `json:"first_error,omitempty"`
	Filter      string  `json:"filter,omitempty"` // queue: the query string's filter
	Sort        string  `json:"sort,omitempty"`
	Page        int     `json:"page,omitempty"`
	BytesPerReq int64   `json:"bytes_per_request"`
}

// run issues GETs of url(i) from conns workers for d and measures them.
func run(conns int, d time.Duration, urlFor func(i int) string, c *http.Client) result {
	return runRequests(conns, d, http.StatusOK, func(i int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, urlFor(i), nil)
		return req
	}, c)
}

// runRequests sends req(i) from conns workers for d and measures them; an
// answer other than want counts as an error.
func runRequests(conns int, d time.Duration, want int, req func(i int) *http.Request, c *http.Client) result {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		firstErr  atomic.Value
		bytes     atomic.Int64
		seq       atomic.Int64
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for time.Now().Before(deadline) {
				i := int(seq.Add(1))
				t0 := time.Now()
				resp, err := c.Do(req(i))
				if err == nil {
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					bytes.Add(n)
					if resp.StatusCode != want {
						err = fmt.Errorf("status %d for %s", resp.StatusCode, resp.Request.URL.Path)
					}
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(latencies)))) - 1
		return float64(latencies[max(i, 0)].Microseconds()) / 1000
	}
	r := result{Conns: conns, Requests: len(latencies), Errors: int(errs.Load()), Seconds: elapsed,
		RPS: float64(len(latencies)) / elapsed, P50ms: pct(.50), P90ms: pct(.90), P99ms: pct(.99), MaxMs: pct(1)}
	if len(latencies) > 0 {
		r.BytesPerReq = bytes.Load() / int64(len(latencies))
	}
	if e, ok := firstErr.Load().(string); ok {
		r.FirstError = e
	}
	return r
}

func report(name string, r result) {
	r.Scenario = name
	json.NewEncoder(os.Stdout).Encode(r)
}

// uploadOnce posts one comment with a size-byte attachment to one of the
// customer's open cases and reports the throughput and the server's memory
// before and after (from /metrics).
func uploadOnce(ctx context.Context, pool *pgxpool.Pool, c *http.Client, base, email string, size int64) {
	var number string
	var version int
	err := pool.QueryRow(ctx, `SELECT c.number, c.version FROM cases c JOIN users u ON u.id = c.opened_by
		WHERE lower(u.email) = lower($1) AND c.status = 'open' ORDER BY c.updated_at DESC LIMIT 1`, email).Scan(&number, &version)
	if err != nil {
		log.Fatalf("upload: no open case of %s: %v", email, err)
	}
	rssBefore := metric(c, base, "process_resident_memory_bytes")
	// Sample the server's memory while the upload runs: the peak is what
	// matters, not what is left afterwards.
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		probe := newClient(1)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if v := int64(metric(probe, base, "process_resident_memory_bytes")); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("body", "benchmark upload")
		mw.WriteField("version", fmt.Sprint(version))
		fw, err := mw.CreateFormFile("attachments", "bench.bin")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		buf := make([]byte, 1<<20)
		rand.Read(buf)
		for sent := int64(0); sent < size; sent += int64(len(buf)) {
			chunk := buf[:min(int64(len(buf)), size-sent)]
			chunk[0] = byte(mrand.IntN(256))
			if _, err := fw.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest(http.MethodPost, base+"/cases/"+number+"/comments", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	secs := time.Since(t0).Seconds()
	close(stop)
	<-sampled
	rssPeak := max(float64(peak.Load()), metric(c, base, "process_resident_memory_bytes"))
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"scenario": "upload", "status": resp.StatusCode, "bytes": size, "seconds": secs,
		"mb_per_s": float64(size) / (1 << 20) / secs, "rss_before_mb": rssBefore / (1 << 20),
		"rss_peak_mb": rssPeak / (1 << 20), "rss_growth_mb": (rssPeak - rssBefore) / (1 << 20),
	})
}

// metric reads one gauge from the portal's /metrics.
func metric(c *http.Client, base, name string) float64 {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name+" ") {
			var v float64
			fmt.Sscanf(strings.TrimPrefix(line, name+" "), "%g", &v)
			return v
		}
	}
	return 0
}
