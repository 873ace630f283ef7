package server_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
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
