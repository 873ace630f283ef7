package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// queueDeepPage is the page DESIGN.md's queue target names besides the first.
const queueDeepPage = 1000

var queueNextRE = regexp.MustCompile(`href="(/agent/queue\?[^"]*after=[^"]+)"[^>]*rel="next"`)

// runQueue measures the agent queue for each filter the page offers and
// each sort, on page 1 and on page 1,000 (or the last page, for a filter
// with fewer open cases), as the agent with the most open cases assigned.
// Filter values are the most common ones, so that the deep pages exist
// where they can.
func runQueue(ctx context.Context, pool *pgxpool.Pool, conns int, d time.Duration, base string, as func(string) *http.Client) {
	var agent, product, account string
	err := pool.QueryRow(ctx, `SELECT u.email FROM cases c JOIN users u ON u.id = c.assigned_to
		WHERE c.status = 'open' GROUP BY u.email ORDER BY count(*) DESC LIMIT 1`).Scan(&agent)
	if err != nil {
		log.Fatalf("queue: busiest agent: %v", err)
	}
	if err := pool.QueryRow(ctx, `SELECT product_id::text FROM cases WHERE status = 'open' AND product_id IS NOT NULL
		GROUP BY product_id ORDER BY count(*) DESC LIMIT 1`).Scan(&product); err != nil {
		log.Fatalf("queue: product: %v", err)
	}
	if err := pool.QueryRow(ctx, `SELECT a.identifier FROM cases c JOIN accounts a ON a.id = c.account_id
		WHERE c.status = 'open' GROUP BY a.identifier ORDER BY count(*) DESC LIMIT 1`).Scan(&account); err != nil {
		log.Fatalf("queue: account: %v", err)
	}
	c := as(agent)
	filters := []string{"", "sub_status=in_progress", "priority=3", "product=" + product, "account=" + account,
		"assignee=me", "assignee=unassigned"}
	for _, f := range filters {
		for _, sort := range []string{"priority", "age", "updated", "due"} {
			q := url.Values{}
			if f != "" {
				k, v, _ := strings.Cut(f, "=")
				q.Set(k, v)
			}
			if sort != "priority" {
				q.Set("sort", sort)
			}
			first := base + "/agent/queue"
			if len(q) > 0 {
				first += "?" + q.Encode()
			}
			deep, page := queueWalk(c, base, first, queueDeepPage)
			for _, p := range []struct {
				url  string
				page int
			}{{first, 1}, {deep, page}} {
				r := run(conns, d, func(int) string { return p.url }, c)
				r.Scenario, r.Filter, r.Sort, r.Page = "queue", f, sort, p.page
				if r.Filter == "" {
					r.Filter = "none"
				}
				line, _ := json.Marshal(r)
				fmt.Println(string(line))
				fmt.Fprintf(os.Stderr, "queue %-24s %-8s page %4d: %6.0f req/s  p50 %5.1f ms  p99 %5.1f ms  errors %d\n",
					r.Filter, sort, p.page, r.RPS, r.P50ms, r.P99ms, r.Errors)
			}
		}
	}
}

// queueWalk follows the next-page links from first up to page n and
// returns that page's address and number (the last page's, if fewer).
func queueWalk(c *http.Client, base, first string, n int) (string, int) {
	cur, page := first, 1
	for page < n {
		resp, err := c.Get(cur)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			log.Fatalf("queue: %s: %s", cur, resp.Status)
		}
		m := queueNextRE.FindSubmatch(body)
		if m == nil {
			break
		}
		cur = base + strings.ReplaceAll(string(m[1]), "&amp;", "&")
		page++
	}
	return cur, page
}
