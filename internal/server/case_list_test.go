package server_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// cnCase files a case for u through the store.
func (w *cnWorld) cnCase(t *testing.T, u *apptest.TestUser, subject string, edit ...func(*store.NewCase)) *portal.Case {
	t.Helper()
	nc := store.NewCase{AccountID: u.AccountID, OpenedBy: u.ID, HelpType: portal.HelpProduct, ProductID: w.gate.ID,
		ProductVersion: "6.0", OS: "RHEL 9", Priority: 3, Subject: subject, Description: "d"}
	for _, f := range edit {
		f(&nc)
	}
	c, _, err := w.in.Store.CreateCase(context.Background(), nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cnSet changes a case's sub-status (and status) and last update directly.
func (w *cnWorld) cnSet(t *testing.T, c *portal.Case, sub portal.SubStatus, updated time.Time) {
	t.Helper()
	var closedAt *time.Time
	if sub.Status() == portal.Closed {
		closedAt = &updated
	}
	if _, err := w.in.Store.Pool().Exec(context.Background(), `UPDATE cases SET status = $2, sub_status = $3,
		updated_at = $4, closed_at = $5 WHERE id = $1`, c.ID, sub.Status(), sub, updated, closedAt); err != nil {
		t.Fatal(err)
	}
}

var cnRowRE = regexp.MustCompile(`<th scope="row"><a href="/cases/(CS\d{7})">`)

// cnRows lists the case numbers of a list page, in order.
func cnRows(body string) []string {
	var out []string
	for _, m := range cnRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

var cnNextRE = regexp.MustCompile(`<a href="(/cases\?[^"]*after=[^"]+)" class="button button--secondary" rel="next">`)

func TestCaseList_Visibility(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	own := w.cnCase(t, w.taro, "Taro's own")
	colleague := w.cnCase(t, w.jiro, "Jiro's, Taro not on CC")
	colleagueCC := w.cnCase(t, w.jiro, "Jiro's, Taro on CC", func(nc *store.NewCase) { nc.CC = []string{"taro@acme.example"} })
	foreignCC := w.cnCase(t, w.eve, "Globex's, Taro on CC", func(nc *store.NewCase) { nc.CC = []string{"taro@acme.example"} })
	foreign := w.cnCase(t, w.eve, "Globex's own", func(nc *store.NewCase) { nc.HelpType = portal.HelpPortal; nc.ProductID = 0 })
	portalIssue := w.cnCase(t, w.admin, "Admin's portal issue", func(nc *store.NewCase) {
		nc.HelpType = portal.HelpPortal
		nc.ProductID, nc.ProductVersion, nc.OS = 0, "", ""
	})

	sees := func(u *apptest.TestUser, want ...*portal.Case) string {
		t.Helper()
		r := w.cnClient(t, u).Get("/cases")
		rtExpect(t, "GET /cases as "+u.Email, r, 200, "")
		got := strings.Join(cnRows(r.Body), " ")
		var nums []string
		for _, c := range want {
			nums = append(nums, c.Number)
		}
		// Newest update first, by default.
		for i, j := 0, len(nums)-1; i < j; i, j = i+1, j-1 {
			nums[i], nums[j] = nums[j], nums[i]
		}
		if w := strings.Join(nums, " "); got != w {
			t.Errorf("%s sees %q, want %q", u.Email, got, w)
		}
		return r.Body
	}
	body := sees(w.taro, own, colleagueCC, foreignCC)
	rtContains(t, "a contact's list", body, rtText("en", "case_list.lead"), ">Globex</td>", "Madoguchi SecureGate",
		rtText("en", "priority.3"), rtText("en", "substatus.new"))
	if strings.Contains(body, rtText("en", "case_list.opened_by")) {
		t.Error("a contact's list shows who opened each case")
	}
	sees(w.jiro, colleague, colleagueCC)
	body = sees(w.admin, own, colleague, colleagueCC, portalIssue)
	rtContains(t, "the administrator's list", body, rtText("en", "case_list.lead_admin", "Account", "Acme"),
		rtText("en", "case_list.opened_by"), "<td>Taro Yamada</td>", "<td>Jiro Suzuki</td>",
		"<td>"+rtText("en", "case_list.portal")+"</td>")
	sees(w.eve, foreignCC, foreign)

	agent := w.cnClient(t, w.agent)
	rtExpect(t, "GET /cases as an agent", agent.Get("/cases"), 403, "")
	rtExpect(t, "GET /cases signed out", w.in.Client(t).Get("/cases?state=all"), 303, "/login?next="+url.QueryEscape("/cases?state=all"))
}

func TestCaseList_FiltersAndSort(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	base := time.Date(2026, 11, 20, 1, 30, 0, 0, time.UTC)
	a := w.cnCase(t, w.taro, "A", func(nc *store.NewCase) { nc.Priority = 4 })
	b := w.cnCase(t, w.taro, "B", func(nc *store.NewCase) { nc.Priority = 1 })
	c := w.cnCase(t, w.taro, "C", func(nc *store.NewCase) { nc.Priority = 2 })
	d := w.cnCase(t, w.taro, "D", func(nc *store.NewCase) { nc.Priority = 3 })
	w.cnSet(t, a, portal.SubAwaitingCustomer, base.Add(3*time.Hour))
	w.cnSet(t, b, portal.SubInProgress, base.Add(1*time.Hour))
	w.cnSet(t, c, portal.SubClosedByCustomer, base.Add(4*time.Hour))
	w.cnSet(t, d, portal.SubResolved, base.Add(2*time.Hour))

	cl := w.cnClient(t, w.taro)
	list := func(query string, want ...*portal.Case) string {
		t.Helper()
		r := cl.Get("/cases" + query)
		rtExpect(t, "GET /cases"+query, r, 200, "")
		var nums []string
		for _, c := range want {
			nums = append(nums, c.Number)
		}
		if got, w := strings.Join(cnRows(r.Body), " "), strings.Join(nums, " "); got != w {
			t.Errorf("/cases%s lists %q, want %q", query, got, w)
		}
		return r.Body
	}
	body := list("", a, b)
	rtContains(t, "the default list", body,
		`<a href="/cases" class="button" aria-current="page">`+rtText("en", "case_list.state_open")+`</a>`,
		`<a href="/cases?state=closed" class="button button--secondary">`,
		// Sorted by last update, newest first; its header turns the order round.
		`aria-sort="descending"><a href="/cases?dir=asc">`,
		`<a href="/cases?sort=number">`, `<a href="/cases?sort=priority">`,
		`<span class="badge badge--warn">`+rtText("en", "substatus.awaiting_customer")+`</span>`,
		`<span class="badge">`+rtText("en", "substatus.in_progress")+`</span>`,
		`<span class="badge badge--warn">`+rtText("en", "priority.1")+`</span>`,
		// In the contact's time zone (Asia/Tokyo by default): 04:30 UTC is 13:30.
		`<time datetime="2026-11-20T04:30:00Z">20 Nov 2026 13:30</time>`)
	list("?state=closed", c, d)
	body = list("?state=all", c, a, d, b)
	rtContains(t, "the whole list", body, `<span class="badge badge--muted">`+rtText("en", "substatus.closed_by_customer")+`</span>`)
	body = list("?state=all&sort=number", d, c, b, a)
	rtContains(t, "by number", body, `aria-sort="descending"><a href="/cases?dir=asc&amp;sort=number&amp;state=all">`)
	list("?state=all&sort=number&dir=asc", a, b, c, d)
	body = list("?state=all&sort=priority", b, c, d, a)
	rtContains(t, "by priority", body, `aria-sort="ascending"><a href="/cases?dir=desc&amp;sort=priority&amp;state=all">`)
	list("?state=all&sort=priority&dir=desc", a, d, c, b)
	list("?state=all&sort=updated&dir=asc", b, d, a, c)
	// Unknown values mean the defaults.
	list("?state=everything&sort=color&dir=sideways", a, b)
	rtExpect(t, "GET with a forged cursor", cl.Get("/cases?after=bogus"), 422, "")

	// Another time zone, in Japanese.
	ny := w.in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Language: "ja", TimeZone: "America/New_York"})
	w.cnCase(t, ny, "NY")
	if _, err := w.in.Store.Pool().Exec(context.Background(), `UPDATE cases SET updated_at = $2 WHERE opened_by = $1`, ny.ID, base); err != nil {
		t.Fatal(err)
	}
	r := w.cnClient(t, ny).Get("/cases")
	rtContains(t, "the Japanese list", r.Body, "2026年11月19日 20:30", rtText("ja", "substatus.new"), rtText("ja", "priority.3"),
		rtText("ja", "case_list.number"))
}

func TestCaseList_Paging(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	var all []string
	for i := range 53 {
		c := w.cnCase(t, w.taro, fmt.Sprint("case ", i))
		all = append([]string{c.Number}, all...) // newest first
	}
	cl := w.cnClient(t, w.taro)
	r := cl.Get("/cases?sort=number")
	page1 := cnRows(r.Body)
	if len(page1) != 50 || strings.Join(page1, " ") != strings.Join(all[:50], " ") {
		t.Fatalf("page 1 = %d rows %v", len(page1), page1)
	}
	m := cnNextRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no next page link\n%s", rtSnippet(r.Body))
	}
	next := html.UnescapeString(m[1])
	if !strings.Contains(next, "sort=number") {
		t.Errorf("next page %q loses the order", next)
	}
	// A case filed meanwhile is newer: it does not push one onto page 2 twice.
	w.cnCase(t, w.taro, "late")
	r = cl.Get(next)
	page2 := cnRows(r.Body)
	if strings.Join(page2, " ") != strings.Join(all[50:], " ") {
		t.Errorf("page 2 = %v, want %v", page2, all[50:])
	}
	if cnNextRE.MatchString(r.Body) {
		t.Error("the last page has a next link")
	}
	rtContains(t, "page 2", r.Body, `<a href="/cases?sort=number" class="button button--secondary">`+rtText("en", "case_list.first")+`</a>`)
}

func TestCaseList_Empty(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	r := w.cnClient(t, w.taro).Get("/cases")
	rtExpect(t, "GET /cases", r, 200, "")
	rtContains(t, "the empty list", r.Body, rtText("en", "case_list.empty_open"), `<a href="/cases/new" class="button">`,
		`<a href="/cases" aria-current="page">`+rtText("en", "nav.cases")+`</a><a href="/cases/new">`)
	r = w.cnClient(t, w.taro).Get("/cases?state=closed")
	rtContains(t, "the empty closed list", r.Body, rtText("en", "case_list.empty_closed"))
}

func TestCaseList_EscapesMarkup(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	c := w.cnClient(t, w.taro)
	vals := w.cnForm("tok-xss")
	vals.Set("subject", `<script>alert("x")</script> & <b>bold</b>`)
	rtExpect(t, "POST /cases/new", c.PostForm("/cases/new", vals), 303, "")
	r := c.Get("/cases")
	rtContains(t, "the list", r.Body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;`)
	if strings.Contains(r.Body, `<script>alert`) || strings.Contains(r.Body, "<b>bold") {
		t.Error("the subject's markup reached the page")
	}
	// The e-mail's HTML part escapes it too.
	m := rtWait(t, w.in, w.taro.Email, "alert")
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("the opened mail's HTML part does not escape the subject:\n%s", m.HTML)
	}
}
