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

func TestCLI_CategoryAndProblem(t *testing.T) {
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

	out, _, err := run(t, env, "category", "create", "--en", " Licensing ", "--ja", "ライセンス")
	if err != nil {
		t.Fatal(err)
	}
	cat := lastLine(out)
	out, _, err = run(t, env, "problem", "create", "--category", cat, "--en", "Activation fails", "--ja", "アクティベーションが失敗する")
	if err != nil {
		t.Fatal(err)
	}
	prob := lastLine(out)
	cats, _ := st.Categories(ctx)
	probs, _ := st.Problems(ctx)
	if len(cats) != 1 || strconv.FormatInt(cats[0].ID, 10) != cat || cats[0].NameEN != "Licensing" || cats[0].NameJA != "ライセンス" {
		t.Errorf("categories = %+v (printed id %s)", cats, cat)
	}
	if len(probs) != 1 || strconv.FormatInt(probs[0].ID, 10) != prob || strconv.FormatInt(probs[0].CategoryID, 10) != cat ||
		probs[0].NameJA != "アクティベーションが失敗する" {
		t.Errorf("problems = %+v (printed id %s)", probs, prob)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"category", "create", "--en", "licensing", "--ja", "別名"}, "already exists"},
		{[]string{"category", "create", "--en", "Other"}, "--ja is required"},
		{[]string{"category", "create", "--en", strings.Repeat("x", 101), "--ja", "x"}, "at most 100"},
		{[]string{"problem", "create", "--category", cat, "--en", "ACTIVATION FAILS", "--ja", "別"}, "already has a problem"},
		{[]string{"problem", "create", "--category", "999999", "--en", "X", "--ja", "X"}, "no category 999999"},
		{[]string{"problem", "create", "--en", "X", "--ja", "X"}, "--category is required"},
	} {
		if _, _, err := run(t, env, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to say %q", tc.args, err, tc.want)
		}
	}
	if cats, _ := st.Categories(ctx); len(cats) != 1 {
		t.Errorf("%d categories after refused commands, want 1", len(cats))
	}

	if _, _, err := run(t, env, "product", "create", "--name", "Sentinel", "--versions", "9.4,10.0"); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, env, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	// Rows are aligned with spaces: compare them field by field.
	var rows []string
	for _, line := range strings.Split(out, "\n") {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	for _, want := range []string{"Sentinel versions: 9.4, 10.0 os: -", cat + " Licensing ライセンス", prob + " Activation fails アクティベーションが失敗する"} {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasSuffix(r, want) }) {
			t.Errorf("catalog output lacks a row %q:\n%s", want, out)
		}
	}
}
