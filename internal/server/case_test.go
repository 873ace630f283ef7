package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// Fixtures of the case-page area start with cp so that they cannot clash
// with other areas' helpers in package server_test.

// cpWorld is a running portal with an organization (Acme) whose contact
// opens cases with a colleague on CC, Acme's account administrator, a
// contact of another organization (Globex), and an agent; each has a signed
// in client.
type cpWorld struct {
	in                              *apptest.Instance
	acc, other                      *portal.Account
	opener, cc, admin, stranger     *apptest.TestUser
	agent                           *apptest.TestUser
	openerC, ccC, adminC, strangerC *apptest.Client
	agentC, anonC                   *apptest.Client
}

func cpNew(t *testing.T) *cpWorld {
	t.Helper()
	return cpNewWith(t, apptest.Options{})
}

func cpNewWith(t *testing.T, o apptest.Options) *cpWorld {
	t.Helper()
	// Attachments go to a folder of the test's, never the source tree.
	env := map[string]string{"DATA_DIR": t.TempDir()}
	for k, v := range o.Env {
		env[k] = v
	}
	o.Env = env
	in := apptest.StartWith(t, o)
	w := &cpWorld{in: in, acc: in.Account(t, "Acme"), other: in.Account(t, "Globex")}
	w.opener = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "山田 太郎", Language: "ja",
		Email: "taro@acme.example"})
	w.cc = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "Hanako Suzuki", Email: "hanako@acme.example"})
	w.admin = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, AccountAdmin: true, Name: "Acme Admin"})
	w.stranger = in.User(t, apptest.UserSpec{AccountID: w.other.ID, Ready: true, Name: "Globex Eve"})
	w.agent = in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Agent Sato"})
	w.openerC, w.ccC, w.adminC, w.strangerC = in.Client(t), in.Client(t), in.Client(t), in.Client(t)
	w.agentC, w.anonC = in.Client(t), in.Client(t)
	for u, c := range map[*apptest.TestUser]*apptest.Client{w.opener: w.openerC, w.cc: w.ccC, w.admin: w.adminC,
		w.stranger: w.strangerC, w.agent: w.agentC} {
		in.SignIn(t, c, u)
	}
	return w
}

// cpCase files a case for the opener with the colleague and a plain address
// on CC, and puts it into sub-status sub (closed closedAgo ago when sub is a
// closed one).
func (w *cpWorld) cpCase(t *testing.T, sub portal.SubStatus, closedAgo time.Duration) *portal.Case {
	t.Helper()
	c, _, err := w.in.Store.CreateCase(context.Background(), store.NewCase{
		AccountID: w.acc.ID, OpenedBy: w.opener.ID, HelpType: portal.HelpProduct, Priority: portal.DefaultPriority,
		Subject: "VPN が毎朝切断される", Description: "毎朝 9 時ごろに VPN が切断されます。\n再接続すると直ります。",
		CC: []string{w.cc.Email, "partner@outside.example"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sub != portal.SubNew {
		w.cpSet(t, c, sub, closedAgo)
	}
	return w.cpReload(t, c)
}

// cpSet puts a case into sub-status sub directly in the database.
func (w *cpWorld) cpSet(t *testing.T, c *portal.Case, sub portal.SubStatus, closedAgo time.Duration) {
	t.Helper()
	var closedAt, waiting *time.Time
	if sub.Status() == portal.Closed {
		at := time.Now().Add(-closedAgo)
		closedAt = &at
	}
	if sub.WaitingOnCustomer() {
		at := time.Now()
		waiting = &at
	}
	if _, err := w.in.Store.Pool().Exec(context.Background(), `UPDATE cases SET sub_status = $2, status = $3,
		closed_at = $4, waiting_since = $5, version = version + 1 WHERE id = $1`,
		c.ID, sub, sub.Status(), closedAt, waiting); err != nil {
		t.Fatal(err)
	}
}

func (w *cpWorld) cpReload(t *testing.T, c *portal.Case) *portal.Case {
	t.Helper()
	c, err := w.in.Store.CaseByNumber(context.Background(), c.Number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cpPath(c *portal.Case, action string) string {
	if action == "" {
		return "/cases/" + c.Number
	}
	return "/cases/" + c.Number + "/" + action
}

// cpPostForm posts vals (with the case's current version) to an action.
func (w *cpWorld) cpPost(t *testing.T, cl *apptest.Client, c *portal.Case, action string, vals url.Values) *apptest.Response {
	t.Helper()
	if vals == nil {
		vals = url.Values{}
	}
	if !vals.Has("version") {
		vals.Set("version", strconv.Itoa(w.cpReload(t, c).Version))
	}
	return cl.PostForm(cpPath(c, action), vals)
}

// cpFile is a file to upload.
type cpFile struct {
	name string
	data []byte
}

// cpMultipart posts a multipart form with files to path, as a browser does.
func (w *cpWorld) cpMultipart(t *testing.T, cl *apptest.Client, path string, vals url.Values, files ...cpFile) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile("attachments", f.name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, w.in.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", w.in.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return cl.Do(req)
}

// cpSub is the case's sub-status in the database.
func (w *cpWorld) cpSub(t *testing.T, c *portal.Case) portal.SubStatus {
	t.Helper()
	return w.cpReload(t, c).SubStatus
}

// cpMails returns the mails received for to that mention the case number.
func (w *cpWorld) cpMails(to, number string) []mailtest.Mail {
	var out []mailtest.Mail
	for _, m := range w.in.Mail.Messages() {
		for _, rcpt := range m.To {
			if strings.EqualFold(rcpt, to) && strings.Contains(m.Subject, number) {
				out = append(out, m)
			}
		}
	}
	return out
}

// cpWaitMail waits for a mail to to about the case whose subject contains
// the text of key in lang.
func (w *cpWorld) cpWaitMail(t *testing.T, to, lang, key string, c *portal.Case) mailtest.Mail {
	t.Helper()
	subject := html.UnescapeString(rtText(lang, key, "Number", c.Number))
	return w.in.Mail.WaitFor(t, to, func(m mailtest.Mail) bool { return m.Subject == subject }, 15*time.Second)
}

// cpSettle waits until the outbox has been delivered, so that a check that
// a mail was NOT sent is meaningful.
func (w *cpWorld) cpSettle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var pending int
		if err := w.in.Store.Pool().QueryRow(context.Background(),
			`SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the outbox was not delivered within 15 s")
}

func TestCase_Page(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubNew, 0)

	r := w.openerC.Get(cpPath(c, ""))
	rtExpect(t, "GET case as opener", r, 200, "")
	rtContains(t, "the case page (ja)", r.Body, c.Number, "VPN が毎朝切断される", "毎朝 9 時ごろに VPN が切断されます。<br>再接続すると直ります。",
		rtText("ja", "substatus.new"), rtText("ja", "priority.3"), rtText("ja", "priority.1_impact"),
		rtText("ja", "case_page.type_product"), "山田 太郎", "Acme",
		rtText("ja", "case_event.created", "Name", "山田 太郎"),
		`action="/cases/`+c.Number+`/comments"`, `enctype="multipart/form-data"`, `name="version" value="`+strconv.Itoa(c.Version)+`"`,
		`action="/cases/`+c.Number+`/fields"`, "hanako@acme.example\npartner@outside.example",
		`action="/cases/`+c.Number+`/close"`, rtText("ja", "case_page.no_attachments"))
	// Created in the viewer's time zone (Asia/Tokyo by default), Japanese style.
	created := c.CreatedAt.In(time.FixedZone("JST", 9*3600)).Format("2006年1月2日 15:04")
	rtContains(t, "the case page", r.Body, created)
	for _, staffOnly := range []string{"/propose-solution", "/status", "/assign", `name="internal"`,
		"/accept-solution", "/reject-solution", "/reopen"} {
		if strings.Contains(r.Body, staffOnly) {
			t.Errorf("the customer's page of a new case offers %s", staffOnly)
		}
	}

	r = w.agentC.Get(cpPath(c, ""))
	rtExpect(t, "GET case as agent", r, 200, "")
	rtContains(t, "the agent's page", r.Body, `/propose-solution"`, `/status"`, `/assign"`, `name="internal"`,
		`value="escalated"`, `value="awaiting_customer"`, rtText("en", "case_page.assign_me"), `href="/agent/queue"`)

	rtExpect(t, "GET unknown case", w.openerC.Get("/cases/CS9999999"), 404, "")
	rtExpect(t, "GET malformed case", w.openerC.Get("/cases/cs12"), 404, "")
	rtExpect(t, "GET case signed out", w.anonC.Get(cpPath(c, "")), 303, "/login?next="+url.QueryEscape(cpPath(c, "")))
}

// A customer and an agent take a case through every transition of the state
// table over HTTP, and each notification goes to whom DESIGN.md flow 11
// says, in their language.
func TestCase_EveryTransition(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubNew, 0)
	step := func(who *apptest.Client, action string, vals url.Values, want portal.SubStatus) {
		t.Helper()
		r := w.cpPost(t, who, c, action, vals)
		rtExpect(t, "POST "+action, r, 303, cpPath(c, ""))
		if got := w.cpSub(t, c); got != want {
			t.Fatalf("after %s: %s, want %s", action, got, want)
		}
	}

	step(w.agentC, "assign", url.Values{"agent": {"me"}}, portal.SubNew)
	if got := w.cpReload(t, c); got.AssignedTo != w.agent.ID {
		t.Fatalf("assigned to %d", got.AssignedTo)
	}
	// new → in_progress: the agent's reply; the opener (ja), the CC'd
	// colleague (en) and the plain CC address hear of it, the agent not.
	step(w.agentC, "comments", url.Values{"body": {"ログを送ってください。"}}, portal.SubInProgress)
	m := w.cpWaitMail(t, w.opener.Email, "ja", "case_mail.comment_subject", c)
	rtContains(t, "the opener's comment mail", m.Text, "ログを送ってください。", w.in.URL+"/cases/"+c.Number, "Agent Sato",
		html.UnescapeString(rtText("ja", "mail.noreply")))
	w.cpWaitMail(t, w.cc.Email, "en", "case_mail.comment_subject", c)
	w.cpWaitMail(t, "partner@outside.example", "ja", "case_mail.comment_subject", c)

	step(w.agentC, "status", url.Values{"sub_status": {"awaiting_customer"}, "comment": {"再現手順を教えてください。"}},
		portal.SubAwaitingCustomer)
	// awaiting_customer → customer_updated: the colleague on CC answers; the
	// opener and the agent are told, the colleague not.
	step(w.ccC, "comments", url.Values{"body": {"手順を添付しました。"}}, portal.SubCustomerUpdated)
	m = w.cpWaitMail(t, w.agent.Email, "en", "case_mail.comment_subject", c)
	rtContains(t, "the agent's comment mail", m.Text, "手順を添付しました。", "Hanako Suzuki")
	step(w.agentC, "status", url.Values{"sub_status": {"escalated"}}, portal.SubEscalated)
	step(w.agentC, "status", url.Values{"sub_status": {"in_progress"}}, portal.SubInProgress)
	step(w.agentC, "propose-solution", url.Values{"body": {"ドライバ 2.1 に更新してください。"}}, portal.SubSolutionProposed)
	m = w.cpWaitMail(t, w.opener.Email, "ja", "case_mail.solution_subject", c)
	rtContains(t, "the solution mail", m.Text, "ドライバ 2.1 に更新してください。")
	w.cpWaitMail(t, w.cc.Email, "en", "case_mail.solution_subject", c)
	step(w.openerC, "reject-solution", url.Values{"comment": {"更新後も切断されます。"}}, portal.SubCustomerUpdated)
	step(w.agentC, "propose-solution", url.Values{"body": {"省電力設定を無効にしてください。"}}, portal.SubSolutionProposed)
	// solution_proposed → resolved: accepted; the closing notice goes to the
	// opener only, with the survey link.
	step(w.openerC, "accept-solution", nil, portal.SubResolved)
	m = w.cpWaitMail(t, w.opener.Email, "ja", "case_mail.closed_subject", c)
	rtContains(t, "the closing mail", m.Text, w.in.URL+"/cases/"+c.Number+"#survey", rtText("ja", "substatus.resolved"))
	// Reopening tells the assigned agent.
	step(w.openerC, "reopen", url.Values{"comment": {"また切断されました。"}}, portal.SubCustomerUpdated)
	m = w.cpWaitMail(t, w.agent.Email, "en", "case_mail.reopened_subject", c)
	rtContains(t, "the reopen mail", m.Text, "また切断されました。", "山田 太郎")
	step(w.openerC, "close", url.Values{"comment": {"社内で対応します。"}}, portal.SubClosedByCustomer)
	for _, reason := range []portal.SubStatus{portal.SubCloseAgreed, portal.SubOutOfScope, portal.SubResolved} {
		step(w.adminC, "reopen", url.Values{"comment": {"再確認"}}, portal.SubCustomerUpdated)
		step(w.agentC, "close", url.Values{"sub_status": {string(reason)}}, reason)
	}

	w.cpSettle(t)
	if n := len(w.cpMails(w.agent.Email, c.Number)); n != 6 {
		// The colleague's comment, the rejection's comment, the first
		// reopen and the three reopens of the loop; nothing of their own.
		t.Errorf("the agent got %d mails, want 6", n)
	}
	for _, m := range w.cpMails(w.cc.Email, c.Number) {
		if strings.Contains(m.Subject, "closed") {
			t.Errorf("the CC'd colleague got a closing notice: %q", m.Subject)
		}
	}
	for _, m := range w.cpMails(w.opener.Email, c.Number) {
		if m.Subject == html.UnescapeString(rtText("ja", "case_mail.reopened_subject", "Number", c.Number)) {
			t.Error("the opener was told of their own reopening")
		}
	}
	// The timeline shows every change in order, and the page the header.
	page := w.openerC.Get(cpPath(c, "")).Body
	rtContains(t, "the timeline", page, rtText("ja", "case_event.status_changed", "Status", rtText("ja", "substatus.in_progress")),
		rtText("ja", "case_event.rejected", "Name", "山田 太郎"), rtText("ja", "case_event.accepted", "Name", "山田 太郎"),
		rtText("ja", "case_event.reopened", "Name", "Acme Admin"), rtText("ja", "case_event.escalated", "Name", "Agent Sato"),
		rtText("ja", "case_event.assigned_self", "Name", "Agent Sato"), "Agent Sato")
	if i, j := strings.Index(page, "ログを送ってください。"), strings.Index(page, "省電力設定を無効にしてください。"); i < 0 || j < i {
		t.Error("the timeline is not oldest first")
	}

	// Refused transitions answer 403 to someone who sees the case.
	rtExpect(t, "accept a closed case", w.cpPost(t, w.openerC, c, "accept-solution", nil), 403, "")
	rtExpect(t, "comment on a closed case", w.cpPost(t, w.openerC, c, "comments", url.Values{"body": {"x"}}), 403, "")
	rtExpect(t, "agent reopens", w.cpPost(t, w.agentC, c, "reopen", url.Values{"comment": {"x"}}), 403, "")
	rtExpect(t, "set status of a closed case", w.cpPost(t, w.agentC, c, "status", url.Values{"sub_status": {"in_progress"}}), 403, "")
	// A closed case's fields are a record: no form, and a post is refused.
	if strings.Contains(page, `action="/cases/`+c.Number+`/fields"`) {
		t.Error("a closed case offers the fields form")
	}
	r := w.cpPost(t, w.openerC, c, "fields", url.Values{"priority": {"1"}})
	rtExpect(t, "change the fields of a closed case", r, 409, "")
	rtContains(t, "the 409 page", r.Body, rtText("ja", "case_fields.closed"))
	if got, _ := w.in.Store.CaseByNumber(context.Background(), c.Number); got.Priority == 1 {
		t.Error("a closed case's priority changed")
	}
}

// Missing reasons and bad choices come back as 422 with the page, the input
// kept and the message beside the field.
func TestCase_InvalidActions(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubSolutionProposed, 0)
	r := w.cpPost(t, w.openerC, c, "reject-solution", url.Values{"comment": {"  "}})
	rtExpect(t, "reject without a reason", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-reject-comment"`, rtText("ja", "case_act.reason_required"), `aria-invalid="true"`)

	r = w.cpPost(t, w.agentC, c, "close", url.Values{"comment": {"対応終了"}})
	rtExpect(t, "agent closes without a reason", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-close-sub_status"`, rtText("en", "case.close_reason_invalid"), "対応終了")
	r = w.cpPost(t, w.agentC, c, "status", url.Values{"sub_status": {"resolved"}, "comment": {"メモ"}})
	rtExpect(t, "set a closed sub-status", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-status-sub_status"`, rtText("en", "case.status_invalid"))
	r = w.cpPost(t, w.agentC, c, "propose-solution", url.Values{"body": {""}})
	rtExpect(t, "propose nothing", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-propose-body"`, rtText("en", "case_act.solution_required"))
	r = w.cpPost(t, w.openerC, c, "comments", url.Values{"body": {""}})
	rtExpect(t, "an empty comment", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-body"`, rtText("ja", "case_act.body_required"), rtText("ja", "case_page.files_again"))
	r = w.cpPost(t, w.agentC, c, "assign", url.Values{"agent": {strconv.FormatInt(w.opener.ID, 10)}})
	rtExpect(t, "assign to a customer", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-assign-agent"`)
	if after := w.cpReload(t, c); after.Version != c.Version {
		t.Errorf("invalid actions changed the case: version %d → %d", c.Version, after.Version)
	}
}

// Internal notes are never in a customer's page or mail.
func TestCase_InternalNotes(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	const secret = "社内限定: 既知の不具合 BUG-4711"
	r := w.cpMultipart(t, w.agentC, cpPath(c, "comments"), url.Values{"body": {secret}, "internal": {"1"},
		"version": {strconv.Itoa(c.Version)}}, cpFile{"internal-analysis.txt", []byte("core dump analysis")})
	rtExpect(t, "POST internal note", r, 303, cpPath(c, ""))
	if got := w.cpReload(t, c); got.Version != c.Version || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Errorf("an internal note changed the case row: %+v", got)
	}
	w.cpPost(t, w.agentC, c, "comments", url.Values{"body": {"公開の返信です"}})

	staffPage := w.agentC.Get(cpPath(c, "")).Body
	rtContains(t, "the agent's page", staffPage, secret, "internal-analysis.txt", rtText("en", "case_page.internal_badge"))
	for who, cl := range map[string]*apptest.Client{"opener": w.openerC, "cc": w.ccC, "admin": w.adminC} {
		page := cl.Get(cpPath(c, "")).Body
		for _, leak := range []string{"BUG-4711", "internal-analysis.txt", "event--internal"} {
			if strings.Contains(page, leak) {
				t.Errorf("%s's page shows %q", who, leak)
			}
		}
		rtContains(t, who+"'s page", page, "公開の返信です")
	}
	w.cpSettle(t)
	for _, m := range w.in.Mail.Messages() {
		if strings.Contains(m.Text, "BUG-4711") || strings.Contains(m.HTML, "BUG-4711") {
			t.Errorf("a mail to %v carries the internal note", m.To)
		}
	}
	// On a closed case agents may still add notes, and only notes.
	w.cpSet(t, c, portal.SubResolved, time.Hour)
	page := w.agentC.Get(cpPath(c, "")).Body
	rtContains(t, "the agent's page of a closed case", page, `<input type="hidden" name="internal" value="1">`,
		rtText("en", "case_page.note_only_hint"))
	rtExpect(t, "note on a closed case", w.cpPost(t, w.agentC, c, "comments", url.Values{"body": {"後日談"}, "internal": {"1"}}),
		303, cpPath(c, ""))
	rtExpect(t, "reply on a closed case", w.cpPost(t, w.agentC, c, "comments", url.Values{"body": {"後日談"}}), 403, "")
}

// A form built on an older version of the case is refused with 409 and the
// page as it is now, with what was typed kept.
func TestCase_StaleVersion(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	stale := strconv.Itoa(c.Version)
	rtExpect(t, "the agent asks for information", w.cpPost(t, w.agentC, c, "status",
		url.Values{"sub_status": {"awaiting_customer"}}), 303, cpPath(c, ""))

	r := w.cpPost(t, w.openerC, c, "comments", url.Values{"body": {"古い画面からの返信"}, "version": {stale}})
	rtExpect(t, "comment on a stale version", r, 409, "")
	rtContains(t, "the 409 page", r.Body, `id="case-alert"`, rtText("ja", "case.changed"), "古い画面からの返信",
		rtText("ja", "substatus.awaiting_customer"), `name="version" value="`+strconv.Itoa(w.cpReload(t, c).Version)+`"`)
	r = w.cpPost(t, w.openerC, c, "fields", url.Values{"priority": {"1"}, "cc": {""}, "business_impact": {"止まっています"}, "version": {stale}})
	rtExpect(t, "fields on a stale version", r, 409, "")
	rtContains(t, "the 409 page", r.Body, rtText("ja", "case.changed"), "止まっています")
	rtExpect(t, "close on a stale version", w.cpPost(t, w.openerC, c, "close", url.Values{"version": {stale}}), 409, "")
	if got := w.cpReload(t, c); got.Priority != portal.DefaultPriority || got.SubStatus != portal.SubAwaitingCustomer {
		t.Errorf("a stale form changed the case: %+v", got)
	}
	// Without a version (tools posting only the documented fields) there is
	// no check.
	rtExpect(t, "comment without a version", w.openerC.PostForm(cpPath(c, "comments"), url.Values{"body": {"ok"}}), 303, cpPath(c, ""))
}

// Markup in a comment, a subject and a CC line is shown as text in the page
// and in e-mails.
func TestCase_StoredXSS(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	c, _, err := w.in.Store.CreateCase(context.Background(), store.NewCase{
		AccountID: w.acc.ID, OpenedBy: w.opener.ID, HelpType: portal.HelpPortal, Priority: portal.DefaultPriority,
		Subject: "件名 " + evil, Description: "説明 " + evil, CC: []string{w.cc.Email},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rtExpect(t, "POST a comment with markup", w.cpPost(t, w.agentC, c, "comments", url.Values{"body": {"返信 " + evil}}), 303, cpPath(c, ""))
	r := w.cpPost(t, w.openerC, c, "fields", url.Values{"priority": {"3"}, "cc": {w.cc.Email + "\n" + evil + "@x.example"}})
	rtExpect(t, "POST a CC line with markup", r, 422, "")
	for _, page := range []string{r.Body, w.openerC.Get(cpPath(c, "")).Body, w.agentC.Get(cpPath(c, "")).Body} {
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Fatalf("markup from the case reached a page unescaped:\n%s", rtSnippet(page))
		}
	}
	rtContains(t, "the 422 page", r.Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	rtContains(t, "the case page", w.openerC.Get(cpPath(c, "")).Body, "件名 &lt;script&gt;", "返信 &lt;script&gt;")
	m := w.cpWaitMail(t, w.cc.Email, "en", "case_mail.comment_subject", c)
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<img src=x") {
		t.Errorf("the mail's HTML part carries the markup:\n%s", m.HTML)
	}
	rtContains(t, "the mail's HTML part", m.HTML, "&lt;script&gt;")
	rtContains(t, "the mail's text part", m.Text, "返信 "+evil, "件名 "+evil)
}

// A closed case may be reopened within the window; after it the page offers
// a follow-up case instead and the reopen is refused.
func TestCase_ReopenWindow(t *testing.T) {
	t.Parallel()
	w := cpNewWith(t, apptest.Options{Env: map[string]string{"REOPEN_WINDOW": "30d"}})
	old := w.cpCase(t, portal.SubResolved, 31*24*time.Hour)
	page := w.openerC.Get(cpPath(old, "")).Body
	rtContains(t, "the page of a case closed 31 days ago", page, `href="/cases/new?follow_up=`+old.Number+`"`,
		rtText("ja", "case_page.follow_up"))
	if strings.Contains(page, `action="/cases/`+old.Number+`/reopen"`) {
		t.Error("the page offers to reopen after the window")
	}
	r := w.cpPost(t, w.openerC, old, "reopen", url.Values{"comment": {"再発"}})
	rtExpect(t, "reopen after the window", r, 403, "")
	rtContains(t, "the 403 page", r.Body, rtText("ja", "case_act.reopen_expired"))

	recent := w.cpCase(t, portal.SubClosedByCustomer, 29*24*time.Hour)
	rtContains(t, "the page of a case closed 29 days ago", w.openerC.Get(cpPath(recent, "")).Body,
		`action="/cases/`+recent.Number+`/reopen"`)
	rtExpect(t, "reopen within the window", w.cpPost(t, w.openerC, recent, "reopen", url.Values{"comment": {"再発"}}), 303, cpPath(recent, ""))

	// A follow-up case links both ways.
	fu, _, err := w.in.Store.CreateCase(context.Background(), store.NewCase{
		AccountID: w.acc.ID, OpenedBy: w.opener.ID, HelpType: portal.HelpProduct, Priority: 3,
		Subject: "フォローアップ", Description: "続き", FollowUpOf: old.ID,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rtContains(t, "the follow-up's page", w.openerC.Get(cpPath(fu, "")).Body, `id="case-follows-up"><a href="/cases/`+old.Number+`"`)
	rtContains(t, "the old case's page", w.openerC.Get(cpPath(old, "")).Body, `id="case-follow-ups"><a href="/cases/`+fu.Number+`"`)
}

func TestCase_Fields(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	tests := []struct {
		name  string
		vals  url.Values
		field string
		msg   string
	}{
		{"BadPriority", url.Values{"priority": {"5"}}, "priority", rtText("ja", "case_fields.priority_invalid")},
		{"BadAddress", url.Values{"priority": {"3"}, "cc": {"ok@acme.example\nnot-an-address"}}, "cc",
			rtText("ja", "case_fields.cc_invalid", "Lines", "not-an-address")},
		{"PortalAddress", url.Values{"priority": {"3"}, "cc": {"No-Reply@madoguchi.test"}}, "cc",
			rtText("ja", "case_fields.cc_portal", "Address", "no-reply@madoguchi.test")},
		{"TooMany", url.Values{"priority": {"3"}, "cc": {cpAddresses(21)}}, "cc", rtText("ja", "case_fields.cc_too_many", "Max", 20)},
		{"ImpactTooLong", url.Values{"priority": {"3"}, "business_impact": {strings.Repeat("影", 4001)}}, "business_impact",
			rtText("ja", "case_fields.impact_too_long")},
	}
	for _, tt := range tests {
		r := w.cpPost(t, w.openerC, c, "fields", tt.vals)
		rtExpect(t, tt.name, r, 422, "")
		rtContains(t, tt.name, r.Body, `id="e-`+tt.field+`"`, tt.msg)
	}

	// Full-width typing, duplicates and 20 addresses are fine.
	r := w.cpPost(t, w.openerC, c, "fields", url.Values{"priority": {"1"},
		"cc": {"ｈａｎａｋｏ＠acme.example\nhanako@acme.example\n\n" + cpAddresses(19)}, "business_impact": {"全拠点で VPN が使えません"}})
	rtExpect(t, "POST fields", r, 303, cpPath(c, ""))
	got := w.cpReload(t, c)
	if got.Priority != 1 || len(got.CC) != 20 || got.CC[0] != "hanako@acme.example" || got.BusinessImpact != "全拠点で VPN が使えません" {
		t.Errorf("saved fields %+v", got)
	}
	page := w.openerC.Get(cpPath(c, "")).Body
	rtContains(t, "the page after saving", page, rtText("ja", "case_fields.saved_flash"),
		rtText("ja", "case_event.priority_changed", "From", rtText("ja", "priority.3"), "To", rtText("ja", "priority.1")),
		rtText("ja", "case_event.cc_changed"), `value="1" checked`)
	r = w.cpPost(t, w.openerC, c, "fields", url.Values{"priority": {"1"}, "cc": {strings.Join(got.CC, "\n")},
		"business_impact": {got.BusinessImpact}})
	rtExpect(t, "POST unchanged fields", r, 303, cpPath(c, ""))
	rtContains(t, "the page", w.openerC.Get(cpPath(c, "")).Body, rtText("ja", "case_fields.unchanged_flash"))
	if w.cpReload(t, c).Version != got.Version {
		t.Error("saving unchanged fields bumped the version")
	}
}

func cpAddresses(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "user%d@acme.example\n", i)
	}
	return b.String()
}

func TestCase_Survey(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	answers := url.Values{"response_time": {"5"}, "technical_quality": {"4"}, "communication": {"3"}, "resolution": {"5"},
		"overall": {"4"}, "comment": {"迅速な対応ありがとうございました。"}}
	if strings.Contains(w.openerC.Get(cpPath(c, "")).Body, `action="/cases/`+c.Number+`/survey"`) {
		t.Error("an open case offers the survey")
	}
	rtExpect(t, "survey of an open case", w.cpPost(t, w.openerC, c, "survey", answers), 403, "")
	rtExpect(t, "close", w.cpPost(t, w.openerC, c, "close", nil), 303, cpPath(c, ""))

	page := w.openerC.Get(cpPath(c, "")).Body
	rtContains(t, "the closed case's page", page, `action="/cases/`+c.Number+`/survey"`, rtText("ja", "survey.q1"),
		rtText("ja", "survey.q5"), rtText("ja", "survey.scale_5"), `name="overall" value="5"`)
	r := w.cpPost(t, w.openerC, c, "survey", url.Values{"response_time": {"5"}, "overall": {"9"}})
	rtExpect(t, "an incomplete survey", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-technical_quality"`, `id="e-overall"`, `name="response_time" value="5" checked`)
	rtExpect(t, "the survey", w.cpPost(t, w.openerC, c, "survey", answers), 303, cpPath(c, "")+"#survey")
	rtContains(t, "the page after answering", w.openerC.Get(cpPath(c, "")).Body, rtText("ja", "survey.thanks"))
	r = w.cpPost(t, w.adminC, c, "survey", answers)
	rtExpect(t, "a second survey", r, 409, "")
	rtContains(t, "the 409 page", r.Body, rtText("en", "survey.already_answered"))

	page = w.agentC.Get(cpPath(c, "")).Body
	rtContains(t, "the agent's page", page, `id="survey-results"`, rtText("en", "survey.q1"), "5 / 5", "3 / 5",
		"迅速な対応ありがとうございました。", rtText("en", "case_event.survey", "Name", "山田 太郎"))
}

// Files go with a comment: listed with size and SHA-256, linked from the
// timeline; a fourth file refuses the whole update.
func TestCase_CommentFiles(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubAwaitingCustomer, 0)
	rtExpect(t, "assign", w.cpPost(t, w.agentC, c, "assign", url.Values{"agent": {"me"}}), 303, cpPath(c, ""))
	c = w.cpReload(t, c)
	data := []byte("ping 10.0.0.1: timeout\n")
	r := w.cpMultipart(t, w.openerC, cpPath(c, "comments"), url.Values{"body": {"ログです"}, "version": {strconv.Itoa(c.Version)}},
		cpFile{"接続ログ.txt", data}, cpFile{"screen.png", []byte("\x89PNG fake")})
	rtExpect(t, "POST comment with 2 files", r, 303, cpPath(c, ""))
	if got := w.cpSub(t, c); got != portal.SubCustomerUpdated {
		t.Errorf("sub-status %s after the customer's update", got)
	}
	page := w.agentC.Get(cpPath(c, "")).Body
	rtContains(t, "the page", page, "接続ログ.txt", "screen.png", cpSHA(data), "23 B", "山田 太郎")
	m := w.cpWaitMail(t, w.agent.Email, "en", "case_mail.comment_subject", c)
	rtContains(t, "the agent's mail", m.Text, rtText("en", "case_mail.files", "Count", 2))

	before, _ := w.in.Store.CaseAttachments(context.Background(), c.ID, true)
	r = w.cpMultipart(t, w.openerC, cpPath(c, "comments"), url.Values{"body": {"4 つ目"}},
		cpFile{"a.txt", data}, cpFile{"b.txt", data}, cpFile{"c.txt", data}, cpFile{"d.txt", data})
	rtExpect(t, "POST comment with 4 files", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-attachments"`, rtText("ja", "case_page.files_again"))
	after, _ := w.in.Store.CaseAttachments(context.Background(), c.ID, true)
	events, _ := w.in.Store.CaseEvents(context.Background(), c.ID, true)
	if len(after) != len(before) || events[len(events)-1].Body == "4 つ目" {
		t.Error("a refused update left a file or a comment behind")
	}
	// Only files and no text is a comment too.
	r = w.cpMultipart(t, w.openerC, cpPath(c, "comments"), url.Values{}, cpFile{"only.txt", data})
	rtExpect(t, "POST files only", r, 303, cpPath(c, ""))
}

func cpSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Recipients are checked when the mail is written: a disabled contact gets
// nothing.
func TestCase_DisabledContactGetsNoMail(t *testing.T) {
	t.Parallel()
	w := cpNew(t)
	c := w.cpCase(t, portal.SubInProgress, 0)
	if _, err := w.in.Store.Pool().Exec(context.Background(), `UPDATE users SET status = 'disabled' WHERE id = $1`, w.cc.ID); err != nil {
		t.Fatal(err)
	}
	rtExpect(t, "reply", w.cpPost(t, w.agentC, c, "comments", url.Values{"body": {"返信"}}), 303, cpPath(c, ""))
	w.cpWaitMail(t, w.opener.Email, "ja", "case_mail.comment_subject", c)
	w.cpSettle(t)
	if got := w.cpMails(w.cc.Email, c.Number); len(got) != 0 {
		t.Errorf("the disabled contact got %d mails", len(got))
	}
}

// The auto-close job runs when the portal starts (and every 15 minutes): a
// case that waited on the customer for AUTO_CLOSE_AFTER closes as "no
// response" with a notice to the opener, and one that waited half as long
// gets a reminder, each in the opener's language.
func TestCase_AutoCloseJob(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	ctx := context.Background()
	pool, err := store.Connect(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := store.New(pool, nil)
	acc, err := s.CreateAccount(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	opener, err := s.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "taro@acme.example", Name: "山田 太郎",
		Role: portal.RoleCustomer, PasswordHash: "x", Language: "ja"})
	if err != nil {
		t.Fatal(err)
	}
	waiting := func(sub portal.SubStatus, since time.Duration) *portal.Case {
		c, _, err := s.CreateCase(ctx, store.NewCase{AccountID: acc.ID, OpenedBy: opener.ID, HelpType: portal.HelpProduct,
			Priority: 3, Subject: "返信待ち", Description: "説明", CC: []string{"cc@acme.example"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE cases SET sub_status = $2, waiting_since = $3 WHERE id = $1`,
			c.ID, sub, time.Now().Add(-since)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	due := waiting(portal.SubAwaitingCustomer, 8*24*time.Hour)
	half := waiting(portal.SubSolutionProposed, 5*24*time.Hour)
	fresh := waiting(portal.SubSolutionProposed, 24*time.Hour)

	in := apptest.StartOn(t, dbURL, apptest.Options{Env: map[string]string{"AUTO_CLOSE_AFTER": "7d", "DATA_DIR": t.TempDir()}})
	w := &cpWorld{in: in}
	m := w.cpWaitMail(t, opener.Email, "ja", "case_mail.closed_subject", due)
	rtContains(t, "the notice", m.Text, html.UnescapeString(rtText("ja", "case_mail.auto_closed_intro", "Number", due.Number)),
		rtText("ja", "substatus.no_response"), in.URL+"/cases/"+due.Number+"#survey")
	m = w.cpWaitMail(t, opener.Email, "ja", "case_mail.reminder_subject", half)
	closesAt := w.cpReload(t, half).WaitingSince.Add(7 * 24 * time.Hour).In(time.FixedZone("JST", 9*3600)).Format("2006年1月2日 15:04")
	rtContains(t, "the reminder", m.Text, closesAt, in.URL+"/cases/"+half.Number)

	got := w.cpReload(t, due)
	if got.SubStatus != portal.SubNoResponse || got.ClosedAt == nil {
		t.Errorf("the due case: %+v", got)
	}
	if got := w.cpReload(t, fresh); got.SubStatus != portal.SubSolutionProposed {
		t.Errorf("the fresh case: %s", got.SubStatus)
	}
	w.cpSettle(t)
	if n := len(w.cpMails("cc@acme.example", due.Number)); n != 0 {
		t.Errorf("the CC address got %d mails about the closing", n)
	}
	if n := len(w.cpMails(opener.Email, fresh.Number)); n != 0 {
		t.Errorf("the opener got %d mails about the fresh case", n)
	}
	events, _ := in.Store.CaseEvents(ctx, due.ID, false)
	if last := events[len(events)-1]; last.Action != portal.ActAutoClose || last.ActorID != 0 {
		t.Errorf("the last event %+v", last)
	}
}
