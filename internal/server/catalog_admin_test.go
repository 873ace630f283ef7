package server_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Helpers of the staff administration of the catalog, agents and terms
// start with ca so that they cannot clash with other areas' helpers.

// caWorld is a running portal with a staff administrator, an agent, and an
// organization with a contact and an account administrator.
type caWorld struct {
	in       *apptest.Instance
	acc      *portal.Account
	admin    *apptest.TestUser
	agent    *apptest.TestUser
	customer *apptest.TestUser
	accAdmin *apptest.TestUser
}

func caNew(t *testing.T) *caWorld {
	t.Helper()
	in := apptest.Start(t)
	w := &caWorld{in: in, acc: in.Account(t, "Acme")}
	w.admin = in.User(t, apptest.UserSpec{Role: portal.RoleAdmin, Ready: true, Name: "Admin Kato"})
	w.agent = in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Agent Sato"})
	w.customer = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Approver: true, Name: "Taro Yamada"})
	w.accAdmin = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, AccountAdmin: true, Name: "Acme Admin"})
	return w
}

func (w *caWorld) client(t *testing.T, u *apptest.TestUser) *apptest.Client {
	t.Helper()
	c := w.in.Client(t)
	w.in.SignIn(t, c, u)
	return c
}

// caAuditCount counts the audit entries of action (on target, when not 0).
func caAuditCount(t *testing.T, in *apptest.Instance, action string, target int64) int {
	t.Helper()
	entries, err := in.Store.AuditLog(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == action && (target == 0 || e.TargetUserID == target) {
			n++
		}
	}
	return n
}

func caID(id int64) string { return fmt.Sprint(id) }

var caRoutes = []struct{ method, path string }{
	{"GET", "/admin/products"}, {"POST", "/admin/products"}, {"GET", "/admin/products/1"}, {"POST", "/admin/products/1"},
	{"GET", "/admin/categories"}, {"POST", "/admin/categories"}, {"GET", "/admin/categories/1"},
	{"POST", "/admin/categories/1"}, {"POST", "/admin/categories/1/problems"}, {"GET", "/admin/problems/1"},
	{"POST", "/admin/problems/1"},
	{"GET", "/admin/agents"}, {"POST", "/admin/agents/invite"}, {"POST", "/admin/agents/1/disable"},
	{"POST", "/admin/agents/1/enable"}, {"POST", "/admin/agents/1/role"}, {"POST", "/admin/agents/1/resend"},
	{"GET", "/admin/users/1/password"}, {"POST", "/admin/users/1/password"},
	{"GET", "/admin/terms"}, {"POST", "/admin/terms/preview"}, {"POST", "/admin/terms"}, {"GET", "/admin/terms/1"},
}

func TestCatalogAdmin_Access(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	ctx := context.Background()
	if _, err := w.in.Store.CreateProduct(ctx, "Gate", nil, nil); err != nil {
		t.Fatal(err)
	}
	cat, err := w.in.Store.CreateCategory(ctx, "Licensing", "ライセンス", 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.in.Store.CreateProblem(ctx, cat.ID, "Activation", "アクティベーション", 10); err != nil {
		t.Fatal(err)
	}
	vals := url.Values{"name": {"X"}, "name_en": {"X"}, "name_ja": {"X"}, "email": {"x@example.test"}, "role": {"admin"},
		"body_en": {"x"}, "body_ja": {"x"}}

	anon := w.in.Client(t)
	for _, rt := range caRoutes {
		if rt.method == "GET" {
			rtExpect(t, "signed out GET "+rt.path, anon.Get(rt.path), 303, "/login?next="+url.QueryEscape(rt.path))
		} else if r := anon.PostForm(rt.path, vals); r.Status != 303 || !strings.HasPrefix(r.Location, "/login") {
			t.Errorf("signed out POST %s = %d %s, want 303 to /login", rt.path, r.Status, r.Location)
		}
	}
	for _, u := range []*apptest.TestUser{w.customer, w.accAdmin, w.agent} {
		c := w.client(t, u)
		for _, rt := range caRoutes {
			var r *apptest.Response
			if rt.method == "GET" {
				r = c.Get(rt.path)
			} else {
				r = c.PostForm(rt.path, vals)
			}
			rtExpect(t, fmt.Sprintf("%s %s as %s", rt.method, rt.path, u.Name), r, 403, "")
		}
	}
	for _, action := range []string{"catalog.product_update", "catalog.category_update", "catalog.problem_update",
		"user.invite", "user.disable", "user.enable", "user.role", "user.password_reset", "terms.publish"} {
		if n := caAuditCount(t, w.in, action, 0); n != 0 {
			t.Errorf("%d %s entries after refused requests", n, action)
		}
	}

	c := w.client(t, w.admin)
	for _, path := range []string{"/admin/products", "/admin/products/1", "/admin/categories", "/admin/categories/1",
		"/admin/problems/1", "/admin/agents", "/admin/terms", "/admin/terms/1", fmt.Sprintf("/admin/users/%d/password", w.agent.ID)} {
		rtExpect(t, "GET "+path+" as admin", c.Get(path), 200, "")
	}
	for _, path := range []string{"/admin/products/999", "/admin/products/x", "/admin/categories/999", "/admin/problems/999",
		"/admin/terms/999", "/admin/users/99999/password"} {
		rtExpect(t, "GET "+path+" as admin", c.Get(path), 404, "")
	}
	rtExpect(t, "POST disable of a customer as staff", c.PostForm(fmt.Sprintf("/admin/agents/%d/disable", w.customer.ID), nil), 404, "")
}

// caNewCaseForm returns the create-case form as the customer sees it.
func caNewCaseForm(t *testing.T, c *apptest.Client) string {
	t.Helper()
	r := c.Get("/cases/new")
	rtExpect(t, "GET /cases/new", r, 200, "")
	return r.Body
}

func TestCatalogAdmin_Products(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	ctx := context.Background()
	c := w.client(t, w.admin)
	cust := w.client(t, w.customer)

	r := c.PostForm("/admin/products", url.Values{"name": {"  SecureGate  "}, "versions": {"5.0, 5.1\n6.0\r\n5.1、7.0\n\n"},
		"os": {"RHEL 9\nWindows Server 2022"}})
	rtExpect(t, "POST /admin/products", r, 303, "/admin/products")
	list, err := w.in.Store.AllProducts(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("products = %+v, %v", list, err)
	}
	gate := list[0]
	if gate.Name != "SecureGate" || !slices.Equal(gate.Versions, []string{"5.0", "5.1", "6.0", "7.0"}) ||
		!slices.Equal(gate.OSes, []string{"RHEL 9", "Windows Server 2022"}) || !gate.Active {
		t.Errorf("created product = %+v", gate)
	}
	if n := caAuditCount(t, w.in, "catalog.product_create", 0); n != 1 {
		t.Errorf("%d catalog.product_create entries, want 1", n)
	}
	r = c.Get("/admin/products")
	rtContains(t, "the products page", r.Body, rtText("en", "catalog_admin.product_created"), "SecureGate",
		"5.0, 5.1, 6.0, 7.0", "RHEL 9, Windows Server 2022", fmt.Sprintf(`href="/admin/products/%d"`, gate.ID))
	form := caNewCaseForm(t, cust)
	rtContains(t, "the new-case form", form, ">SecureGate</option>", `value="7.0" data-product="`+caID(gate.ID)+`"`)

	// A taken name answers 422 beside the field with the input kept.
	r = c.PostForm("/admin/products", url.Values{"name": {"SecureGate"}, "versions": {"1.0\n2.0"}, "os": {"AIX"}})
	rtExpect(t, "POST a duplicate product", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.product_name_taken"), `id="e-name"`,
		`value="SecureGate"`, "1.0\n2.0</textarea>", "AIX</textarea>")
	r = c.PostForm("/admin/products", url.Values{"name": {""}, "versions": {strings.Repeat("x", 101)}})
	rtExpect(t, "POST an empty product", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.name_required"), rtText("en", "catalog_admin.entry_too_long"))

	// A case filed with version 5.0 keeps it when the version is removed
	// and the product retired.
	kase, _, err := w.in.Store.CreateCase(ctx, store.NewCase{AccountID: w.acc.ID, OpenedBy: w.customer.ID,
		HelpType: portal.HelpProduct, ProductID: gate.ID, ProductVersion: "5.0", OS: "RHEL 9", Priority: 3,
		Subject: "Crash", Description: "It crashes."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/admin/products/%d", gate.ID)
	r = c.Get(edit)
	rtExpect(t, "GET "+edit, r, 200, "")
	rtContains(t, "the edit page", r.Body, `value="SecureGate"`, "5.0\n5.1\n6.0\n7.0</textarea>", `name="active" value="1" checked`)
	other, err := w.in.Store.CreateProduct(ctx, "Backup", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r = c.PostForm(edit, url.Values{"name": {"Backup"}, "versions": {"6.0"}, "os": {"RHEL 9"}, "active": {"1"}})
	rtExpect(t, "POST rename to a taken name", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.product_name_taken"), `value="Backup"`)
	r = c.PostForm(edit, url.Values{"name": {"SecureGate NG"}, "versions": {"6.0,7.0"}, "os": {"RHEL 9"}})
	rtExpect(t, "POST "+edit, r, 303, "/admin/products")
	p, err := w.in.Store.ProductByID(ctx, gate.ID)
	if err != nil || p.Name != "SecureGate NG" || p.Active || !slices.Equal(p.Versions, []string{"6.0", "7.0"}) {
		t.Errorf("saved product = %+v, %v", p, err)
	}
	if n := caAuditCount(t, w.in, "catalog.product_update", 0); n != 1 {
		t.Errorf("%d catalog.product_update entries, want 1", n)
	}
	r = c.Get("/admin/products")
	rtContains(t, "the products page", r.Body, "SecureGate NG", rtText("en", "catalog_admin.retired"))
	form = caNewCaseForm(t, cust)
	if strings.Contains(form, "SecureGate") || !strings.Contains(form, ">Backup</option>") {
		t.Errorf("the new-case form offers a retired product or lost another:\n%s", rtSnippet(form))
	}
	r = cust.Get("/cases/" + kase.Number)
	rtExpect(t, "GET the existing case", r, 200, "")
	rtContains(t, "the existing case", r.Body, "SecureGate NG", ">5.0<", "RHEL 9")
	_ = other

	// Activating it again offers it again.
	r = c.PostForm(edit, url.Values{"name": {"SecureGate NG"}, "versions": {"6.0,7.0"}, "os": {"RHEL 9"}, "active": {"1"}})
	rtExpect(t, "POST reactivate", r, 303, "/admin/products")
	rtContains(t, "the new-case form", caNewCaseForm(t, cust), ">SecureGate NG</option>")
}

func TestCatalogAdmin_Categories(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	ctx := context.Background()
	c := w.client(t, w.admin)
	cust := w.client(t, w.customer)

	r := c.PostForm("/admin/categories", url.Values{"name_en": {"Licensing"}, "name_ja": {"ライセンス"}, "sort": {"20"}})
	rtExpect(t, "POST /admin/categories", r, 303, "/admin/categories")
	r = c.PostForm("/admin/categories", url.Values{"name_en": {"Installation"}, "name_ja": {"インストール"}, "sort": {"１０"}})
	rtExpect(t, "POST /admin/categories (full-width sort)", r, 303, "/admin/categories")
	r = c.PostForm("/admin/categories", url.Values{"name_en": {"licensing"}, "name_ja": {"別名"}, "sort": {"x"}})
	rtExpect(t, "POST a duplicate category", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.sort_invalid"), `value="licensing"`, `value="別名"`)
	r = c.PostForm("/admin/categories", url.Values{"name_en": {"licensing"}, "name_ja": {"別名"}})
	rtExpect(t, "POST a duplicate category", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.category_name_taken"), `id="e-c-name_en"`)

	cats, err := w.in.Store.CatalogCategories(ctx)
	if err != nil || len(cats) != 2 || cats[0].NameEN != "Installation" || cats[0].Sort != 10 || cats[1].NameEN != "Licensing" {
		t.Fatalf("categories = %+v, %v", cats, err)
	}
	inst, lic := cats[0], cats[1]
	problems := fmt.Sprintf("/admin/categories/%d/problems", lic.ID)
	rtExpect(t, "POST problem", c.PostForm(problems, url.Values{"name_en": {"Moving a license"}, "name_ja": {"ライセンスの移行"},
		"sort": {"20"}}), 303, fmt.Sprintf("/admin/categories#category-%d", lic.ID))
	rtExpect(t, "POST problem", c.PostForm(problems, url.Values{"name_en": {"Activation fails"}, "name_ja": {"アクティベーションが失敗する"},
		"sort": {"10"}}), 303, fmt.Sprintf("/admin/categories#category-%d", lic.ID))
	rtExpect(t, "POST problem", c.PostForm(fmt.Sprintf("/admin/categories/%d/problems", inst.ID),
		url.Values{"name_en": {"Installation fails"}, "name_ja": {"インストールが失敗する"}}), 303, fmt.Sprintf("/admin/categories#category-%d", inst.ID))
	r = c.PostForm(problems, url.Values{"name_en": {"Something"}, "name_ja": {"ライセンスの移行"}})
	rtExpect(t, "POST a duplicate problem", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.problem_name_taken"),
		fmt.Sprintf(`id="e-p%d-name_ja"`, lic.ID), `value="Something"`)
	rtExpect(t, "POST a problem to no category", c.PostForm("/admin/categories/9999/problems",
		url.Values{"name_en": {"A"}, "name_ja": {"A"}}), 404, "")
	for _, action := range []string{"catalog.category_create", "catalog.problem_create"} {
		if n := caAuditCount(t, w.in, action, 0); n != map[string]int{"catalog.category_create": 2, "catalog.problem_create": 3}[action] {
			t.Errorf("%d %s entries", n, action)
		}
	}

	// The admin page lists problems in sort order, in both languages.
	r = c.Get("/admin/categories")
	body := r.Body
	if a, m := strings.Index(body, "Activation fails"), strings.Index(body, "Moving a license"); a < 0 || m < a ||
		strings.Index(body, "Installation fails") > strings.Index(body, "Licensing") {
		t.Errorf("the categories page is not in sort order:\n%s", rtSnippet(body))
	}
	rtContains(t, "the categories page", body, "アクティベーションが失敗する", "ライセンス")

	all, err := w.in.Store.CatalogProblems(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("problems = %+v, %v", all, err)
	}
	var activation, move store.CatalogProblem
	for _, p := range all {
		switch p.NameEN {
		case "Activation fails":
			activation = p
		case "Moving a license":
			move = p
		}
	}
	form := caNewCaseForm(t, cust)
	rtContains(t, "the new-case form", form, fmt.Sprintf(`value="%d" data-category="%d"`, activation.ID, lic.ID),
		fmt.Sprintf(`value="%d" data-category="%d"`, move.ID, lic.ID))

	// A case filed under a problem keeps it when the problem is retired.
	kase, _, err := w.in.Store.CreateCase(ctx, store.NewCase{AccountID: w.acc.ID, OpenedBy: w.customer.ID,
		HelpType: portal.HelpPortal, CategoryID: lic.ID, ProblemID: move.ID, Priority: 3, Subject: "Move", Description: "Move it."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/admin/problems/%d", move.ID)
	r = c.Get(edit)
	rtContains(t, "the problem page", r.Body, `value="Moving a license"`, `value="20"`, `name="active" value="1" checked`, "Licensing")
	rtExpect(t, "POST retire problem", c.PostForm(edit, url.Values{"name_en": {"Moving a license to a new server"},
		"name_ja": {"ライセンスの移行"}, "sort": {"30"}}), 303, fmt.Sprintf("/admin/categories#category-%d", lic.ID))
	form = caNewCaseForm(t, cust)
	if strings.Contains(form, "Moving a license") || !strings.Contains(form, "Activation fails") {
		t.Errorf("the new-case form still offers a retired problem:\n%s", rtSnippet(form))
	}
	r = cust.Get("/cases/" + kase.Number)
	rtExpect(t, "GET the existing case", r, 200, "")
	rtContains(t, "the existing case", r.Body, "Moving a license to a new server")
	rtContains(t, "the categories page", c.Get("/admin/categories").Body, "Moving a license to a new server", rtText("en", "catalog_admin.retired"))

	// Submitting the retired problem is refused like an unknown one.
	r = cust.PostForm("/cases/new", url.Values{"type": {"portal"}, "category": {caID(lic.ID)}, "problem": {caID(move.ID)},
		"priority": {"3"}, "subject": {"S"}, "description": {"D"}})
	rtExpect(t, "POST /cases/new with a retired problem", r, 422, "")

	// Retiring a category hides it and all its problems.
	catEdit := fmt.Sprintf("/admin/categories/%d", lic.ID)
	rtContains(t, "the category page", c.Get(catEdit).Body, `value="Licensing"`, `value="ライセンス"`, `value="20"`)
	r = c.PostForm(catEdit, url.Values{"name_en": {"Installation"}, "name_ja": {"ライセンス"}, "sort": {"20"}})
	rtExpect(t, "POST rename category to a taken name", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.category_name_taken"), `id="e-name_en"`)
	rtExpect(t, "POST retire category", c.PostForm(catEdit, url.Values{"name_en": {"Licenses"}, "name_ja": {"ライセンス"},
		"sort": {"5"}}), 303, fmt.Sprintf("/admin/categories#category-%d", lic.ID))
	form = caNewCaseForm(t, cust)
	if strings.Contains(form, "Licenses") || strings.Contains(form, "Activation fails") || !strings.Contains(form, "Installation fails") {
		t.Errorf("the new-case form after retiring a category:\n%s", rtSnippet(form))
	}
	if n := caAuditCount(t, w.in, "catalog.category_update", 0); n != 1 {
		t.Errorf("%d catalog.category_update entries, want 1", n)
	}
	if n := caAuditCount(t, w.in, "catalog.problem_update", 0); n != 1 {
		t.Errorf("%d catalog.problem_update entries, want 1", n)
	}

	// In Japanese the page names categories in Japanese first.
	rtExpect(t, "POST /lang", c.PostForm("/lang", url.Values{"lang": {"ja"}, "next": {"/admin/categories"}}), 303, "/admin/categories")
	r = c.Get("/admin/categories")
	rtContains(t, "the Japanese categories page", r.Body, rtText("ja", "catalog_admin.categories_title"), "インストール")
}

var caWelcomeRE = regexp.MustCompile(`/welcome/[A-Za-z0-9_-]+`)

func TestCatalogAdmin_InviteAgent(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	ctx := context.Background()
	c := w.client(t, w.admin)

	r := c.PostForm("/admin/agents/invite", url.Values{"name": {""}, "email": {"nope"}, "role": {"customer"}, "otp_method": {"sms"}})
	rtExpect(t, "POST invite (invalid)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "register.name_required"), rtText("en", "register.email_invalid"),
		rtText("en", "catalog_admin.role_required"), `id="e-otp_method"`, `value="nope"`)
	r = c.PostForm("/admin/agents/invite", url.Values{"name": {"Dup"}, "email": {w.customer.Email}, "role": {"agent"}, "otp_method": {"email"}})
	rtExpect(t, "POST invite (taken)", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "contacts.email_taken"))

	r = c.PostForm("/admin/agents/invite", url.Values{"name": {"新人 花子"}, "email": {"ｈａｎａｋｏ＠vendor.example"},
		"role": {"agent"}, "otp_method": {"email"}})
	rtExpect(t, "POST invite", r, 303, "/admin/agents")
	m := rtWait(t, w.in, "hanako@vendor.example", "Complete your registration")
	welcome := rtPath(t, w.in, m.Link("/welcome/"))
	if !caWelcomeRE.MatchString(welcome) {
		t.Fatalf("welcome link %q", welcome)
	}
	r = c.Get("/admin/agents")
	rtContains(t, "the agents page", r.Body, rtText("en", "catalog_admin.agent_invited"), "hanako@vendor.example",
		rtText("en", "contacts.status_invited"), w.agent.Email, w.admin.Email)
	if strings.Contains(r.Body, w.customer.Email) {
		t.Error("the agents page lists a customer")
	}
	invited, err := w.in.Store.UserByEmail(ctx, "hanako@vendor.example")
	if err != nil {
		t.Fatal(err)
	}
	if invited.Role != portal.RoleAgent || invited.Status != portal.StatusInvited || invited.AccountID != 0 {
		t.Errorf("invited = %+v", invited)
	}
	entries, err := w.in.Store.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range entries {
		if e.Action == "user.invite" && e.TargetUserID == invited.ID && e.ActorID == w.admin.ID {
			found++
		}
	}
	if found != 1 {
		t.Errorf("%d user.invite entries by the admin, want 1", found)
	}

	// The invitee sets a password, signs in with an e-mailed code and lands
	// on the queue.
	ag := w.in.Client(t)
	rtExpect(t, "GET welcome", ag.Get(welcome), 200, "")
	password := "a long and private passphrase 42"
	r = ag.PostForm(welcome, url.Values{"new_password": {password}, "confirm_password": {password}, "accept_terms": {"1"}})
	rtExpect(t, "POST welcome", r, 303, "/login")
	invited, err = w.in.Store.UserByID(ctx, invited.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.in.SignIn(t, ag, &apptest.TestUser{User: invited, Password: password})
	rtExpect(t, "GET /agent/queue as the new agent", ag.Get("/agent/queue"), 200, "")
	rtExpect(t, "GET /admin/agents as the new agent", ag.Get("/admin/agents"), 403, "")
}

func TestCatalogAdmin_DisableAgent(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	ctx := context.Background()
	c := w.client(t, w.admin)
	ag := w.client(t, w.agent)
	rtExpect(t, "GET /agent/queue as the agent", ag.Get("/agent/queue"), 200, "")

	rtExpect(t, "POST disable", c.PostForm(fmt.Sprintf("/admin/agents/%d/disable", w.agent.ID), nil), 303, "/admin/agents")
	rtContains(t, "the agents page", c.Get("/admin/agents").Body, rtText("en", "catalog_admin.agent_disabled"),
		rtText("en", "contacts.status_disabled"), fmt.Sprintf(`action="/admin/agents/%d/enable"`, w.agent.ID))
	rtExpect(t, "GET /agent/queue after being disabled", ag.Get("/agent/queue"), 303, "/login?next="+url.QueryEscape("/agent/queue"))
	r := w.in.Client(t).PostForm("/login", url.Values{"email": {w.agent.Email}, "password": {w.agent.Password}})
	if r.Status == 303 {
		t.Errorf("a disabled agent's password still opens a sign-in: 303 to %s", r.Location)
	}
	if n := caAuditCount(t, w.in, "user.disable", w.agent.ID); n != 1 {
		t.Errorf("%d user.disable entries, want 1", n)
	}

	rtExpect(t, "POST enable", c.PostForm(fmt.Sprintf("/admin/agents/%d/enable", w.agent.ID), nil), 303, "/admin/agents")
	if n := caAuditCount(t, w.in, "user.enable", w.agent.ID); n != 1 {
		t.Errorf("%d user.enable entries, want 1", n)
	}
	w.in.SignIn(t, w.in.Client(t), w.agent)

	// Nobody disables themself.
	r = c.PostForm(fmt.Sprintf("/admin/agents/%d/disable", w.admin.ID), nil)
	rtExpect(t, "POST disable self", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.cannot_disable_self"))
	u, err := w.in.Store.UserByID(ctx, w.admin.ID)
	if err != nil || u.Status != portal.StatusActive {
		t.Errorf("admin after disabling self = %+v, %v", u, err)
	}

	// An invited person has nothing to disable yet.
	rtExpect(t, "POST invite", c.PostForm("/admin/agents/invite", url.Values{"name": {"New"}, "email": {"new@vendor.example"},
		"role": {"agent"}, "otp_method": {"app"}}), 303, "/admin/agents")
	invited, err := w.in.Store.UserByEmail(ctx, "new@vendor.example")
	if err != nil {
		t.Fatal(err)
	}
	r = c.PostForm(fmt.Sprintf("/admin/agents/%d/disable", invited.ID), nil)
	rtExpect(t, "POST disable invited", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.invited"))

	// Resending the invitation replaces the welcome link.
	first := rtWait(t, w.in, "new@vendor.example", "Complete your registration")
	rtContains(t, "the agents page", c.Get("/admin/agents").Body, fmt.Sprintf(`action="/admin/agents/%d/resend"`, invited.ID),
		fmt.Sprintf(`href="/admin/users/%d/password"`, invited.ID), fmt.Sprintf(`href="/admin/users/%d/password"`, w.agent.ID))
	rtExpect(t, "POST resend", c.PostForm(fmt.Sprintf("/admin/agents/%d/resend", invited.ID), nil), 303, "/admin/agents")
	second := w.in.Mail.WaitFor(t, "new@vendor.example", func(m mailtest.Mail) bool {
		return m.Link("/welcome/") != "" && m.Link("/welcome/") != first.Link("/welcome/")
	}, 15*time.Second)
	anon := w.in.Client(t)
	rtExpect(t, "GET the replaced welcome link", anon.Get(rtPath(t, w.in, first.Link("/welcome/"))), 410, "")
	rtExpect(t, "GET the new welcome link", anon.Get(rtPath(t, w.in, second.Link("/welcome/"))), 200, "")
	if n := caAuditCount(t, w.in, "user.invite_resend", invited.ID); n != 1 {
		t.Errorf("%d user.invite_resend entries, want 1", n)
	}
	r = c.PostForm(fmt.Sprintf("/admin/agents/%d/resend", w.agent.ID), nil)
	rtExpect(t, "POST resend to an active agent", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.not_invited"))
	rtExpect(t, "POST resend to a customer", c.PostForm(fmt.Sprintf("/admin/agents/%d/resend", w.customer.ID), nil), 404, "")
}

func TestCatalogAdmin_Roles(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	c := w.client(t, w.admin)
	self := fmt.Sprintf("/admin/agents/%d/role", w.admin.ID)

	// The only administrator cannot step down.
	r := c.PostForm(self, url.Values{"role": {"agent"}})
	rtExpect(t, "POST the last admin steps down", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.last_admin"))
	rtExpect(t, "POST an unknown role", c.PostForm(self, url.Values{"role": {"customer"}}), 422, "")

	// The agent becomes an administrator, then the first one steps down.
	rtExpect(t, "POST promote", c.PostForm(fmt.Sprintf("/admin/agents/%d/role", w.agent.ID), url.Values{"role": {"admin"}}),
		303, "/admin/agents")
	ag := w.client(t, w.agent)
	rtExpect(t, "GET /admin/agents as the promoted agent", ag.Get("/admin/agents"), 200, "")
	rtExpect(t, "POST step down", c.PostForm(self, url.Values{"role": {"agent"}}), 303, "/agent/queue")
	rtExpect(t, "GET /admin/products after stepping down", c.Get("/admin/products"), 403, "")
	rtExpect(t, "GET /agent/queue after stepping down", c.Get("/agent/queue"), 200, "")
	if n := caAuditCount(t, w.in, "user.role", 0); n != 2 {
		t.Errorf("%d user.role entries, want 2", n)
	}

	// Now the promoted agent is the last administrator and cannot be
	// disabled or demoted.
	r = ag.PostForm(fmt.Sprintf("/admin/agents/%d/role", w.agent.ID), url.Values{"role": {"agent"}})
	rtExpect(t, "POST the new last admin steps down", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.last_admin"))
}

var caTempPasswordRE = regexp.MustCompile(`id="temporary-password">([^<]+)<`)

func TestCatalogAdmin_TemporaryPassword(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	c := w.client(t, w.admin)
	cust := w.client(t, w.customer)
	path := fmt.Sprintf("/admin/users/%d/password", w.customer.ID)

	r := c.Get(path)
	rtExpect(t, "GET "+path, r, 200, "")
	rtContains(t, "the confirm page", r.Body, w.customer.Email, "Acme", `action="`+path+`"`)
	if caTempPasswordRE.MatchString(r.Body) {
		t.Error("the confirm page shows a password")
	}
	r = c.PostForm(path, nil)
	rtExpect(t, "POST "+path, r, 200, "")
	if !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", r.Header.Get("Cache-Control"))
	}
	m := caTempPasswordRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no temporary password on the page:\n%s", rtSnippet(r.Body))
	}
	temp := m[1]
	rtContains(t, "the result", r.Body, rtText("en", "catalog_admin.password_once"))
	if r := c.Get("/admin/agents"); strings.Contains(r.Body, temp) {
		t.Error("the temporary password is shown again on the next page")
	}
	if n := caAuditCount(t, w.in, "user.password_reset", w.customer.ID); n != 1 {
		t.Errorf("%d user.password_reset entries, want 1", n)
	}

	// Their session has ended; the old password no longer works.
	rtExpect(t, "GET /cases with the old session", cust.Get("/cases"), 303, "/login?next="+url.QueryEscape("/cases"))
	if r := w.in.Client(t).PostForm("/login", url.Values{"email": {w.customer.Email}, "password": {w.customer.Password}}); r.Status == 303 {
		t.Error("the old password still works")
	}

	// The temporary password signs in once, straight to a forced change.
	u := *w.customer
	u.Password = temp
	fresh := w.in.Client(t)
	w.in.SignIn(t, fresh, &u) // goes through /password/change
	if u.Password == temp {
		t.Error("signing in with the temporary password did not ask for a new one")
	}
	if r := w.in.Client(t).PostForm("/login", url.Values{"email": {w.customer.Email}, "password": {temp}}); r.Status == 303 {
		t.Error("the temporary password works after it was changed")
	}

	// Staff too; but not oneself.
	r = c.PostForm(fmt.Sprintf("/admin/users/%d/password", w.agent.ID), nil)
	rtExpect(t, "POST reset an agent", r, 200, "")
	rtExpect(t, "POST reset self", c.PostForm(fmt.Sprintf("/admin/users/%d/password", w.admin.ID), nil), 422, "")
}

func TestCatalogAdmin_Terms(t *testing.T) {
	t.Parallel()
	w := caNew(t)
	ctx := context.Background()
	c := w.client(t, w.admin)
	cust := w.client(t, w.customer)

	r := c.Get("/admin/terms")
	rtContains(t, "the terms page", r.Body, rtText("en", "catalog_admin.terms_version_n", "Version", 1),
		rtText("en", "catalog_admin.terms_current"), `action="/admin/terms/preview"`, "You may use this portal")
	rtContains(t, "version 1", c.Get("/admin/terms/1").Body, "You may use this portal", "本ポータルは")

	r = c.PostForm("/admin/terms/preview", url.Values{"body_en": {"New terms."}, "body_ja": {"  "}})
	rtExpect(t, "POST preview without Japanese", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "catalog_admin.terms_required"), `id="e-body_ja"`, "New terms.</textarea>")
	body := url.Values{"body_en": {"Version two.\r\n\r\nSecond paragraph."}, "body_ja": {"第2版です。\n\n第2段落。"}}
	r = c.PostForm("/admin/terms/preview", body)
	rtExpect(t, "POST preview", r, 200, "")
	rtContains(t, "the preview", r.Body, "<p>Version two.</p>", "<p>Second paragraph.</p>", "<p>第2段落。</p>",
		`action="/admin/terms"`, rtText("en", "catalog_admin.terms_publish"))
	if v, _, _, _ := w.in.Store.CurrentTerms(ctx); v != 1 {
		t.Errorf("a preview published version %d", v)
	}
	edit := url.Values{"body_en": body["body_en"], "body_ja": body["body_ja"], "edit": {"1"}}
	rtContains(t, "back to editing", c.PostForm("/admin/terms/preview", edit).Body, "第2段落。</textarea>")
	rtExpect(t, "POST publish without text", c.PostForm("/admin/terms", url.Values{"body_en": {"x"}}), 422, "")

	r = c.PostForm("/admin/terms", body)
	rtExpect(t, "POST /admin/terms", r, 303, "/admin/terms")
	v, en, ja, err := w.in.Store.CurrentTerms(ctx)
	if err != nil || v != 2 || en != "Version two.\n\nSecond paragraph." || ja != "第2版です。\n\n第2段落。" {
		t.Errorf("current terms = %d %q %q, %v", v, en, ja, err)
	}
	if n := caAuditCount(t, w.in, "terms.publish", 0); n != 1 {
		t.Errorf("%d terms.publish entries, want 1", n)
	}

	// A signed-in customer must accept before their next page.
	rtExpect(t, "GET /cases after new terms", cust.Get("/cases"), 303, "/terms")
	r = cust.Get("/terms")
	rtContains(t, "the terms step", r.Body, "Version two.", `name="accept_terms"`)
	rtExpect(t, "POST /terms", cust.PostForm("/terms", url.Values{"accept_terms": {"1"}}), 303, "/cases")
	rtExpect(t, "GET /cases after accepting", cust.Get("/cases"), 200, "")
	if n := caAuditCount(t, w.in, "terms.accept", w.customer.ID); n != 1 {
		t.Errorf("%d terms.accept entries of the customer, want 1", n)
	}

	// So must the publisher, and whoever signs in next.
	rtExpect(t, "GET /admin/terms as the publisher", c.Get("/admin/terms"), 303, "/terms")
	rtExpect(t, "POST /terms as the publisher", c.PostForm("/terms", url.Values{"accept_terms": {"1"}}), 303, "/admin/terms")
	r = c.Get("/admin/terms")
	rtContains(t, "the terms page", r.Body, rtText("en", "catalog_admin.terms_version_n", "Version", 2), `href="/admin/terms/2"`)
	w.in.SignIn(t, w.in.Client(t), w.agent) // SignIn accepts the terms step on the way
	if u, err := w.in.Store.UserByID(ctx, w.agent.ID); err != nil || u.TermsVersion != 2 {
		t.Errorf("agent's accepted terms after signing in = %v, %v", u, err)
	}
}
