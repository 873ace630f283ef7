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
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// adAudit returns the audit entries of accountID with action, newest first.
func adAudit(t *testing.T, in *apptest.Instance, accountID int64, action string) []store.AuditEntry {
	t.Helper()
	entries, err := in.Store.AuditLog(context.Background(), accountID, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range entries {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// adExpectAudit fails unless accountID has exactly n entries of action, the
// newest by actor.
func adExpectAudit(t *testing.T, in *apptest.Instance, accountID int64, action string, n int, actor int64) []store.AuditEntry {
	t.Helper()
	got := adAudit(t, in, accountID, action)
	if len(got) != n {
		t.Fatalf("%d %q audit entries for account %d, want %d: %+v", len(got), action, accountID, n, got)
	}
	if n > 0 && got[0].ActorID != actor {
		t.Errorf("%q entry by %d, want %d", action, got[0].ActorID, actor)
	}
	return got
}

func adPath(acc *portal.Account, rest string) string {
	return fmt.Sprintf("/admin/accounts/%d%s", acc.ID, rest)
}

// adSignedInAdmin is a staff administrator signed in on a new client.
func adSignedInAdmin(t *testing.T, in *apptest.Instance) (*apptest.TestUser, *apptest.Client) {
	t.Helper()
	admin := in.User(t, apptest.UserSpec{Role: portal.RoleAdmin, Ready: true, Name: "Staff Admin"})
	c := in.Client(t)
	in.SignIn(t, c, admin)
	return admin, c
}

var adAccountLinkRE = regexp.MustCompile(`^/admin/accounts/(\d+)$`)

func adAccountByLocation(t *testing.T, in *apptest.Instance, loc string) *portal.Account {
	t.Helper()
	m := adAccountLinkRE.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("location %q is not an organization page", loc)
	}
	var id int64
	fmt.Sscan(m[1], &id)
	acc, err := in.Store.AccountByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func TestAdminAccounts_Access(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	other := in.Account(t, "Other")
	reg := rtRegister(t, in, org, "newcomer@acme.example")
	regs, err := in.Store.Registrations(context.Background(), org.acc.ID, 10)
	if err != nil || len(regs) != 1 {
		t.Fatalf("registrations = %v, %v", regs, err)
	}
	user := fmt.Sprint(org.approver.ID)
	gets := []string{"/admin", "/admin/accounts", "/admin/accounts?q=acme", adPath(org.acc, ""),
		adPath(org.acc, fmt.Sprintf("/requests/%d", regs[0].ID))}
	posts := []string{"/admin/accounts", adPath(org.acc, "/name"), adPath(org.acc, "/mfa"), adPath(org.acc, "/partner"), adPath(org.acc, "/customers"),
		adPath(org.acc, fmt.Sprintf("/customers/%d/remove", other.ID)), adPath(org.acc, "/contacts/invite"),
		adPath(org.acc, "/contacts/"+user+"/roles"), adPath(org.acc, "/contacts/"+user+"/disable"),
		adPath(org.acc, "/contacts/"+user+"/enable"), adPath(org.acc, fmt.Sprintf("/requests/%d/approve", regs[0].ID)),
		adPath(org.acc, fmt.Sprintf("/requests/%d/reject", regs[0].ID))}
	form := url.Values{"name": {"X"}, "account_name": {"Renamed"}, "email": {"x@acme.example"}, "identifier": {other.Identifier},
		"mfa_required": {"0"}, "partner": {"1"}, "approver": {"1"}, "reason": {"no"}}

	signedOut := in.Client(t)
	for _, p := range gets {
		rtExpect(t, "GET "+p+" signed out", signedOut.Get(p), 303, "/login?next="+url.QueryEscape(p))
	}
	for _, p := range posts {
		if r := signedOut.PostForm(p, form); r.Status != 303 || !strings.HasPrefix(r.Location, "/login?next=") {
			t.Errorf("POST %s signed out = %d → %q, want a redirect to sign in", p, r.Status, r.Location)
		}
	}

	agent := in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true})
	customer := in.User(t, apptest.UserSpec{AccountID: org.acc.ID, Ready: true})
	for _, u := range []*apptest.TestUser{customer, org.admin, org.approver, agent} {
		c := in.Client(t)
		in.SignIn(t, c, u)
		who := fmt.Sprintf("%s (admin=%v)", u.Role, u.IsAccountAdmin)
		for _, p := range gets {
			rtExpect(t, "GET "+p+" as "+who, c.Get(p), 403, "")
		}
		for _, p := range posts {
			rtExpect(t, "POST "+p+" as "+who, c.PostForm(p, form), 403, "")
		}
	}
	// Nothing changed.
	acc, _ := in.Store.AccountByID(context.Background(), org.acc.ID)
	if !acc.MFARequired || acc.IsPartner || acc.Name != "Acme" {
		t.Errorf("account changed by refused requests: %+v", acc)
	}
	if st := rtRegistrationState(t, in, reg); st != portal.RegistrationRequested {
		t.Errorf("registration state = %s", st)
	}
	// Customers may not set the policy unless they administer the account.
	c := in.Client(t)
	in.SignIn(t, c, org.approver)
	rtExpect(t, "POST /account/mfa-policy as approver", c.PostForm("/account/mfa-policy", url.Values{"mfa_required": {"0"}}), 403, "")
	c = in.Client(t)
	in.SignIn(t, c, agent)
	rtExpect(t, "POST /account/mfa-policy as agent", c.PostForm("/account/mfa-policy", url.Values{"mfa_required": {"0"}}), 403, "")

	_, ac := adSignedInAdmin(t, in)
	r := ac.Get("/admin")
	rtExpect(t, "GET /admin as admin", r, 200, "")
	for _, link := range []string{"/admin/accounts", "/admin/products", "/admin/categories", "/admin/agents", "/admin/terms", "/admin/audit"} {
		rtContains(t, "the administration index", r.Body, `href="`+link+`"`)
	}
	rtContains(t, "the administration index", r.Body, rtText("en", "admin.section_accounts_lead"))
	rtExpect(t, "GET unknown organization", ac.Get("/admin/accounts/999999"), 404, "")
	rtExpect(t, "GET bad organization id", ac.Get("/admin/accounts/x"), 404, "")
}

func TestAdminAccounts_Create(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	admin, c := adSignedInAdmin(t, in)

	// A generated identifier, the policy required, not a partner.
	r := c.PostForm("/admin/accounts", url.Values{"name": {"株式会社 窓口"}, "identifier": {""}, "mfa_required": {"1"}})
	rtExpect(t, "POST /admin/accounts (generated)", r, 303, "")
	gen := adAccountByLocation(t, in, r.Location)
	if !regexp.MustCompile(`^C\d{8}$`).MatchString(gen.Identifier) || gen.Name != "株式会社 窓口" || !gen.MFARequired || gen.IsPartner {
		t.Errorf("generated = %+v", gen)
	}
	r = c.Get(r.Location)
	rtExpect(t, "GET the new organization", r, 200, "")
	rtContains(t, "the organization page", r.Body, rtText("en", "admin.created_flash"),
		`<code class="identifier" id="account-identifier">`+gen.Identifier+`</code>`, rtText("en", "admin.mfa_required"))
	e := adExpectAudit(t, in, gen.ID, "account.create", 1, admin.ID)
	if e[0].Detail["identifier"] != gen.Identifier {
		t.Errorf("audit detail = %v", e[0].Detail)
	}

	// A full-width identifier typed with the IME on, optional policy, partner.
	r = c.PostForm("/admin/accounts", url.Values{"name": {"Reseller KK"}, "identifier": {"ｃｕｓｔ－００１"}, "partner": {"1"}})
	rtExpect(t, "POST /admin/accounts (given)", r, 303, "")
	given := adAccountByLocation(t, in, r.Location)
	if given.Identifier != "CUST-001" || given.MFARequired || !given.IsPartner {
		t.Errorf("given = %+v", given)
	}
	if r := c.Get(r.Location); !strings.Contains(r.Body, `id="account-identifier">CUST-001<`) {
		t.Errorf("identifier not shown\n%s", rtSnippet(r.Body))
	}

	// Duplicates and invalid input: 422 beside the field, input kept.
	for _, tc := range []struct {
		what   string
		form   url.Values
		field  string
		key    string
		kept   string
		nCheck bool
	}{
		{"taken identifier", url.Values{"name": {"Another"}, "identifier": {"cust-001"}}, "identifier", "admin.identifier_taken", `value="cust-001"`, false},
		{"taken name", url.Values{"name": {"reseller kk"}, "identifier": {"NEW-1"}}, "name", "admin.name_taken", `value="NEW-1"`, false},
		{"empty name", url.Values{"name": {" "}, "identifier": {"NEW-2"}, "partner": {"1"}}, "name", "admin.name_required", `value="NEW-2"`, true},
		{"bad identifier", url.Values{"name": {"Bad"}, "identifier": {"A B/C"}}, "identifier", "admin.identifier_invalid", `value="Bad"`, false},
	} {
		r := c.PostForm("/admin/accounts", tc.form)
		rtExpect(t, "POST /admin/accounts ("+tc.what+")", r, 422, "")
		rtContains(t, "the 422 page ("+tc.what+")", r.Body, `<p class="error" id="e-`+tc.field+`">`+rtText("en", tc.key)+`</p>`,
			tc.kept, rtText("en", "form.has_errors"))
		if tc.nCheck && !strings.Contains(r.Body, `name="partner" value="1" checked`) {
			t.Errorf("%s: partner checkbox not kept", tc.what)
		}
	}
	if n, _ := in.Store.CountAccounts(context.Background()); n != 2 {
		t.Errorf("%d accounts after refused creations, want 2", n)
	}

	// The list finds both by name and identifier, with their columns.
	r = c.Get("/admin/accounts")
	rtExpect(t, "GET /admin/accounts", r, 200, "")
	rtContains(t, "the list", r.Body, "株式会社 窓口", "Reseller KK", gen.Identifier, "CUST-001",
		rtText("en", "admin.partner_yes"), rtText("en", "admin.mfa_optional"), `action="/admin/accounts"`)
	r = c.Get("/admin/accounts?q=" + url.QueryEscape("ｃｕｓｔ－０"))
	rtContains(t, "the search by identifier", r.Body, "Reseller KK")
	if strings.Contains(r.Body, "株式会社 窓口") {
		t.Error("search by identifier lists another organization")
	}
	r = c.Get("/admin/accounts?q=" + url.QueryEscape("窓口"))
	rtContains(t, "the search by name", r.Body, gen.Identifier)
	if strings.Contains(r.Body, "CUST-001") {
		t.Error("search by name lists another organization")
	}
	rtContains(t, "an empty search", c.Get("/admin/accounts?q=nothing-like-this").Body, rtText("en", "admin.search_empty"))
}

func TestAdminAccounts_Paging(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	_, c := adSignedInAdmin(t, in)
	for i := range 53 {
		if _, err := in.Store.CreateAccount(context.Background(), fmt.Sprintf("Org %03d", i), fmt.Sprintf("P%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r := c.Get("/admin/accounts")
	rtContains(t, "page 1", r.Body, "Org 000", "Org 049", `rel="next"`)
	if strings.Contains(r.Body, "Org 050") {
		t.Error("page 1 shows row 51")
	}
	next := regexp.MustCompile(`href="(/admin/accounts\?[^"]+)"[^>]*rel="next"`).FindStringSubmatch(r.Body)
	if next == nil {
		t.Fatal("no next link")
	}
	r = c.Get(html.UnescapeString(next[1]))
	rtExpect(t, "GET page 2", r, 200, "")
	rtContains(t, "page 2", r.Body, "Org 050", "Org 052", rtText("en", "admin.first_page"))
	if strings.Contains(r.Body, "Org 049") || strings.Contains(r.Body, `rel="next"`) {
		t.Error("page 2 repeats page 1 or offers a third page")
	}
}

func TestAdminAccounts_PolicyAndPartners(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	admin, c := adSignedInAdmin(t, in)
	partner := in.Account(t, "Reseller")
	customer := in.Account(t, "Customer")
	ctx := context.Background()

	rtExpect(t, "POST mfa optional", c.PostForm(adPath(customer, "/mfa"), url.Values{"mfa_required": {"0"}}), 303, adPath(customer, ""))
	if acc, _ := in.Store.AccountByID(ctx, customer.ID); acc.MFARequired {
		t.Error("policy still required")
	}
	rtContains(t, "the page", c.Get(adPath(customer, "")).Body, rtText("en", "admin.mfa_saved_flash"),
		`<span class="badge badge--muted" id="mfa-policy">`+rtText("en", "admin.mfa_optional"))
	rtExpect(t, "POST mfa required", c.PostForm(adPath(customer, "/mfa"), url.Values{"mfa_required": {"1"}}), 303, adPath(customer, ""))
	if acc, _ := in.Store.AccountByID(ctx, customer.ID); !acc.MFARequired {
		t.Error("policy not required again")
	}
	e := adExpectAudit(t, in, customer.ID, "account.mfa_policy", 2, admin.ID)
	if e[0].Detail["mfa_required"] != true || e[1].Detail["mfa_required"] != false {
		t.Errorf("policy audit details = %v, %v", e[0].Detail, e[1].Detail)
	}

	// Linking needs a partner.
	r := c.PostForm(adPath(partner, "/customers"), url.Values{"identifier": {customer.Identifier}})
	rtExpect(t, "POST customers to a non-partner", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "admin.not_partner"))

	rtExpect(t, "POST partner", c.PostForm(adPath(partner, "/partner"), url.Values{"partner": {"1"}}), 303, adPath(partner, ""))
	adExpectAudit(t, in, partner.ID, "account.partner", 1, admin.ID)

	for _, tc := range []struct{ typed, key string }{
		{"C99999999", "admin.customer_unknown"},
		{"", "admin.customer_required"},
		{partner.Identifier, "partner.self"},
	} {
		r := c.PostForm(adPath(partner, "/customers"), url.Values{"identifier": {tc.typed}})
		rtExpect(t, "POST customers "+tc.typed, r, 422, "")
		rtContains(t, "the 422 page", r.Body, `id="e-identifier">`+rtText("en", tc.key), `value="`+tc.typed+`"`)
	}
	// The identifier as typed with the IME on.
	wide := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, customer.Identifier)
	rtExpect(t, "POST customers", c.PostForm(adPath(partner, "/customers"), url.Values{"identifier": {wide}}), 303, adPath(partner, ""))
	if ok, _ := in.Store.Serves(ctx, partner.ID, customer.ID); !ok {
		t.Fatal("partner does not serve the customer")
	}
	adExpectAudit(t, in, partner.ID, "partner.link", 1, admin.ID)
	remove := adPath(partner, fmt.Sprintf("/customers/%d/remove", customer.ID))
	rtContains(t, "the partner's page", c.Get(adPath(partner, "")).Body, rtText("en", "admin.linked_flash"),
		`href="`+adPath(customer, "")+`">Customer</a>`, `action="`+remove+`"`)
	rtContains(t, "the customer's page", c.Get(adPath(customer, "")).Body, rtText("en", "admin.partners_heading"),
		`href="`+adPath(partner, "")+`">Reseller</a>`)

	rtExpect(t, "POST remove", c.PostForm(remove, nil), 303, adPath(partner, ""))
	if ok, _ := in.Store.Serves(ctx, partner.ID, customer.ID); ok {
		t.Fatal("partner still serves the customer")
	}
	adExpectAudit(t, in, partner.ID, "partner.unlink", 1, admin.ID)
	rtContains(t, "the customer's page", c.Get(adPath(customer, "")).Body, rtText("en", "admin.partners_empty"))
}

func TestAdminAccounts_Contacts(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	admin, c := adSignedInAdmin(t, in)
	ctx := context.Background()
	acc := in.Account(t, "Acme")

	r := c.Get(adPath(acc, ""))
	rtContains(t, "an empty organization", r.Body, rtText("en", "admin.contacts_empty"), `action="`+adPath(acc, "/contacts/invite")+`"`)

	r = c.PostForm(adPath(acc, "/contacts/invite"), url.Values{"name": {""}, "email": {"bad"}, "otp_method": {"app"}})
	rtExpect(t, "POST invite (invalid)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "register.name_required"), rtText("en", "register.email_invalid"), `value="bad"`)

	r = c.PostForm(adPath(acc, "/contacts/invite"), url.Values{"name": {"最初 の人"}, "email": {"ｆｉｒｓｔ＠acme.example"},
		"otp_method": {"app"}, "language": {"en"}})
	rtExpect(t, "POST invite", r, 303, adPath(acc, ""))
	m := rtWait(t, in, "first@acme.example", "Complete your registration")
	rtContains(t, "the invitation", m.Text, "Acme")
	if strings.Contains(m.Text, admin.Name) {
		t.Error("the invitation names the staff member")
	}
	first, err := in.Store.UserByEmail(ctx, "first@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if first.AccountID != acc.ID || first.Status != portal.StatusInvited || first.IsApprover || first.OTPMethod != portal.OTPApp || first.Language != "en" {
		t.Errorf("invited = %+v", first)
	}
	adExpectAudit(t, in, acc.ID, "user.invite", 1, admin.ID)
	rtExpect(t, "POST invite (taken)", c.PostForm(adPath(acc, "/contacts/invite"), url.Values{"name": {"X"}, "email": {"first@acme.example"}}), 422, "")

	// Making them approver and account administrator.
	roles := adPath(acc, fmt.Sprintf("/contacts/%d/roles", first.ID))
	rtExpect(t, "POST roles", c.PostForm(roles, url.Values{"approver": {"1"}, "account_admin": {"1"}}), 303, adPath(acc, ""))
	first, _ = in.Store.UserByID(ctx, first.ID)
	if !first.IsApprover || !first.IsAccountAdmin {
		t.Errorf("roles = approver %v, admin %v", first.IsApprover, first.IsAccountAdmin)
	}
	adExpectAudit(t, in, acc.ID, "contacts.roles", 1, admin.ID)
	r = c.Get(adPath(acc, ""))
	rtContains(t, "the contacts", r.Body, rtText("en", "contacts.roles_flash"), "first@acme.example",
		`action="/admin/users/`+fmt.Sprint(first.ID)+`/password"`)

	// An active approver: the last one cannot lose the role or be disabled.
	ready := in.User(t, apptest.UserSpec{AccountID: acc.ID, Approver: true, Ready: true})
	rtExpect(t, "POST roles (unset approver on invited)", c.PostForm(roles, url.Values{}), 303, adPath(acc, ""))
	r = c.PostForm(adPath(acc, fmt.Sprintf("/contacts/%d/roles", ready.ID)), url.Values{})
	rtExpect(t, "POST roles (last approver)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "admin.last_approver"))
	disable := adPath(acc, fmt.Sprintf("/contacts/%d/disable", ready.ID))
	rtExpect(t, "POST disable (last approver)", c.PostForm(disable, nil), 422, "")
	rtExpect(t, "POST disable (invited)", c.PostForm(adPath(acc, fmt.Sprintf("/contacts/%d/disable", first.ID)), nil), 422, "")

	second := in.User(t, apptest.UserSpec{AccountID: acc.ID, Approver: true, Ready: true})
	sc := in.Client(t)
	in.SignIn(t, sc, second)
	rtExpect(t, "POST disable", c.PostForm(adPath(acc, fmt.Sprintf("/contacts/%d/disable", second.ID)), nil), 303, adPath(acc, ""))
	if u, _ := in.Store.UserByID(ctx, second.ID); u.Status != portal.StatusDisabled {
		t.Errorf("status = %s", u.Status)
	}
	if r := sc.Get("/cases"); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("disabled contact's session still works: %d %q", r.Status, r.Location)
	}
	adExpectAudit(t, in, acc.ID, "contacts.disable", 1, admin.ID)
	rtExpect(t, "POST enable", c.PostForm(adPath(acc, fmt.Sprintf("/contacts/%d/enable", second.ID)), nil), 303, adPath(acc, ""))
	if u, _ := in.Store.UserByID(ctx, second.ID); u.Status != portal.StatusActive {
		t.Errorf("status = %s", u.Status)
	}
	adExpectAudit(t, in, acc.ID, "contacts.enable", 1, admin.ID)

	// Another organization's contact is not found through this one.
	otherAcc := in.Account(t, "Other")
	stranger := in.User(t, apptest.UserSpec{AccountID: otherAcc.ID, Approver: true, Ready: true})
	rtExpect(t, "POST disable through another organization", c.PostForm(adPath(acc, fmt.Sprintf("/contacts/%d/disable", stranger.ID)), nil), 404, "")
	rtExpect(t, "POST roles through another organization", c.PostForm(adPath(acc, fmt.Sprintf("/contacts/%d/roles", stranger.ID)), url.Values{"account_admin": {"1"}}), 404, "")
	if u, _ := in.Store.UserByID(ctx, stranger.ID); u.Status != portal.StatusActive || u.IsAccountAdmin {
		t.Errorf("stranger changed: %+v", u)
	}
}

func TestAdminAccounts_Requests(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	admin, c := adSignedInAdmin(t, in)
	org := rtNewOrg(t, in, "Acme")
	approval := rtRegister(t, in, org, "newcomer@acme.example")
	regs, _ := in.Store.Registrations(context.Background(), org.acc.ID, 10)
	page := adPath(org.acc, fmt.Sprintf("/requests/%d", regs[0].ID))

	rtContains(t, "the organization page", c.Get(adPath(org.acc, "")).Body, "newcomer@acme.example", `href="`+page+`"`)
	r := c.Get(page)
	rtExpect(t, "GET the request", r, 200, "")
	rtContains(t, "the request page", r.Body, `action="`+page+`/approve"`, `href="`+adPath(org.acc, "")+`#requests"`)
	// The request exists only under its own organization.
	other := in.Account(t, "Other")
	rtExpect(t, "GET the request under another organization", c.Get(adPath(other, fmt.Sprintf("/requests/%d", regs[0].ID))), 404, "")

	rtExpect(t, "POST approve", c.PostForm(page+"/approve", nil), 303, page)
	if st := rtRegistrationState(t, in, approval); st != portal.RegistrationApproved {
		t.Fatalf("state = %s", st)
	}
	in.Mail.WaitFor(t, "newcomer@acme.example", func(m mailtest.Mail) bool { return m.Link("/welcome/") != "" }, 15*time.Second)
	if e := adAudit(t, in, org.acc.ID, "registration.approve"); len(e) != 1 || e[0].ActorID != admin.ID {
		t.Errorf("approve audit = %+v", e)
	}
	rtExpect(t, "POST approve again", c.PostForm(page+"/approve", nil), 410, "")
	rtContains(t, "the organization page", c.Get(adPath(org.acc, "")).Body, rtText("en", "admin.requests_empty"))
}

// TestAccountMFAPolicy: an account administrator sets the organization's
// policy; it takes effect for its contacts at their next sign-in (indeed at
// their next request).
func TestAccountMFAPolicy(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	org := rtNewOrg(t, in, "Acme")
	ctx := context.Background()
	contact := in.User(t, apptest.UserSpec{AccountID: org.acc.ID, Ready: true})
	cc := in.Client(t)
	in.SignIn(t, cc, contact)
	disable := url.Values{"password": {contact.Password}}
	rtExpect(t, "POST /account/mfa/disable while required", cc.PostForm("/account/mfa/disable", disable), 403, "")

	ac := in.Client(t)
	in.SignIn(t, ac, org.admin)
	r := ac.Get("/account/contacts")
	rtContains(t, "the contacts page", r.Body, `action="/account/mfa-policy"`,
		`id="mfa-policy-state">`+rtText("en", "admin.mfa_required"), rtText("en", "admin.policy_hint"))
	rtExpect(t, "POST /account/mfa-policy optional", ac.PostForm("/account/mfa-policy", url.Values{"mfa_required": {"0"}}),
		303, "/account/contacts#mfa-policy")
	rtContains(t, "the contacts page", ac.Get("/account/contacts").Body, rtText("en", "admin.policy_saved_flash"),
		`id="mfa-policy-state">`+rtText("en", "admin.mfa_optional"))
	e := adExpectAudit(t, in, org.acc.ID, "account.mfa_policy", 1, org.admin.ID)
	if e[0].Detail["mfa_required"] != false {
		t.Errorf("audit detail = %v", e[0].Detail)
	}

	// Optional: the contact turns their factor off and signs in with the password alone.
	rtExpect(t, "POST /account/mfa/disable while optional", cc.PostForm("/account/mfa/disable", disable), 303, "/account")
	if u, _ := in.Store.UserByID(ctx, contact.ID); u.OTPMethod != portal.OTPNone {
		t.Fatalf("method = %s after disabling", u.OTPMethod)
	}
	rtContains(t, "the contacts page", ac.Get("/account/contacts").Body, rtText("en", "admin.policy_without_factor", "Count", 1))
	login := func() *apptest.Response {
		c := in.Client(t)
		return c.PostForm("/login", url.Values{"email": {contact.Email}, "password": {contact.Password}})
	}
	rtExpect(t, "sign-in while optional", login(), 303, "/cases")

	// Required again: the contact must pair a factor, at once and at sign-in.
	rtExpect(t, "POST /account/mfa-policy required", ac.PostForm("/account/mfa-policy", url.Values{"mfa_required": {"1"}}),
		303, "/account/contacts#mfa-policy")
	adExpectAudit(t, in, org.acc.ID, "account.mfa_policy", 2, org.admin.ID)
	rtExpect(t, "the contact's next page", cc.Get("/cases"), 303, "/mfa/setup")
	rtExpect(t, "sign-in while required", login(), 303, "/mfa/setup")

	// The staff administrator sees the same policy.
	_, sc := adSignedInAdmin(t, in)
	rtContains(t, "the staff view", sc.Get(adPath(org.acc, "")).Body,
		`<span class="badge badge--ok" id="mfa-policy">`+rtText("en", "admin.mfa_required"))
}

func TestAdminAccounts_Rename(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	admin, c := adSignedInAdmin(t, in)
	acc := in.Account(t, "Acme")
	in.Account(t, "Beta")

	r := c.PostForm(adPath(acc, "/name"), url.Values{"account_name": {"beta"}})
	rtExpect(t, "POST name (taken)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-account_name">`+rtText("en", "admin.name_taken"), `value="beta"`)
	rtExpect(t, "POST name (empty)", c.PostForm(adPath(acc, "/name"), url.Values{"account_name": {"  "}}), 422, "")
	rtExpect(t, "POST name", c.PostForm(adPath(acc, "/name"), url.Values{"account_name": {"Acme 株式会社"}}), 303, adPath(acc, ""))
	got, _ := in.Store.AccountByID(context.Background(), acc.ID)
	if got.Name != "Acme 株式会社" || got.Identifier != acc.Identifier {
		t.Errorf("renamed = %+v", got)
	}
	rtContains(t, "the page", c.Get(adPath(acc, "")).Body, rtText("en", "admin.renamed_flash"), "<h1>Acme 株式会社</h1>")
	e := adExpectAudit(t, in, acc.ID, "account.rename", 1, admin.ID)
	if e[0].Detail["from"] != "Acme" || e[0].Detail["to"] != "Acme 株式会社" {
		t.Errorf("audit detail = %v", e[0].Detail)
	}
}
