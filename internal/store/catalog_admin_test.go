package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// caActions counts the audit entries of each action.
func caActions(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	entries, err := s.AuditLog(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range entries {
		n[e.Action]++
	}
	return n
}

func caField(err error) string {
	fe, _ := portal.AsFieldErrors(err)
	for f := range fe {
		return f
	}
	return ""
}

func TestStore_CatalogAdminProducts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	audit := store.Audit{Action: "catalog.product_create", IP: "192.0.2.1"}

	gate, err := s.AddProduct(ctx, "Gate", []string{"1.0", "2.0"}, nil, audit)
	if err != nil || gate.Name != "Gate" || !gate.Active || gate.OSes == nil || len(gate.OSes) != 0 {
		t.Fatalf("AddProduct = %+v, %v", gate, err)
	}
	_, err = s.AddProduct(ctx, "Gate", nil, nil, audit)
	if portal.ErrorCode(err) != portal.ECONFLICT || caField(err) != "name" {
		t.Errorf("duplicate AddProduct: err = %v, want ECONFLICT on name", err)
	}
	backup, err := s.AddProduct(ctx, "Backup", nil, nil, audit)
	if err != nil {
		t.Fatal(err)
	}

	upd := store.Audit{Action: "catalog.product_update"}
	if err := s.UpdateProduct(ctx, gate.ID, "Backup", nil, nil, true, upd); portal.ErrorCode(err) != portal.ECONFLICT || caField(err) != "name" {
		t.Errorf("rename to a taken name: err = %v, want ECONFLICT on name", err)
	}
	if err := s.UpdateProduct(ctx, gate.ID+100, "X", nil, nil, true, upd); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown product: err = %v, want ENOTFOUND", err)
	}
	if err := s.UpdateProduct(ctx, gate.ID, "Gate NG", []string{"2.0"}, []string{"Linux"}, false, upd); err != nil {
		t.Fatal(err)
	}
	all, err := s.AllProducts(ctx)
	if err != nil || len(all) != 2 || all[0].ID != backup.ID || all[1].Name != "Gate NG" || all[1].Active ||
		!slices.Equal(all[1].Versions, []string{"2.0"}) || !slices.Equal(all[1].OSes, []string{"Linux"}) {
		t.Errorf("AllProducts = %+v, %v", all, err)
	}
	active, err := s.Products(ctx)
	if err != nil || len(active) != 1 || active[0].ID != backup.ID {
		t.Errorf("Products = %+v, %v; want only the active one", active, err)
	}
	if got := caActions(t, s); got["catalog.product_create"] != 2 || got["catalog.product_update"] != 1 {
		t.Errorf("audit = %v, want 2 creates and 1 update (refused changes leave none)", got)
	}
}

func TestStore_CatalogAdminCategories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	a := store.Audit{Action: "catalog.category_create"}
	lic, err := s.AddCategory(ctx, "Licensing", "ライセンス", 20, a)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := s.AddCategory(ctx, "Installation", "インストール", 10, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCategory(ctx, "Other", "ライセンス", 0, a); portal.ErrorCode(err) != portal.ECONFLICT || caField(err) != "name_ja" {
		t.Errorf("duplicate Japanese name: err = %v, want ECONFLICT on name_ja", err)
	}
	if _, err := s.AddCategory(ctx, "LICENSING", "別", 0, a); portal.ErrorCode(err) != portal.ECONFLICT || caField(err) != "name_en" {
		t.Errorf("duplicate English name: err = %v, want ECONFLICT on name_en", err)
	}
	p := store.Audit{Action: "catalog.problem_create"}
	move, err := s.AddProblem(ctx, lic, "Move", "移行", 20, p)
	if err != nil {
		t.Fatal(err)
	}
	act, err := s.AddProblem(ctx, lic, "Activate", "有効化", 10, p)
	if err != nil {
		t.Fatal(err)
	}
	fail, err := s.AddProblem(ctx, inst, "Fails", "失敗", 0, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddProblem(ctx, lic, "move", "別", 0, p); portal.ErrorCode(err) != portal.ECONFLICT || caField(err) != "name_en" {
		t.Errorf("duplicate problem: err = %v, want ECONFLICT on name_en", err)
	}
	if _, err := s.AddProblem(ctx, inst, "Move", "移行", 0, p); err != nil {
		t.Errorf("the same name in another category: %v", err)
	}
	if _, err := s.AddProblem(ctx, lic+inst+100, "X", "X", 0, p); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown category: err = %v, want ENOTFOUND", err)
	}

	problemIDs := func() []int64 {
		t.Helper()
		list, err := s.Problems(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, p := range list {
			ids = append(ids, p.ID)
		}
		return ids
	}
	all := problemIDs()
	if len(all) != 4 || all[0] != fail || all[2] != act || all[3] != move {
		t.Errorf("Problems = %v, want by category sort then problem sort", all)
	}

	// Retiring a problem hides it; retiring a category hides it and its problems.
	if err := s.UpdateProblem(ctx, move, "Move licence", "移行", 20, false, store.Audit{Action: "catalog.problem_update"}); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(problemIDs(), move) {
		t.Error("a retired problem is still offered")
	}
	if err := s.UpdateCategory(ctx, inst, "Installation", "インストール", 30, false, store.Audit{Action: "catalog.category_update"}); err != nil {
		t.Fatal(err)
	}
	cats, err := s.Categories(ctx)
	if err != nil || len(cats) != 1 || cats[0].ID != lic {
		t.Errorf("Categories = %+v, %v; want only Licensing", cats, err)
	}
	if got := problemIDs(); !slices.Equal(got, []int64{act}) {
		t.Errorf("Problems = %v, want only %d", got, act)
	}
	// The admin lists keep everything.
	acats, err := s.CatalogCategories(ctx)
	if err != nil || len(acats) != 2 || acats[0].ID != lic || acats[1].Active || acats[1].Sort != 30 {
		t.Errorf("CatalogCategories = %+v, %v", acats, err)
	}
	aprobs, err := s.CatalogProblems(ctx)
	if err != nil || len(aprobs) != 4 {
		t.Errorf("CatalogProblems = %+v, %v", aprobs, err)
	}
	got, err := s.CatalogProblem(ctx, move)
	if err != nil || got.NameEN != "Move licence" || got.Active || got.CategoryID != lic {
		t.Errorf("CatalogProblem = %+v, %v", got, err)
	}
	if err := s.UpdateCategory(ctx, inst, "Licensing", "インストール", 0, true, store.Audit{}); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("rename to a taken name: err = %v", err)
	}
	if err := s.UpdateProblem(ctx, act+1000, "X", "X", 0, true, store.Audit{}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown problem: err = %v", err)
	}
	if _, err := s.CatalogCategory(ctx, lic+inst+100); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown category: err = %v", err)
	}
	if n := caActions(t, s); n["catalog.category_create"] != 2 || n["catalog.problem_create"] != 4 ||
		n["catalog.problem_update"] != 1 || n["catalog.category_update"] != 1 {
		t.Errorf("audit = %v", n)
	}
}

func TestStore_StaffAdministration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	mk := func(email string, role portal.Role, accountID int64) *portal.User {
		t.Helper()
		u, err := s.CreateUser(ctx, store.NewUser{Email: email, Name: email, Role: role, AccountID: accountID})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	acc, err := s.CreateAccount(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	admin := mk("admin@vendor.example", portal.RoleAdmin, 0)
	agent := mk("agent@vendor.example", portal.RoleAgent, 0)
	customer := mk("c@acme.example", portal.RoleCustomer, acc.ID)

	staff, err := s.StaffMembers(ctx)
	if err != nil || len(staff) != 2 || staff[0].ID != admin.ID || staff[1].ID != agent.ID || staff[0].Role != portal.RoleAdmin {
		t.Errorf("StaffMembers = %+v, %v", staff, err)
	}

	a := store.Audit{ActorID: admin.ID, Action: "user.disable"}
	t.Run("LastAdminStays", func(t *testing.T) {
		err := s.SetStaffStatus(ctx, admin.ID, portal.StatusDisabled, a)
		if portal.ErrorCode(err) != portal.EINVALID || portal.ErrorMessage(err) != "catalog_admin.last_admin" {
			t.Errorf("disable the last admin: err = %v", err)
		}
		err = s.SetStaffRole(ctx, admin.ID, portal.RoleAgent, store.Audit{Action: "user.role"})
		if portal.ErrorCode(err) != portal.EINVALID || portal.ErrorMessage(err) != "catalog_admin.last_admin" {
			t.Errorf("demote the last admin: err = %v", err)
		}
		if u, _ := s.UserByID(ctx, admin.ID); u.Role != portal.RoleAdmin || u.Status != portal.StatusActive {
			t.Errorf("admin after refused changes = %+v", u)
		}
	})
	t.Run("NotForCustomers", func(t *testing.T) {
		if err := s.SetStaffStatus(ctx, customer.ID, portal.StatusDisabled, a); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Errorf("disable a customer: err = %v, want ENOTFOUND", err)
		}
		if err := s.SetStaffRole(ctx, customer.ID, portal.RoleAdmin, a); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Errorf("promote a customer: err = %v, want ENOTFOUND", err)
		}
		if err := s.SetStaffRole(ctx, agent.ID, portal.RoleCustomer, a); portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("make staff a customer: err = %v, want EINVALID", err)
		}
	})
	t.Run("DisableEndsSessions", func(t *testing.T) {
		before, _ := s.UserByID(ctx, agent.ID)
		if err := s.SetStaffStatus(ctx, agent.ID, portal.StatusDisabled, a); err != nil {
			t.Fatal(err)
		}
		after, _ := s.UserByID(ctx, agent.ID)
		if after.Status != portal.StatusDisabled || after.SessionEpoch == before.SessionEpoch {
			t.Errorf("disabled agent = %+v", after)
		}
		if err := s.SetStaffStatus(ctx, agent.ID, portal.StatusActive, store.Audit{Action: "user.enable"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("HandOver", func(t *testing.T) {
		if err := s.SetStaffRole(ctx, agent.ID, portal.RoleAdmin, store.Audit{Action: "user.role"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetStaffRole(ctx, admin.ID, portal.RoleAgent, store.Audit{Action: "user.role"}); err != nil {
			t.Fatalf("demote one of two admins: %v", err)
		}
		if u, _ := s.UserByID(ctx, admin.ID); u.Role != portal.RoleAgent {
			t.Errorf("demoted = %+v", u)
		}
	})
	t.Run("Invited", func(t *testing.T) {
		id, err := s.Invite(ctx, store.NewUser{Email: "new@vendor.example", Name: "New", Role: portal.RoleAgent},
			[]byte("hash-of-a-welcome-token-000000000"), time.Now().Add(portal.WelcomeTTL), store.Mail{}, store.Audit{})
		if err != nil {
			t.Fatal(err)
		}
		err = s.SetStaffStatus(ctx, id, portal.StatusDisabled, a)
		if portal.ErrorMessage(err) != "catalog_admin.invited" {
			t.Errorf("disable an invited agent: err = %v", err)
		}
		if err := s.ResendStaffInvitation(ctx, id, []byte("hash-of-another-welcome-token-0000"), time.Now().Add(portal.WelcomeTTL),
			store.Mail{}, store.Audit{Action: "user.invite_resend"}); err != nil {
			t.Errorf("resend: %v", err)
		}
		err = s.ResendStaffInvitation(ctx, agent.ID, []byte("hash-of-a-third-welcome-token-00000"), time.Now(), store.Mail{}, store.Audit{})
		if portal.ErrorMessage(err) != "catalog_admin.not_invited" {
			t.Errorf("resend to an active agent: err = %v", err)
		}
		err = s.ResendStaffInvitation(ctx, customer.ID, []byte("hash-of-a-fourth-welcome-token-0000"), time.Now(), store.Mail{}, store.Audit{})
		if portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Errorf("resend to a customer: err = %v", err)
		}
	})
	if n := caActions(t, s); n["user.disable"] != 1 || n["user.enable"] != 1 || n["user.role"] != 2 {
		t.Errorf("audit = %v", n)
	}
}

func TestStore_PublishTerms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	v, err := s.PublishTerms(ctx, "Two.", "二。", store.Audit{Action: "terms.publish"})
	if err != nil || v != 2 {
		t.Fatalf("PublishTerms = %d, %v; want version 2 after the initial 1", v, err)
	}
	cur, en, ja, err := s.CurrentTerms(ctx)
	if err != nil || cur != 2 || en != "Two." || ja != "二。" {
		t.Errorf("CurrentTerms = %d %q %q, %v", cur, en, ja, err)
	}
	list, err := s.TermsVersions(ctx)
	if err != nil || len(list) != 2 || list[0].Version != 2 || list[1].Version != 1 || list[0].BodyEN != "" {
		t.Errorf("TermsVersions = %+v, %v", list, err)
	}
	one, err := s.TermsByVersion(ctx, 1)
	if err != nil || one.BodyEN == "" || one.BodyJA == "" {
		t.Errorf("TermsByVersion(1) = %+v, %v", one, err)
	}
	if _, err := s.TermsByVersion(ctx, 9); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("TermsByVersion(9): err = %v", err)
	}
	// A user reads the new current version with their record.
	u, err := s.CreateUser(ctx, store.NewUser{Email: "a@vendor.example", Name: "A", Role: portal.RoleAgent})
	if err != nil || u.CurrentTerms != 2 {
		t.Errorf("user's CurrentTerms = %v, %v", u, err)
	}
	if n := caActions(t, s); n["terms.publish"] != 1 {
		t.Errorf("audit = %v", n)
	}
}
