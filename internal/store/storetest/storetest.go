// Package storetest gives each test a fresh, migrated PostgreSQL database.
//
// TestMain migrates a template database once per test binary; every test then
// gets CREATE DATABASE … TEMPLATE, which takes milliseconds, and drops it when
// it ends, so tests run in parallel without seeing each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"madoguchi/internal/store"
)

var (
	adminURL string // DATABASE_URL: a database we may CREATE DATABASE from
	template string // the migrated template's name
	skipWhy  string // set when no database is configured outside CI
)

// Main runs the package's tests around a migrated template database. Use it
// as: func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }.
func Main(m *testing.M) int {
	adminURL = os.Getenv("DATABASE_URL")
	if adminURL == "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "storetest: DATABASE_URL is not set; run the tests with `make test`")
			return 1
		}
		skipWhy = "DATABASE_URL is not set; `make test` starts a database"
		return m.Run()
	}
	ctx := context.Background()
	template = "tpl_" + randomName()
	if err := createTemplate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	code := m.Run()
	if err := dropDatabase(ctx, template); err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
	}
	return code
}

func createTemplate(ctx context.Context) error {
	if err := exec(ctx, adminURL, "CREATE DATABASE "+template); err != nil {
		return err
	}
	pool, err := store.Connect(ctx, withDatabase(adminURL, template), 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	return store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// URL returns the URL of a fresh migrated database that is dropped when tb ends.
func URL(tb testing.TB) string {
	tb.Helper()
	if skipWhy != "" {
		tb.Skip(skipWhy)
	}
	if template == "" {
		tb.Fatal("storetest: call storetest.Main from TestMain")
	}
	ctx := context.Background()
	name := "t_" + randomName()
	var err error
	// A concurrent CREATE DATABASE from the same template can briefly find it
	// "being accessed by other users"; try again.
	for range 20 {
		if err = exec(ctx, adminURL, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tb.Cleanup(func() {
		if err := dropDatabase(context.Background(), name); err != nil {
			tb.Logf("storetest: %v", err)
		}
	})
	return withDatabase(adminURL, name)
}

// Pool returns a pool on a fresh migrated database, closed when tb ends.
func Pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := store.Connect(context.Background(), URL(tb), 8)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// New returns a Store on a fresh migrated database. Outbox mail is written but
// not enqueued.
func New(tb testing.TB) *store.Store {
	tb.Helper()
	return store.New(Pool(tb), nil)
}

func exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func dropDatabase(ctx context.Context, name string) error {
	return exec(ctx, adminURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
