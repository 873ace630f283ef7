package store_test

import (
	"context"
	"slices"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store/storetest"
)

func TestStore_Products(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)

	gate, err := s.CreateProduct(ctx, "Madoguchi SecureGate", []string{"5.0", "5.1", "6.0"}, []string{"RHEL 9", "Windows Server 2022"})
	if err != nil {
		t.Fatal(err)
	}
	if gate.ID == 0 || !gate.Active || !slices.Equal(gate.Versions, []string{"5.0", "5.1", "6.0"}) ||
		!slices.Equal(gate.OSes, []string{"RHEL 9", "Windows Server 2022"}) {
		t.Errorf("created = %+v", gate)
	}
	cloud, err := s.CreateProduct(ctx, "Cloud Console", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cloud.Versions == nil || len(cloud.Versions) != 0 || len(cloud.OSes) != 0 {
		t.Errorf("a product without versions = %+v", cloud)
	}
	if _, err := s.CreateProduct(ctx, "Madoguchi SecureGate", nil, nil); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("duplicate name: err = %v, want ECONFLICT", err)
	}
	old, err := s.CreateProduct(ctx, "Antique", []string{"1.0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE products SET active = false WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}

	list, err := s.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"Cloud Console", "Madoguchi SecureGate"}) {
		t.Errorf("Products = %v, want the active ones by name", names)
	}

	got, err := s.ProductByID(ctx, old.ID)
	if err != nil || got.Name != "Antique" || got.Active {
		t.Errorf("ProductByID(inactive) = %+v, %v", got, err)
	}
	if _, err := s.ProductByID(ctx, old.ID+100); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("ProductByID(unknown): err = %v, want ENOTFOUND", err)
	}
}

func TestStore_CategoriesAndProblems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)

	// Created out of order: lists follow sort, then id.
	lic, err := s.CreateCategory(ctx, "Licensing", "ライセンス", 20)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := s.CreateCategory(ctx, "Installation", "インストール", 10)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := s.CreateCategory(ctx, "Other", "その他", 30)
	if err != nil {
		t.Fatal(err)
	}
	mustProblem := func(cat int64, en, ja string, sort int) *portal.Problem {
		t.Helper()
		p, err := s.CreateProblem(ctx, cat, en, ja, sort)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.CategoryID != cat || p.NameEN != en || p.NameJA != ja {
			t.Errorf("CreateProblem = %+v", p)
		}
		return p
	}
	mustProblem(lic.ID, "Activation fails", "アクティベーションが失敗する", 10)
	mustProblem(inst.ID, "Upgrade fails", "アップグレードが失敗する", 20)
	mustProblem(inst.ID, "Installation fails", "インストールが失敗する", 10)
	if _, err := s.CreateProblem(ctx, empty.ID+100, "Orphan", "孤児", 0); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("problem of an unknown category: err = %v, want ENOTFOUND", err)
	}

	cats, err := s.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cats {
		got = append(got, c.Name("ja"))
	}
	if !slices.Equal(got, []string{"インストール", "ライセンス", "その他"}) {
		t.Errorf("Categories (ja) = %v", got)
	}
	if cats[0].Name("en") != "Installation" {
		t.Errorf("Name(en) = %q", cats[0].Name("en"))
	}

	probs, err := s.Problems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, p := range probs {
		got = append(got, p.NameEN)
	}
	if !slices.Equal(got, []string{"Installation fails", "Upgrade fails", "Activation fails"}) {
		t.Errorf("Problems = %v, want by category then sort", got)
	}
}
