package app_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestCLI_ProductCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn}
	pool, err := store.Connect(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool, nil)

	out, _, err := run(t, env, "product", "create", "--name", " Madoguchi SecureGate ", "--versions", "5.0, 5.1,,6.0,5.1",
		"--os", "Windows Server 2022、RHEL 9")
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(lastLine(out), 10, 64)
	if err != nil {
		t.Fatalf("last line %q is not the product id", lastLine(out))
	}
	p, err := st.ProductByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Madoguchi SecureGate" || !slices.Equal(p.Versions, []string{"5.0", "5.1", "6.0"}) ||
		!slices.Equal(p.OSes, []string{"Windows Server 2022", "RHEL 9"}) || !p.Active {
		t.Errorf("created product = %+v", p)
	}

	out, _, err = run(t, env, "product", "create", "--name", "Cloud Console")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strconv.ParseInt(lastLine(out), 10, 64); err != nil {
		t.Errorf("output %q", out)
	}

	if _, _, err := run(t, env, "product", "create", "--name", "Madoguchi SecureGate"); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate name: err = %v", err)
	}
	if _, _, err := run(t, env, "product", "create", "--versions", "1.0"); err == nil {
		t.Error("a product without a name was created")
	}
	if _, _, err := run(t, env, "product", "create", "--name", "X", "stray"); err == nil {
		t.Error("a stray argument was accepted")
	}
	list, _ := st.Products(ctx)
	if len(list) != 2 {
		t.Errorf("%d products, want 2", len(list))
	}
}

func TestCLI_SeedDemoCatalog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn, "BASE_URL": "http://localhost:8080"}
	if _, _, err := run(t, env, "seed", "demo"); err != nil {
		t.Fatal(err)
	}
	pool, err := store.Connect(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool, nil)
	products, err := st.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gate bool
	for _, p := range products {
		if p.Name == "Madoguchi SecureGate" && slices.Equal(p.Versions, []string{"5.0", "5.1", "6.0"}) &&
			slices.Contains(p.OSes, "RHEL 9") {
			gate = true
		}
	}
	if len(products) < 4 || len(products) > 6 || !gate {
		t.Errorf("demo products = %+v", products)
	}
	cats, err := st.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := st.Problems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) < 5 || cats[0].NameJA != "インストール" || cats[0].NameEN != "Installation" {
		t.Errorf("demo categories = %+v", cats)
	}
	per := map[int64]int{}
	for _, p := range probs {
		per[p.CategoryID]++
		if p.NameJA == "" || p.NameEN == "" {
			t.Errorf("problem %+v lacks a name", p)
		}
	}
	for _, c := range cats {
		if per[c.ID] == 0 {
			t.Errorf("category %s has no problems", c.NameEN)
		}
	}
	// Seeding again leaves the catalog alone.
	if _, _, err := run(t, env, "seed", "demo"); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.Products(ctx); len(again) != len(products) {
		t.Errorf("%d products after a second seed, want %d", len(again), len(products))
	}
}
