package store_test

import (
	"context"
	"regexp"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store/storetest"
)

func TestStore_CreateAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)

	t.Run("GeneratedIdentifier", func(t *testing.T) {
		seen := map[string]bool{}
		for range 20 {
			a, err := s.CreateAccount(ctx, "株式会社サンプル", "")
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^C[0-9]{8}$`).MatchString(a.Identifier) {
				t.Errorf("identifier %q is not C and eight digits", a.Identifier)
			}
			if seen[a.Identifier] {
				t.Errorf("identifier %q given twice", a.Identifier)
			}
			seen[a.Identifier] = true
			if a.Name != "株式会社サンプル" || !a.MFARequired || a.ID == 0 || a.CreatedAt.IsZero() {
				t.Errorf("account = %+v", a)
			}
		}
	})
	t.Run("ExplicitIdentifier", func(t *testing.T) {
		a, err := s.CreateAccount(ctx, "Acme", "ACME-001")
		if err != nil {
			t.Fatal(err)
		}
		if a.Identifier != "ACME-001" {
			t.Errorf("identifier = %q", a.Identifier)
		}
		if _, err := s.CreateAccount(ctx, "Acme again", "ACME-001"); rgCode(err) != portal.ECONFLICT {
			t.Fatalf("duplicate identifier: err = %v, want ECONFLICT", err)
		}
	})
}

func TestStore_AccountByIdentifier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	created, err := s.CreateAccount(ctx, "Acme", "ACME-002")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.AccountByIdentifier(ctx, "ACME-002")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != created.ID || a.Name != "Acme" {
		t.Errorf("account = %+v", a)
	}
	if _, err := s.AccountByIdentifier(ctx, "ACME-003"); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown identifier: err = %v, want ENOTFOUND", err)
	}
	byID, err := s.AccountByID(ctx, created.ID)
	if err != nil || byID.Identifier != "ACME-002" {
		t.Errorf("AccountByID = %+v, %v", byID, err)
	}
	if _, err := s.AccountByID(ctx, created.ID+1000); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown id: err = %v, want ENOTFOUND", err)
	}
}
