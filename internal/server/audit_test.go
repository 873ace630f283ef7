package server_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// auWant is one audit entry an act must leave.
type auWant struct {
	action  string
	actor   int64
	account int64
	target  int64
}

func (w auWant) String() string {
	return fmt.Sprintf("%s(actor %d, account %d, target %d)", w.action, w.actor, w.account, w.target)
}

// auLastID is the newest audit entry's id, so that an act's entries are the
// ones after it.
func auLastID(t *testing.T, in *apptest.Instance) int64 {
	t.Helper()
	var id int64
	if err := in.Store.Pool().QueryRow(context.Background(), `SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// auSince returns the entries written after id, oldest first.
func auSince(t *testing.T, in *apptest.Instance, id int64) []store.AuditEntry {
	t.Helper()
	entries, err := in.Store.AuditEntries(context.Background(), store.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range entries {
		if e.ID > id {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

// auExpect checks that the entries after id are exactly wants (in any
// order), each from ip.
func auExpect(t *testing.T, in *apptest.Instance, what string, id int64, ip string, wants ...auWant) []store.AuditEntry {
	t.Helper()
	got := auSince(t, in, id)
	var have []string
	for _, e := range got {
		have = append(have, auWant{e.Action, e.ActorID, e.AccountID, e.TargetUserID}.String())
		if e.IP != ip {
			t.Errorf("%s: %s was recorded from %q, want %q", what, e.Action, e.IP, ip)
		}
		if e.At.IsZero() || time.Since(e.At) > time.Minute {
			t.Errorf("%s: %s has time %v", what, e.Action, e.At)
		}
	}
	var want []string
	for _, w := range wants {
		want = append(want, w.String())
	}
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Errorf("%s left audit entries\n  %v\nwant exactly\n  %v", what, have, want)
	}
	return got
}

// auWorld is an instance that believes the loopback proxy, so that each act
// can come from an address of its own.
type auWorld struct {
	in    *apptest.Instance
	acc   *portal.Account
	other *portal.Account
	admin *apptest.TestUser // the account administrator of acc
	agent *apptest.TestUser
	boss  *apptest.TestUser // a staff administrator
}

func auNew(t *testing.T) *auWorld {
	t.Helper()
	in := apptest.StartWith(t, apptest.Options{Env: map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32",
		"DATA_DIR": t.TempDir()}})
	w := &auWorld{in: in, acc: in.Account(t, "Acme"), other: in.Account(t, "Globex")}
	w.admin = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, AccountAdmin: true, Approver: true, Ready: true,
		Name: "Acme Admin"})
	w.agent = in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Agent Sato", OTP: portal.OTPApp})
	w.boss = in.User(t, apptest.UserSpec{Role: portal.RoleAdmin, Ready: true, Name: "Boss Tanaka", OTP: portal.OTPApp})
	return w
}

// client is a client whose requests come from ip through the proxy.
func (w *auWorld) client(t *testing.T, ip string) *apptest.Client {
	c := w.in.Client(t)
	c.Header.Set("X-Forwarded-For", ip)
	return c
}

func (w *auWorld) signedIn(t *testing.T, u *apptest.TestUser, ip string) *apptest.Client {
	t.Helper()
	c := w.client(t, ip)
	w.in.SignIn(t, c, u)
	return c
}

func TestAudit_Access(t *testing.T) {
	t.Parallel()
	w := auNew(t)
	in := w.in
	customer := in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true})
	cust := w.signedIn(t, customer, "192.0.2.1")
	agent := w.signedIn(t, w.agent, "192.0.2.2")
	admin := w.signedIn(t, w.admin, "192.0.2.3")
	boss := w.signedIn(t, w.boss, "192.0.2.4")
	userPath := fmt.Sprintf("/agent/users/%d", customer.ID)

	for _, tc := range []struct {
		who    string
		c      *apptest.Client
		method string
		path   string
		status int
	}{
		{"customer", cust, "GET", "/admin/audit", 403},
		{"customer", cust, "GET", "/agent/users", 403},
		{"customer", cust, "GET", userPath, 403},
		{"customer", cust, "POST", userPath + "/reset-mfa", 403},
		{"customer", cust, "GET", "/account/audit", 403},
		{"account admin", admin, "GET", "/admin/audit", 403},
		{"account admin", admin, "GET", "/agent/users", 403},
		{"account admin", admin, "POST", userPath + "/reset-mfa", 403},
		{"account admin", admin, "GET", "/account/audit", 200},
		{"agent", agent, "GET", "/admin/audit", 403},
		{"agent", agent, "GET", "/account/audit", 403},
		{"agent", agent, "GET", "/agent/users", 200},
		{"agent", agent, "GET", userPath, 200},
		{"agent", agent, "GET", fmt.Sprintf("/agent/users/%d", w.boss.ID), 404}, // staff are not reset here
		{"agent", agent, "GET", "/agent/users/999999", 404},
		{"agent", agent, "GET", "/agent/users/x", 404},
		{"staff admin", boss, "GET", "/admin/audit", 200},
		{"staff admin", boss, "GET", "/agent/users", 200},
		{"staff admin", boss, "GET", userPath, 200},
		{"staff admin", boss, "GET", "/account/audit", 403},
	} {
		var r *apptest.Response
		if tc.method == "POST" {
			r = tc.c.PostForm(tc.path, url.Values{"reference": {"REQ-1"}})
		} else {
			r = tc.c.Get(tc.path)
		}
		if r.Status != tc.status {
			t.Errorf("%s %s as %s = %d, want %d", tc.method, tc.path, tc.who, r.Status, tc.status)
		}
	}
	anon := in.Client(t)
	for _, p := range []string{"/admin/audit", "/account/audit", "/agent/users", userPath} {
		rtExpect(t, "GET "+p+" signed out", anon.Get(p), 303, "/login?next="+url.QueryEscape(p))
	}
	// Staff accounts cannot be reset through the customer flow.
	r := agent.PostForm(fmt.Sprintf("/agent/users/%d/reset-mfa", w.boss.ID), url.Values{"reference": {"REQ-1"}})
	rtExpect(t, "POST reset of a staff member", r, 404, "")
}

// TestAudit_Coverage performs every audited act through the application
// and checks that each leaves exactly its entries, with who, which
// organization, whom and from where.
func TestAudit_Coverage(t *testing.T) {
	t.Parallel()
	w := auNew(t)
	in := w.in
	ctx := context.Background()
	lax := in.Account(t, "Lax")
	if err := in.Store.SetAccountMFARequired(ctx, lax.ID, false, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	dana := in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "Dana"})
	erin := in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "Erin", OTP: portal.OTPApp})
	fay := in.User(t, apptest.UserSpec{AccountID: lax.ID, Ready: true, Name: "Fay"})
	gus := in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Name: "Gus"}) // never signed in
	if err := in.Store.AcceptTerms(ctx, gus.ID, gus.CurrentTerms, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	hal := in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "Hal"})

	adminC := w.signedIn(t, w.admin, "198.51.100.1")
	agentC := w.signedIn(t, w.agent, "198.51.100.2")
	danaC := w.signedIn(t, dana, "198.51.100.3")
	erinC := w.signedIn(t, erin, "198.51.100.4")
	fayC := w.signedIn(t, fay, "198.51.100.5")

	// A case with a customer's file, for the case and download acts.
	cs, _, err := in.Store.CreateCase(ctx, store.NewCase{AccountID: w.acc.ID, OpenedBy: dana.ID, HelpType: portal.HelpProduct,
		Priority: portal.DefaultPriority, Subject: "VPN", Description: "VPN drops"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rtExpect(t, "POST comment with a file", attPost(t, in, danaC, "/cases/"+cs.Number+"/comments",
		url.Values{"body": {"log attached"}}, attFile{"log.txt", []byte("log")}), 303, "")
	var attID int64
	if err := in.Store.Pool().QueryRow(ctx, `SELECT id FROM attachments WHERE case_id = $1`, cs.ID).Scan(&attID); err != nil {
		t.Fatal(err)
	}
	approvalPath := rtRegister(t, in, rtOrg{acc: w.acc, approver: w.admin}, "newbie@acme.example")
	rejectPath := rtRegister(t, in, rtOrg{acc: w.acc, approver: w.admin}, "reject-me@acme.example")
	seen := siSeen(in)

	var gusC *apptest.Client
	n := 0
	// actThen performs an act from an address of its own and checks its
	// entries against wants, asked for after the act (which may create
	// the user an entry names).
	actThen := func(what string, c *apptest.Client, do func(c *apptest.Client), wants func() []auWant) {
		t.Helper()
		n++
		ip := fmt.Sprintf("203.0.113.%d", n)
		c.Header.Set("X-Forwarded-For", ip)
		before := auLastID(t, in)
		do(c)
		auExpect(t, in, what, before, ip, wants()...)
	}
	act := func(what string, c *apptest.Client, do func(c *apptest.Client), wants ...auWant) {
		t.Helper()
		actThen(what, c, do, func() []auWant { return wants })
	}
	userID := func(email string) int64 {
		u, err := in.Store.UserByEmail(ctx, email)
		if err != nil {
			t.Errorf("%s: %v", email, err)
			return -1
		}
		return u.ID
	}
	post := func(path string, vals url.Values, status int) func(c *apptest.Client) {
		return func(c *apptest.Client) {
			t.Helper()
			rtExpect(t, "POST "+path, c.PostForm(path, vals), status, "")
		}
	}
	acc := w.acc.ID

	// Sign-in, both steps, success and failure.
	act("a wrong password", in.Client(t), post("/login", url.Values{"email": {hal.Email}, "password": {"wrong"}}, 422),
		auWant{"login.failure", 0, acc, hal.ID})
	act("an unknown address", in.Client(t), post("/login", url.Values{"email": {"ghost@acme.example"}, "password": {"x"}}, 422),
		auWant{"login.failure", 0, 0, 0})
	halC := in.Client(t)
	act("the right password", halC, post("/login", url.Values{"email": {hal.Email}, "password": {hal.Password}}, 303),
		auWant{"login.success", hal.ID, acc, hal.ID})
	act("a wrong code", halC, post("/login/otp", url.Values{"code": {"000000"}}, 422),
		auWant{"login.otp_failure", hal.ID, acc, hal.ID})
	code := siWaitCode(t, in, hal.Email, seen)
	act("the right code", halC, post("/login/otp", url.Values{"code": {code}}, 303),
		auWant{"login.otp_success", hal.ID, acc, hal.ID})
	act("signing out", halC, post("/logout", nil, 303), auWant{"logout", hal.ID, acc, hal.ID})
	halC = in.Client(t)
	rtExpect(t, "POST /login", halC.PostForm("/login", url.Values{"email": {hal.Email}, "password": {hal.Password}}), 303, "/login/otp")
	act("a recovery code", halC, post("/login/otp", url.Values{"code": {hal.RecoveryCodes[0]}}, 303),
		auWant{"login.otp_success", hal.ID, acc, hal.ID}, auWant{"mfa.recovery_code_used", hal.ID, acc, hal.ID})

	// Passwords: changed, forgotten (by anyone who types the address) and
	// reset from the link.
	newPassword := hal.Password + " and more"
	act("changing the password", halC, post("/password/change", url.Values{"current_password": {hal.Password},
		"new_password": {newPassword}, "confirm_password": {newPassword}}, 303),
		auWant{"password.change", hal.ID, acc, hal.ID})
	hal.Password = newPassword
	var resetLink string
	act("asking for a reset link", in.Client(t), func(c *apptest.Client) { resetLink = siResetLink(t, in, c, hal.Email) },
		auWant{"password.forgot", 0, acc, hal.ID})
	act("asking for an unknown address's link", in.Client(t), post("/password/forgot",
		url.Values{"email": {"ghost@acme.example"}}, 303))
	hal.Password += " reset"
	act("resetting from the link", in.Client(t), post(siPath(t, resetLink), url.Values{"new_password": {hal.Password},
		"confirm_password": {hal.Password}}, 303), auWant{"password.reset", hal.ID, acc, hal.ID})

	// Second-factor changes.
	gusC = in.Client(t)
	rtExpect(t, "POST /login (gus)", gusC.PostForm("/login", url.Values{"email": {gus.Email}, "password": {gus.Password}}), 303, "/login/otp")
	code = siWaitCode(t, in, gus.Email, seen)
	act("the first e-mailed code", gusC, post("/login/otp", url.Values{"code": {code}}, 303),
		auWant{"login.otp_success", gus.ID, acc, gus.ID}, auWant{"mfa.enroll", gus.ID, acc, gus.ID})
	act("new recovery codes", danaC, post("/account/mfa/recovery-codes", nil, 303),
		auWant{"mfa.recovery_codes", dana.ID, acc, dana.ID})
	rtExpect(t, "POST /account/mfa/method", erinC.PostForm("/account/mfa/method", url.Values{"otp_method": {"email"}}), 303, "/mfa/setup")
	rtExpect(t, "POST /mfa/setup send", erinC.PostForm("/mfa/setup", url.Values{"send": {"1"}}), 303, "/mfa/setup")
	code = siWaitCode(t, in, erin.Email, seen)
	act("switching to e-mailed codes", erinC, post("/mfa/setup", url.Values{"code": {code}}, 303),
		auWant{"mfa.method_change", erin.ID, acc, erin.ID})
	act("turning 2FA off", fayC, post("/account/mfa/disable", url.Values{"password": {fay.Password}}, 303),
		auWant{"mfa.disable", fay.ID, lax.ID, fay.ID})
	act("an administrator's reset", adminC, post(rtContactPath(dana, "reset-mfa"), nil, 303),
		auWant{"mfa.reset", w.admin.ID, acc, dana.ID})
	act("an agent's reset", agentC, post(fmt.Sprintf("/agent/users/%d/reset-mfa", erin.ID),
		url.Values{"reference": {cs.Number}}, 303), auWant{"mfa.reset", w.agent.ID, acc, erin.ID})

	// Registration decisions, invitations, roles, disable and enable.
	actThen("approving a registration", adminC, post(approvalPath+"/approve", nil, 303), func() []auWant {
		return []auWant{{"registration.approve", w.admin.ID, acc, userID("newbie@acme.example")}}
	})
	act("rejecting a registration", adminC, post(rejectPath+"/reject", url.Values{"reason": {"unknown person"}}, 303),
		auWant{"registration.reject", w.admin.ID, acc, 0})
	actThen("inviting a contact", adminC, post("/account/contacts/invite", url.Values{"name": {"Ivy"},
		"email": {"ivy@acme.example"}, "otp_method": {"email"}}, 303), func() []auWant {
		return []auWant{{"user.invite", w.admin.ID, acc, userID("ivy@acme.example")}}
	})
	act("naming an approver", adminC, post(rtContactPath(hal, "roles"), url.Values{"approver": {"1"}}, 303),
		auWant{"contacts.roles", w.admin.ID, acc, hal.ID})
	act("disabling a contact", adminC, post(rtContactPath(hal, "disable"), nil, 303),
		auWant{"contacts.disable", w.admin.ID, acc, hal.ID})
	act("enabling a contact", adminC, post(rtContactPath(hal, "enable"), nil, 303),
		auWant{"contacts.enable", w.admin.ID, acc, hal.ID})

	// Cases: state changes and staff downloads.
	act("an agent sets a status", agentC, post("/cases/"+cs.Number+"/status", url.Values{"sub_status": {"in_progress"}}, 303),
		auWant{"case.set_status", w.agent.ID, acc, 0})
	act("an internal note changes nothing", agentC, func(c *apptest.Client) {
		rtExpect(t, "POST internal note", attPost(t, in, c, "/cases/"+cs.Number+"/comments",
			url.Values{"body": {"note"}, "internal": {"1"}}), 303, "")
	})
	act("an agent downloads a file", agentC, func(c *apptest.Client) {
		if r := c.Get(fmt.Sprintf("/cases/%s/attachments/%d", cs.Number, attID)); r.Status != 200 {
			t.Errorf("staff download = %d", r.Status)
		}
	}, auWant{"attachment.download", w.agent.ID, acc, 0})
	// The reset ended Dana's sessions and she pairs again as she signs in.
	act("the reset contact signs in again", danaC, func(c *apptest.Client) { w.in.SignIn(t, c, dana) }, auWant{"login.success", dana.ID, acc, dana.ID}, auWant{"login.otp_success", dana.ID, acc, dana.ID},
		auWant{"mfa.enroll", dana.ID, acc, dana.ID})
	act("a customer's download is not audited", danaC, func(c *apptest.Client) {
		if r := c.Get(fmt.Sprintf("/cases/%s/attachments/%d", cs.Number, attID)); r.Status != 200 {
			t.Errorf("customer download = %d", r.Status)
		}
	})
	act("the customer closes the case", danaC, post("/cases/"+cs.Number+"/close", url.Values{"comment": {"fixed"}}, 303),
		auWant{"case.close", dana.ID, acc, 0})
	entries := auSince(t, in, 0)
	last := entries[len(entries)-1]
	if last.Detail["case"] != cs.Number || last.Detail["to"] != "closed_by_customer" {
		t.Errorf("case.close detail = %v", last.Detail)
	}
}

var auRowRE = regexp.MustCompile(`<tr id="audit-(\d+)" data-action="([^"]+)"`)

// auRows returns the ids and actions of the audit rows on a page, in order.
func auRows(body string) (ids []int64, actions []string) {
	for _, m := range auRowRE.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
		actions = append(actions, m[2])
	}
	return ids, actions
}

var auNextRE = regexp.MustCompile(`<a href="([^"]+)" class="button button--secondary" rel="next">`)

func TestAudit_Browse(t *testing.T) {
	t.Parallel()
	w := auNew(t)
	in := w.in
	ctx := context.Background()
	alice := in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "Alice"})
	globex := in.User(t, apptest.UserSpec{AccountID: w.other.ID, Ready: true, AccountAdmin: true, Name: "Globex Admin"})
	bossJA := in.User(t, apptest.UserSpec{Role: portal.RoleAdmin, Ready: true, Language: "ja", OTP: portal.OTPApp})
	boss := w.signedIn(t, w.boss, "192.0.2.1")
	admin := w.signedIn(t, w.admin, "192.0.2.2")

	// Entries at known times: 14:30 and 15:30 UTC on 20 November are either
	// side of midnight in Tokyo, the administrators' zone.
	late := time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC)
	early := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	insert := func(at time.Time, actor, account, target int64, action string, detail string) {
		t.Helper()
		if _, err := in.Store.Pool().Exec(ctx, `INSERT INTO audit_log (at, actor_id, account_id, target_user_id, action, ip, detail)
			VALUES ($1, nullif($2, 0), nullif($3, 0), nullif($4, 0), $5, '203.0.113.9', $6)`,
			at, actor, account, target, action, detail); err != nil {
			t.Fatal(err)
		}
	}
	insert(late, w.agent.ID, w.acc.ID, alice.ID, "mfa.reset", `{"reference": "CS0000042", "note": "lost phone", "by": "support"}`)
	insert(early, globex.ID, w.other.ID, globex.ID, "contacts.disable", `{"status": "disabled"}`)
	insert(early, 0, w.acc.ID, 0, "made.up_action", `{}`)

	t.Run("Filters", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"action=mfa.reset", []string{"mfa.reset"}},
			{"org=" + strings.ToLower(w.other.Identifier), []string{"contacts.disable"}},
			{"actor=" + url.QueryEscape(strings.ToUpper(w.agent.Email)) + "&action=mfa.reset", []string{"mfa.reset"}},
			{"target=" + url.QueryEscape(alice.Email), []string{"mfa.reset"}},
			{"from=2026-11-21&to=2026-11-21", []string{"made.up_action", "contacts.disable"}},
			{"from=2026-11-20&to=2026-11-20", []string{"mfa.reset"}},
			{"org=" + w.acc.Identifier + "&from=2026-11-01&to=2026-11-20", []string{"mfa.reset"}},
		} {
			r := boss.Get("/admin/audit?" + tc.query)
			rtExpect(t, "GET /admin/audit?"+tc.query, r, 200, "")
			if _, got := auRows(r.Body); !slices.Equal(got, tc.want) {
				t.Errorf("?%s shows %v, want %v", tc.query, got, tc.want)
			}
		}
	})

	t.Run("Rows", func(t *testing.T) {
		r := boss.Get("/admin/audit?from=2026-11-20&to=2026-11-21")
		rtContains(t, "the audit page", r.Body,
			rtText("en", "audit.action.mfa_reset"), "made.up_action", // unknown names show raw
			"20 Nov 2026 23:30", "21 Nov 2026 00:30", // Tokyo time
			`<a href="/cases/CS0000042">CS0000042</a>`, "lost phone", rtText("en", "audit.value.support"),
			"Agent Sato", w.agent.Email, alice.Email, w.acc.Identifier, "203.0.113.9",
			`<optgroup label="`+rtText("en", "audit.group.mfa")+`">`, `<option value="mfa.reset">`)
		c := w.signedIn(t, bossJA, "192.0.2.3")
		r = c.Get("/admin/audit?action=mfa.reset")
		rtContains(t, "the Japanese audit page", r.Body, rtText("ja", "audit.action.mfa_reset"), "2026年11月20日 23:30",
			rtText("ja", "audit.detail.reference"), `<option value="mfa.reset" selected>`)
	})

	t.Run("Invalid", func(t *testing.T) {
		r := boss.Get("/admin/audit?org=NOPE&actor=ghost%40example.test&from=21-11-2026&action=mfa.reset")
		rtExpect(t, "GET /admin/audit with bad filters", r, 422, "")
		rtContains(t, "the 422 page", r.Body, rtText("en", "audit.org_unknown"), rtText("en", "audit.user_unknown"),
			rtText("en", "audit.date_invalid"), `value="NOPE"`, `value="ghost@example.test"`, `id="e-org"`,
			`<option value="mfa.reset" selected>`)
		r = boss.Get("/admin/audit?from=2026-11-21&to=2026-11-20")
		rtExpect(t, "GET /admin/audit with reversed dates", r, 422, "")
		rtContains(t, "the 422 page", r.Body, rtText("en", "audit.date_order"))
		rtExpect(t, "GET /admin/audit with a forged cursor", boss.Get("/admin/audit?after=x"), 422, "")
	})

	t.Run("Paging", func(t *testing.T) {
		for i := range 120 {
			insert(late.Add(-time.Duration(i%7)*time.Minute), 0, w.acc.ID, 0, "paging.test", `{}`)
		}
		var ids []int64
		path := "/admin/audit?action=paging.test"
		for pages := 0; path != ""; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			r := boss.Get(path)
			rtExpect(t, "GET "+path, r, 200, "")
			got, _ := auRows(r.Body)
			rtContains(t, "a page of an unlisted action", r.Body, `<option value="paging.test" selected>paging.test</option>`)
			if len(got) > 50 {
				t.Fatalf("a page shows %d rows", len(got))
			}
			ids = append(ids, got...)
			path = ""
			if m := auNextRE.FindStringSubmatch(r.Body); m != nil {
				path = html.UnescapeString(m[1])
				if !strings.Contains(path, "action=paging.test") || !strings.Contains(path, "after=") {
					t.Errorf("next link %q loses the filter", path)
				}
			}
		}
		var want []int64
		if err := in.Store.Pool().QueryRow(ctx, `SELECT array_agg(id ORDER BY at DESC, id DESC) FROM audit_log
			WHERE action = 'paging.test'`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("pages showed %d entries %v, want %d in keyset order", len(ids), ids, len(want))
		}
	})

	t.Run("AccountAdmin", func(t *testing.T) {
		r := admin.Get("/account/audit?org=" + w.other.Identifier)
		rtExpect(t, "GET /account/audit", r, 200, "")
		_, actions := auRows(r.Body)
		if slices.Contains(actions, "contacts.disable") || !slices.Contains(actions, "mfa.reset") {
			t.Errorf("an account administrator sees %v", actions)
		}
		if strings.Contains(r.Body, `name="org"`) {
			t.Error("the account's log offers the organization filter")
		}
		ids, _ := auRows(r.Body)
		for _, id := range ids {
			var acc *int64
			if err := in.Store.Pool().QueryRow(ctx, `SELECT account_id FROM audit_log WHERE id = $1`, id).Scan(&acc); err != nil {
				t.Fatal(err)
			}
			if acc == nil || *acc != w.acc.ID {
				t.Errorf("entry %d of another organization shown", id)
			}
		}
		r = admin.Get("/account/audit?action=mfa.reset&target=" + url.QueryEscape(alice.Email))
		if _, got := auRows(r.Body); !slices.Equal(got, []string{"mfa.reset"}) {
			t.Errorf("filtered account log shows %v", got)
		}
		// Another organization's contact is unknown here, as is a made-up
		// address: the filter does not tell who is registered elsewhere.
		r = admin.Get("/account/audit?target=" + url.QueryEscape(globex.Email))
		rtExpect(t, "GET /account/audit?target=<another organization's contact>", r, 422, "")
		rtContains(t, "the 422 page", r.Body, rtText("en", "audit.user_unknown"))
		// Globex's administrator does not see Acme's entries.
		g := w.signedIn(t, globex, "192.0.2.4")
		if _, got := auRows(g.Get("/account/audit?action=mfa.reset").Body); len(got) != 0 {
			t.Errorf("another organization's administrator sees %v", got)
		}
	})
}

func TestAgentUsers_ResetMFA(t *testing.T) {
	t.Parallel()
	w := auNew(t)
	in := w.in
	ctx := context.Background()
	erin := in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "山田 恵梨", Language: "ja",
		OTP: portal.OTPApp, Email: "erin.yamada@acme.example"})
	stranger := in.User(t, apptest.UserSpec{AccountID: w.other.ID, Ready: true, Name: "Globex Gil"})
	invited, err := in.Store.Invite(ctx, store.NewUser{AccountID: w.acc.ID, Email: "ivy@acme.example", Name: "Ivy",
		Role: portal.RoleCustomer}, []byte("hash-of-ivy"), time.Now().Add(time.Hour), store.Mail{To: "ivy@acme.example",
		Subject: "invite", Text: "invite"}, store.Audit{})
	if err != nil {
		t.Fatal(err)
	}
	mine, _, err := in.Store.CreateCase(ctx, store.NewCase{AccountID: w.acc.ID, OpenedBy: erin.ID, HelpType: portal.HelpPortal,
		Priority: portal.DefaultPriority, Subject: "Lost phone", Description: "I lost my phone."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := in.Store.CreateCase(ctx, store.NewCase{AccountID: w.other.ID, OpenedBy: stranger.ID, HelpType: portal.HelpPortal,
		Priority: portal.DefaultPriority, Subject: "Other", Description: "Other."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	erinC := w.signedIn(t, erin, "192.0.2.10")
	agent := w.signedIn(t, w.agent, "192.0.2.11")
	userPath := fmt.Sprintf("/agent/users/%d", erin.ID)

	t.Run("Search", func(t *testing.T) {
		for _, tc := range []struct {
			q          string
			has, hasNt []string
		}{
			{"erin.yam", []string{erin.Email, `href="` + userPath + `"`, w.acc.Identifier}, []string{stranger.Email}},
			{"山田", []string{erin.Email}, []string{w.agent.Email}},
			{"ＥＲＩＮ．ｙａｍ", []string{erin.Email}, nil}, // typed with the IME on
			{strings.ToLower(w.other.Identifier), []string{stranger.Email}, []string{erin.Email}},
			{"Agent Sato", []string{rtText("en", "agent_users.none")}, []string{w.agent.Email}},
		} {
			r := agent.Get("/agent/users?q=" + url.QueryEscape(tc.q))
			rtExpect(t, "GET /agent/users?q="+tc.q, r, 200, "")
			rtContains(t, "search "+tc.q, r.Body, tc.has...)
			for _, no := range tc.hasNt {
				if strings.Contains(r.Body, no) {
					t.Errorf("search %q shows %q", tc.q, no)
				}
			}
		}
	})

	t.Run("Show", func(t *testing.T) {
		r := agent.Get(userPath)
		rtExpect(t, "GET "+userPath, r, 200, "")
		rtContains(t, "the contact's page", r.Body, erin.Name, erin.Email, w.acc.Name, w.acc.Identifier,
			rtText("en", "contacts.status_active"), rtText("en", "register.otp_app"),
			rtBundle().Localizer("en").DateTime(*erin.MFAEnrolledAt, "Asia/Tokyo"),
			rtText("en", "audit.action.login_otp_success"), "192.0.2.10",
			`action="`+userPath+`/reset-mfa"`, `name="reference"`, `name="note"`)
	})

	t.Run("Invalid", func(t *testing.T) {
		before := auLastID(t, in)
		for _, tc := range []struct {
			ref, note, msg string
		}{
			{"", "kept note", "agent_users.reference_required"},
			{theirs.Number, "", "agent_users.reference_case_unknown"}, // another organization's case
			{"CS9999999", "", "agent_users.reference_case_unknown"},
			{strings.Repeat("x", 201), "", "agent_users.reference_invalid"},
			{"REQ-1", strings.Repeat("長", 1001), "agent_users.note_too_long"},
		} {
			r := agent.PostForm(userPath+"/reset-mfa", url.Values{"reference": {tc.ref}, "note": {tc.note}})
			rtExpect(t, "POST reset-mfa "+tc.msg, r, 422, "")
			rtContains(t, "the 422 page", r.Body, rtText("en", tc.msg), `value="`+tc.ref+`"`, tc.note)
		}
		r := agent.PostForm(fmt.Sprintf("/agent/users/%d/reset-mfa", invited), url.Values{"reference": {"REQ-1"}})
		rtExpect(t, "POST reset-mfa of an invited contact", r, 422, "")
		rtContains(t, "the 422 page", r.Body, rtText("en", "agent_users.invited"))
		auExpect(t, in, "refused resets", before, "")
		if u, _ := in.Store.UserByID(ctx, erin.ID); !u.MFAEnrolled() {
			t.Fatal("a refused reset removed the factor")
		}
	})

	t.Run("Reset", func(t *testing.T) {
		seen := siSeen(in)
		before := auLastID(t, in)
		agent.Header.Set("X-Forwarded-For", "198.51.100.77")
		// A case number typed with the IME on is still the case.
		typed := "ｃｓ" + strings.TrimPrefix(mine.Number, "CS")
		r := agent.PostForm(userPath+"/reset-mfa", url.Values{"reference": {typed}, "note": {"電話で本人確認済み"}})
		rtExpect(t, "POST reset-mfa", r, 303, userPath)
		page := agent.Get(userPath)
		rtContains(t, "the page after the reset", page.Body, rtText("en", "agent_users.reset_done"),
			rtText("en", "agent_users.not_enrolled"), rtText("en", "audit.action.mfa_reset"))

		entries := auExpect(t, in, "the reset", before, "198.51.100.77", auWant{"mfa.reset", w.agent.ID, w.acc.ID, erin.ID})
		if len(entries) == 1 {
			d := entries[0].Detail
			if d["reference"] != mine.Number || d["note"] != "電話で本人確認済み" || d["by"] != "support" {
				t.Errorf("detail = %v", d)
			}
		}

		m := siWaitMail(t, in, erin.Email, seen, func(m mailtest.Mail) bool {
			return m.Subject == rtBundle().Localizer("ja").T("mfa_reset_support_mail.subject")
		})
		ja := rtBundle().Localizer("ja")
		for _, want := range []string{erin.Name, "Agent Sato", mine.Number, in.URL + "/login", ja.T("mfa_reset_support_mail.not_you"),
			ja.T("mfa_reset_support_mail.next")} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the mail lacks %q:\n%s", want, m.Text)
			}
		}

		// Her sessions ended, and she pairs a factor again at sign-in.
		rtExpect(t, "GET /cases in her old session", erinC.Get("/cases"), 303, "/login?next="+url.QueryEscape("/cases"))
		c := in.Client(t)
		rtExpect(t, "POST /login", c.PostForm("/login", url.Values{"email": {erin.Email}, "password": {erin.Password}}), 303, "/mfa/setup")
		u, err := in.Store.UserByID(ctx, erin.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.MFAEnrolled() || u.TOTPSecret != "" || u.OTPMethod != portal.OTPApp {
			t.Errorf("after the reset: enrolled %v, method %q", u.MFAEnrolled(), u.OTPMethod)
		}
		if n, _ := in.Store.RecoveryCodesLeft(ctx, erin.ID); n != 0 {
			t.Errorf("%d recovery codes left after the reset", n)
		}
		if page := c.Get("/mfa/setup"); apptest.TOTPSecretOf(page.Body) == "" {
			t.Error("the pairing page shows no new secret")
		}
	})

	t.Run("RateLimit", func(t *testing.T) {
		var last *apptest.Response
		for range 21 {
			last = agent.PostForm(userPath+"/reset-mfa", url.Values{"reference": {""}})
		}
		rtExpect(t, "the 21st reset in an hour", last, 429, "")
	})
}
