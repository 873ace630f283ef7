package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/browsertest"
	"madoguchi/internal/i18n"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/locales"
)

// caseText is what the people of the case flow type, per language.
var caseText = map[string]struct {
	agentName, subject, description, reply, solution1, reason, solution2, survey string
}{
	"ja": {
		agentName:   "佐藤 健",
		subject:     "VPN が毎朝切断される",
		description: "毎朝 9 時ごろに VPN が切断されます。\n再接続すると直ります。",
		reply:       "ご連絡ありがとうございます。ログを確認しています。",
		solution1:   "ファームウェアを 6.0.2 に更新してください。",
		reason:      "更新しましたが、翌朝も切断されました。",
		solution2:   "キープアライブの間隔を 30 秒に設定してください。",
		survey:      "迅速なご対応ありがとうございました。",
	},
	"en": {
		agentName:   "Sam Carter",
		subject:     "VPN drops every morning",
		description: "The VPN disconnects at about 9 a.m. every day.\nReconnecting fixes it.",
		reply:       "Thank you for the report. We are reading the log.",
		solution1:   "Please update the firmware to 6.0.2.",
		reason:      "Updated, but it dropped again the next morning.",
		solution2:   "Please set the keep-alive interval to 30 seconds.",
		survey:      "Quick and helpful, thank you.",
	},
}

// surveyScores are the customer's answers, by form field.
var surveyScores = []struct {
	field string
	score int
}{{"response_time", 5}, {"technical_quality", 4}, {"communication", 5}, {"resolution", 4}, {"overall", 5}}

var caseURLRE = regexp.MustCompile(`/cases/(CS\d{7})$`)

// TestCaseFlow follows one case through its life in two browsers: the
// customer files it with a file, the agent takes it, replies and proposes a
// solution, the customer rejects it (a reason is required), the agent
// proposes again, the customer accepts and answers the survey, and the
// agent reads the answers. Labels are checked against the locale files,
// mails against the in-process SMTP server.
func TestCaseFlow(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range langs {
		t.Run(tc.lang, func(t *testing.T) {
			L := bundle.Localizer(tc.lang)
			txt := caseText[tc.lang]
			in := apptest.Start(t)
			ctx := context.Background()

			// The catalog: two products, two categories with their problems.
			gate, err := in.Store.CreateProduct(ctx, "Madoguchi SecureGate", []string{"5.1", "6.0"}, []string{"RHEL 9", "Windows Server 2022"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.Store.CreateProduct(ctx, "Backup Server", []string{"7.0"}, []string{"Ubuntu 24.04"}); err != nil {
				t.Fatal(err)
			}
			network, err := in.Store.CreateCategory(ctx, "Network", "ネットワーク", 10)
			if err != nil {
				t.Fatal(err)
			}
			licensing, err := in.Store.CreateCategory(ctx, "Licensing", "ライセンス", 20)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct {
				cat    int64
				en, ja string
			}{
				{network.ID, "Connection drops", "接続が切れる"},
				{network.ID, "Slow throughput", "通信が遅い"},
				{licensing.ID, "License expired", "ライセンスの期限切れ"},
			} {
				if _, err := in.Store.CreateProblem(ctx, p.cat, p.en, p.ja, 0); err != nil {
					t.Fatal(err)
				}
			}
			name := func(en, ja string) string {
				if tc.lang == "ja" {
					return ja
				}
				return en
			}

			acc := in.Account(t, "株式会社テスト")
			customer := in.User(t, apptest.UserSpec{AccountID: acc.ID, Ready: true, OTP: portal.OTPApp,
				Language: tc.lang, Name: tc.name, Email: "customer." + tc.lang + "@customer.example"})
			agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, OTP: portal.OTPApp,
				Language: tc.lang, Name: txt.agentName, Email: "agent." + tc.lang + "@vendor.example"})

			// 1. The customer files the case.
			cust := browsertest.New(t, "customer")
			browserSignIn(t, in, cust, customer, tc.lang)
			cust.Do(
				chromedp.Navigate(in.URL+"/cases/new"),
				chromedp.WaitVisible(chromedp.CSS(`form[action="/cases/new"]`)),
			)
			cust.Screenshot("new-case-empty")
			cust.Do(chromedp.Click(chromedp.CSS(`input[name="type"][value="product"]`), chromedp.NodeVisible))
			// The type-ahead filter (app.js) picks the single match, which
			// narrows the version and OS lists to that product's.
			cust.Do(
				chromedp.SendKeys(chromedp.ID("f-product_search"), "secure", chromedp.NodeVisible),
				chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("f-product_id").value === "%d"`, gate.ID),
					chromedp.WithPollingTimeout(10*time.Second)),
			)
			if got, want := visibleOptions(t, cust, "f-product_version"), []string{"5.1", "6.0"}; !slices.Equal(got, want) {
				t.Errorf("versions offered for SecureGate: %q, want %q", got, want)
			}
			if got, want := visibleOptions(t, cust, "f-os"), []string{"RHEL 9", "Windows Server 2022"}; !slices.Equal(got, want) {
				t.Errorf("operating systems offered for SecureGate: %q, want %q", got, want)
			}
			choose(t, cust, "f-product_version", "6.0")
			choose(t, cust, "f-os", "RHEL 9")
			choose(t, cust, "f-category", name("Network", "ネットワーク"))
			if got, want := visibleOptions(t, cust, "f-problem"), []string{name("Connection drops", "接続が切れる"), name("Slow throughput", "通信が遅い")}; !slices.Equal(got, want) {
				t.Errorf("problems offered for the network category: %q, want %q", got, want)
			}
			choose(t, cust, "f-problem", name("Connection drops", "接続が切れる"))

			dir := t.TempDir()
			logName := "ログ.txt"
			logBody := []byte("2026-11-21 09:00:01 VPN トンネルが切断されました (keepalive timeout)\n")
			logPath := filepath.Join(dir, logName)
			if err := os.WriteFile(logPath, logBody, 0o644); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(logBody)
			logSHA := hex.EncodeToString(sum[:])
			cust.Do(
				chromedp.Click(chromedp.CSS(`input[name="priority"][value="2"]`), chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.ID("f-subject"), txt.subject, chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.ID("f-description"), txt.description, chromedp.NodeVisible),
				chromedp.SetUploadFiles(chromedp.ID("f-attachments"), []string{logPath}, chromedp.NodeVisible),
			)
			cust.Screenshot("new-case-filled")
			submit(cust, `form[action="/cases/new"] button[type="submit"]`)
			cust.Screenshot("case-created")
			m := caseURLRE.FindStringSubmatch(cust.Location())
			if m == nil {
				t.Fatalf("after creating the case the customer is at %s, want /cases/CSnnnnnnn", cust.Location())
			}
			number := m[1]
			casePath := in.URL + "/cases/" + number
			wantText(t, cust, ".flash", L.T("case_new.created_flash", "Number", number))
			wantText(t, cust, "#case-status", L.T("substatus.new"))
			wantText(t, cust, ".case-number", number)
			wantText(t, cust, "#case-product", "Madoguchi SecureGate")
			wantText(t, cust, "#case-version", "6.0")
			wantText(t, cust, "#case-os", "RHEL 9")
			wantText(t, cust, "#case-problem", name("Connection drops", "接続が切れる"))
			rows := tableRows(t, cust, "#attachments tbody tr")
			if len(rows) != 1 || len(rows[0]) < 3 || rows[0][0] != logName || rows[0][2] != logSHA {
				t.Errorf("attachment rows = %q, want one row %q with SHA-256 %s", rows, logName, logSHA)
			}
			// The file comes back intact, under its Japanese name.
			dl := download(t, cust, "#attachments tbody tr a[download]")
			_, params, _ := mime.ParseMediaType(dl.Disposition)
			if dl.Status != 200 || dl.Body != string(logBody) || params["filename"] != logName {
				t.Errorf("download: %d, Content-Disposition %q, body %q; want 200, %q, %q", dl.Status, dl.Disposition, dl.Body, logName, logBody)
			}
			opened := waitMail(t, in, customer.Email, L.T("case_opened_mail.subject", "Number", number, "Subject", txt.subject), 1)
			if opened.Link(casePath) == "" {
				t.Errorf("the case-opened mail has no link to %s:\n%s", casePath, opened.Text)
			}

			// 2. The agent takes the case, replies and proposes a solution.
			ag := browsertest.New(t, "agent")
			browserSignIn(t, in, ag, agent, tc.lang)
			ag.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(chromedp.ID("case-title")))
			wantText(t, ag, "#case-status", L.T("substatus.new"))
			ag.Screenshot("agent-case-new")
			submit(ag, `#assign form:has(input[name="agent"][value="me"]) button[type="submit"]`)
			wantText(t, ag, ".flash", L.T("case_act.assigned_flash"))
			wantText(t, ag, "#case-assigned", txt.agentName)
			ag.Do(chromedp.SendKeys(chromedp.ID("f-body"), txt.reply, chromedp.NodeVisible))
			submit(ag, `#comment-form button[type="submit"]`)
			ag.Screenshot("agent-replied")
			wantText(t, ag, ".flash", L.T("case_act.commented_flash"))
			wantText(t, ag, "#activity .event--comment .event__body", txt.reply)
			waitMail(t, in, customer.Email, L.T("case_mail.comment_subject", "Number", number), 1)

			ag.Do(chromedp.SendKeys(chromedp.ID("f-propose-body"), txt.solution1, chromedp.NodeVisible))
			ag.Screenshot("agent-propose-filled")
			submit(ag, `#propose-form button[type="submit"]`)
			ag.Screenshot("agent-proposed")
			wantText(t, ag, ".flash", L.T("case_act.proposed_flash"))
			wantText(t, ag, "#case-status", L.T("substatus.solution_proposed"))
			proposed := waitMail(t, in, customer.Email, L.T("case_mail.solution_subject", "Number", number), 1)
			if !strings.Contains(proposed.Text, txt.solution1) || proposed.Link(casePath) == "" {
				t.Errorf("the solution mail lacks the solution or the link to %s:\n%s", casePath, proposed.Text)
			}

			// 3. The customer rejects it: first without a reason, then with one.
			cust.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(chromedp.ID("accept-form")))
			cust.Screenshot("customer-solution-proposed")
			wantText(t, cust, "#case-status", L.T("substatus.solution_proposed"))
			wantText(t, cust, "#actions-title", L.T("case_page.your_action"))
			wantText(t, cust, ".timeline .event--solution .event__body", txt.solution1)
			submit(cust, `#reject-form button[type="submit"]`)
			cust.Screenshot("customer-reject-no-reason")
			wantText(t, cust, "#e-reject-comment", L.T("case_act.reason_required"))
			if st := navigationStatus(t, cust); st != 422 {
				t.Errorf("rejecting without a reason answered %d, want 422", st)
			}
			wantText(t, cust, "#case-status", L.T("substatus.solution_proposed"))
			cust.Do(chromedp.SendKeys(chromedp.ID("f-reject-comment"), txt.reason, chromedp.NodeVisible))
			submit(cust, `#reject-form button[type="submit"]`)
			cust.Screenshot("customer-rejected")
			wantText(t, cust, ".flash", L.T("case_act.rejected_flash"))
			wantText(t, cust, "#case-status", L.T("substatus.customer_updated"))
			// The assigned agent hears of the rejection, with the reason.
			rejected := waitMail(t, in, agent.Email, L.T("case_mail.comment_subject", "Number", number), 1)
			if !strings.Contains(rejected.Text, txt.reason) {
				t.Errorf("the agent's mail about the rejection lacks the reason:\n%s", rejected.Text)
			}

			// 4. The agent proposes again.
			ag.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(chromedp.ID("propose-form")))
			wantText(t, ag, "#case-status", L.T("substatus.customer_updated"))
			wantText(t, ag, "#activity", L.T("case_event.rejected", "Name", tc.name))
			wantText(t, ag, "#activity", txt.reason)
			ag.Do(chromedp.SendKeys(chromedp.ID("f-propose-body"), txt.solution2, chromedp.NodeVisible))
			submit(ag, `#propose-form button[type="submit"]`)
			ag.Screenshot("agent-proposed-again")
			wantText(t, ag, "#case-status", L.T("substatus.solution_proposed"))
			waitMail(t, in, customer.Email, L.T("case_mail.solution_subject", "Number", number), 2)

			// 5. The customer accepts, the case closes, the survey follows.
			cust.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(chromedp.ID("accept-form")))
			wantText(t, cust, "#case-status", L.T("substatus.solution_proposed"))
			submit(cust, `#accept-form button[type="submit"]`)
			cust.Screenshot("customer-accepted")
			wantText(t, cust, ".flash", L.T("case_act.accepted_flash"))
			wantText(t, cust, "#case-status", L.T("substatus.resolved"))
			cust.Do(chromedp.WaitVisible(chromedp.ID("case-closed")))
			cust.Do(chromedp.WaitNotPresent(chromedp.ID("accept-form")), chromedp.WaitNotPresent(chromedp.ID("reject-form")))
			closed := waitMail(t, in, customer.Email, L.T("case_mail.closed_subject", "Number", number), 1)
			if closed.Link(casePath) == "" {
				t.Errorf("the closing mail has no link to %s:\n%s", casePath, closed.Text)
			}
			for _, a := range surveyScores {
				cust.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#survey input[name=%q][value="%d"]`, a.field, a.score)), chromedp.NodeVisible))
			}
			cust.Do(chromedp.SendKeys(chromedp.ID("f-survey-comment"), txt.survey, chromedp.NodeVisible))
			cust.Screenshot("customer-survey-filled")
			submit(cust, `#survey form button[type="submit"]`)
			cust.Screenshot("customer-survey-thanks")
			wantText(t, cust, ".flash", L.T("survey.thanks_flash"))
			wantText(t, cust, "#survey-thanks", L.T("survey.thanks"))
			wantText(t, cust, "#case-status", L.T("substatus.resolved"))
			cust.Do(chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/survey"]`)))

			// 6. The agent reads the answers.
			ag.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(chromedp.ID("survey-results")))
			ag.Screenshot("agent-survey-results")
			wantText(t, ag, "#case-status", L.T("substatus.resolved"))
			rows = tableRows(t, ag, "#survey-results tr")
			if len(rows) != len(surveyScores) {
				t.Fatalf("survey results = %q, want %d rows", rows, len(surveyScores))
			}
			for i, a := range surveyScores {
				want := []string{L.T(fmt.Sprintf("survey.q%d", i+1)), fmt.Sprintf("%d / 5", a.score)}
				if !slices.Equal(rows[i], want) {
					t.Errorf("survey result %d = %q, want %q", i+1, rows[i], want)
				}
			}
			wantText(t, ag, "#survey", txt.survey)
			wantText(t, ag, "#survey", tc.name)

			// The timeline tells the story oldest first.
			titles := texts(t, ag, "#activity .timeline .event__head strong")
			story := []string{
				L.T("case_event.created", "Name", tc.name),
				L.T("case_event.assigned_self", "Name", txt.agentName),
				L.T("case_event.comment", "Name", txt.agentName),
				L.T("case_event.solution", "Name", txt.agentName),
				L.T("case_event.rejected", "Name", tc.name),
				L.T("case_event.solution", "Name", txt.agentName),
				L.T("case_event.accepted", "Name", tc.name),
				L.T("case_event.survey", "Name", tc.name),
			}
			if !subsequence(titles, story) {
				t.Errorf("timeline:\n  %s\nwant in this order:\n  %s", strings.Join(titles, "\n  "), strings.Join(story, "\n  "))
			}
		})
	}
}

// browserSignIn signs u in with an authenticator code from the sign-in page
// shown in lang.
func browserSignIn(t *testing.T, in *apptest.Instance, b *browsertest.Browser, u *apptest.TestUser, lang string) {
	t.Helper()
	b.Do(chromedp.Navigate(in.URL + "/login"))
	switchLanguage(b, lang)
	signIn(b, u.Email, u.Password, func() string { return apptest.FreshTOTPCode(t, in, u) })
	b.Do(chromedp.WaitVisible(chromedp.CSS(`html[lang="` + lang + `"] main`)))
	if loc := b.Location(); strings.Contains(loc, "/login") {
		b.Screenshot("sign-in-failed")
		t.Fatalf("%s is still at %s after signing in", u.Email, loc)
	}
}

// submit clicks the submit button sel and waits for the page the form leads
// to (the old page is marked, so an unchanged page does not count).
func submit(b *browsertest.Browser, sel string) {
	b.Do(
		chromedp.Evaluate[chromedp.Void](`document.documentElement.setAttribute("data-e2e-old", "")`),
		chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`html:not([data-e2e-old]) main`)),
	)
}

// choose picks the option labelled label in the select with id, as a person
// does (the change event fires), failing if it is not offered.
func choose(t *testing.T, b *browsertest.Browser, id, label string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const s = document.getElementById(%q);
		if (!s || s.disabled) return false;
		const o = Array.from(s.options).find(o => o.textContent.trim() === %q);
		if (!o || o.hidden || o.disabled) return false;
		s.value = o.value;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, id, label)
	ok, err := chromedp.Run(b.Ctx(), chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		b.Screenshot("choose-failed")
		t.Fatalf("choose %q in #%s: not offered (%v); offered: %q", label, id, err, visibleOptions(t, b, id))
	}
}

// visibleOptions returns the labels of the choices a select offers now.
func visibleOptions(t *testing.T, b *browsertest.Browser, id string) []string {
	t.Helper()
	js := fmt.Sprintf(`Array.from(document.getElementById(%q).options)
		.filter(o => o.value && !o.hidden && !o.disabled && !(o.parentElement.tagName === "OPTGROUP" && (o.parentElement.hidden || o.parentElement.disabled)))
		.map(o => o.textContent.trim())`, id)
	out, err := chromedp.Run(b.Ctx(), chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("options of #%s: %v", id, err)
	}
	return out
}

// tableRows returns the cell texts (th and td) of the rows sel selects.
func tableRows(t *testing.T, b *browsertest.Browser, sel string) [][]string {
	t.Helper()
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q))
		.map(tr => Array.from(tr.querySelectorAll("th, td")).map(c => c.innerText.trim()))`, sel)
	out, err := chromedp.Run(b.Ctx(), chromedp.Evaluate[[][]string](js))
	if err != nil {
		t.Fatalf("rows of %s: %v", sel, err)
	}
	return out
}

// texts returns the text of every element sel selects.
func texts(t *testing.T, b *browsertest.Browser, sel string) []string {
	t.Helper()
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.innerText.trim())`, sel)
	out, err := chromedp.Run(b.Ctx(), chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("texts of %s: %v", sel, err)
	}
	return out
}

// downloaded is a file fetched with the browser's cookies.
type downloaded struct {
	Status      int    `json:"status"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"`
}

// download fetches the link sel selects as the browser would.
func download(t *testing.T, b *browsertest.Browser, sel string) downloaded {
	t.Helper()
	js := fmt.Sprintf(`fetch(document.querySelector(%q).href).then(async r =>
		({status: r.status, disposition: r.headers.get("Content-Disposition") || "", body: await r.text()}))`, sel)
	d, err := chromedp.Run(b.Ctx(), chromedp.Evaluate[downloaded](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download %s: %v", sel, err)
	}
	return d
}

// navigationStatus is the HTTP status of the page shown (0 if the browser
// does not tell).
func navigationStatus(t *testing.T, b *browsertest.Browser) int {
	t.Helper()
	st, err := chromedp.Run(b.Ctx(), chromedp.Evaluate[int](
		`(performance.getEntriesByType("navigation")[0] || {}).responseStatus || 0`))
	if err != nil {
		t.Fatalf("navigation status: %v", err)
	}
	return st
}

// wantText fails the test unless the element sel selects shows want.
func wantText(t *testing.T, b *browsertest.Browser, sel, want string) {
	t.Helper()
	if got := b.Text(sel); !strings.Contains(collapse(got), collapse(want)) {
		b.Screenshot("unexpected-text")
		t.Errorf("%s shows %q, want %q", sel, got, want)
	}
}

// collapse folds runs of white space, as a page lays text out.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// waitMail waits until to has received n mails with subject and returns the
// newest.
func waitMail(t *testing.T, in *apptest.Instance, to, subject string, n int) mailtest.Mail {
	t.Helper()
	count := func() int {
		k := 0
		for _, m := range in.Mail.Messages() {
			if m.Subject == subject && slices.ContainsFunc(m.To, func(r string) bool { return strings.EqualFold(r, to) }) {
				k++
			}
		}
		return k
	}
	return in.Mail.WaitFor(t, to, func(m mailtest.Mail) bool { return m.Subject == subject && count() >= n }, 20*time.Second)
}

// subsequence reports whether want appears in got in order, maybe with other
// entries between.
func subsequence(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && collapse(g) == collapse(want[i]) {
			i++
		}
	}
	return i == len(want)
}
