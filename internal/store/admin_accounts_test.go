package store_test

import (
	"context"
	"fmt"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestStore_CreateAccountAudited(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()

	gen, err := s.CreateAccountAudited(ctx, store.NewAccount{Name: "Acme", MFARequired: false, Partner: true},
		store.Audit{Action: "account.create"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Identifier) != 9 || gen.Identifier[0] != 'C' || gen.MFARequired || !gen.IsPartner {
		t.Errorf("generated account = %+v", gen)
	}
	given, err := s.CreateAccountAudited(ctx, store.NewAccount{Name: "Beta", Identifier: "BETA-1", MFARequired: true},
		store.Audit{Action: "account.create"})
	if err != nil {
		t.Fatal(err)
	}
	if given.Identifier != "BETA-1" || !given.MFARequired || given.IsPartner {
		t.Errorf("given account = %+v", given)
	}

	t.Run("RejectsTakenName", func(t *testing.T) {
		_, err := s.CreateAccountAudited(ctx, store.NewAccount{Name: "ACME"}, store.Audit{Action: "account.create"})
		if fe, ok := portal.AsFieldErrors(err); portal.ErrorCode(err) != portal.ECONFLICT || !ok || fe["name"] != "admin.name_taken" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("RejectsTakenIdentifier", func(t *testing.T) {
		_, err := s.CreateAccountAudited(ctx, store.NewAccount{Name: "Gamma", Identifier: "BETA-1"}, store.Audit{Action: "account.create"})
		if fe, ok := portal.AsFieldErrors(err); portal.ErrorCode(err) != portal.ECONFLICT || !ok || fe["identifier"] != "admin.identifier_taken" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("AuditsOnce", func(t *testing.T) {
		entries, err := s.AuditLog(ctx, gen.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Action != "account.create" || entries[0].Detail["identifier"] != gen.Identifier {
			t.Errorf("audit = %+v", entries)
		}
	})
	t.Run("NameTaken", func(t *testing.T) {
		for name, want := range map[string]bool{"acme": true, "Beta": true, "Gamma": false} {
			if got, err := s.AccountNameTaken(ctx, name); err != nil || got != want {
				t.Errorf("AccountNameTaken(%q) = %v, %v; want %v", name, got, err, want)
			}
		}
	})
}

func TestStore_ListAccounts(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	var ids []int64
	for i := range 7 {
		a, err := s.CreateAccount(ctx, fmt.Sprintf("Org %02d", i), fmt.Sprintf("ORG%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	other, _ := s.CreateAccount(ctx, "株式会社 窓口_テスト", "MADO-1")
	for i := range 3 {
		if _, err := s.CreateUser(ctx, store.NewUser{AccountID: ids[2], Email: fmt.Sprintf("u%d@example.test", i),
			Name: "U", Role: portal.RoleCustomer}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("KeysetPages", func(t *testing.T) {
		var got []int64
		q := store.AccountQuery{Limit: 3}
		for range 5 {
			page, err := s.ListAccounts(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page {
				got = append(got, a.ID)
				if a.ID == ids[2] && a.Contacts != 3 {
					t.Errorf("contacts of Org 02 = %d, want 3", a.Contacts)
				}
			}
			if len(page) < q.Limit {
				break
			}
			last := page[len(page)-1]
			q.AfterName, q.AfterID = last.Name, last.ID
		}
		want := append(append([]int64{}, ids...), other.ID)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages = %v, want %v", got, want)
		}
	})
	t.Run("Search", func(t *testing.T) {
		for search, want := range map[string][]int64{
			"org 03": {ids[3]},
			"ORG0":   ids,
			"mado":   {other.ID},
			"窓口":     {other.ID},
			"_":      {other.ID}, // literal, not a wildcard
			"%":      nil,
		} {
			page, err := s.ListAccounts(ctx, store.AccountQuery{Search: search, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, a := range page {
				got = append(got, a.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("search %q = %v, want %v", search, got, want)
			}
		}
	})
	t.Run("CountContacts", func(t *testing.T) {
		if n, err := s.CountContacts(ctx, ids[2]); err != nil || n != 3 {
			t.Errorf("CountContacts = %d, %v", n, err)
		}
	})
}

func TestStore_RenameAccount(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	a, _ := s.CreateAccount(ctx, "Acme", "")
	if _, err := s.CreateAccount(ctx, "Beta", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameAccount(ctx, a.ID, "BETA", store.Audit{Action: "account.rename"}); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("rename to a taken name: %v", err)
	}
	if err := s.RenameAccount(ctx, 999999, "Gamma", store.Audit{Action: "account.rename"}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("rename of no account: %v", err)
	}
	// A change of case only is allowed: the name is still this organization's.
	for _, name := range []string{"ACME Corp", "Acme Corp", "Acme Corp"} {
		if err := s.RenameAccount(ctx, a.ID, name, store.Audit{Action: "account.rename"}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.AccountByID(ctx, a.ID)
	entries, _ := s.AuditLog(ctx, a.ID, 10)
	if got.Name != "Acme Corp" || len(entries) != 2 || entries[0].Detail["from"] != "ACME Corp" {
		t.Errorf("name %q, audit %+v", got.Name, entries)
	}
}
