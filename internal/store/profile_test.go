package store_test

import (
	"context"
	"testing"
	"time"

	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestStore_UpdateProfileAndLanguage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	u := rgUser(t, s, acc.ID, "p@acme.example")
	p := store.Profile{Name: "鈴木 一郎", TimeZone: "Europe/Paris", CountryCode: "JP", Phone: "03-1111-2222",
		Mobile: "090-3333-4444", ContactMethod: "phone", Language: "en"}
	if err := s.UpdateProfile(ctx, u.ID, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != p.Name || got.TimeZone != p.TimeZone || got.CountryCode != p.CountryCode || got.Phone != p.Phone ||
		got.Mobile != p.Mobile || got.ContactMethod != p.ContactMethod || got.Language != p.Language {
		t.Errorf("after UpdateProfile: %+v", got)
	}
	if err := s.SetLanguage(ctx, u.ID, "ja"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Language != "ja" {
		t.Errorf("language = %q after SetLanguage(ja)", got.Language)
	}
}

func TestStore_ReplaceRecoveryCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	u := rgUser(t, s, acc.ID, "r@acme.example")
	if err := s.ReplaceRecoveryCodes(ctx, u.ID, []string{"h1", "h2"}, store.Audit{Action: "mfa.recovery_codes"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, u.ID, []string{"h3", "h4", "h5"}, store.Audit{Action: "mfa.recovery_codes"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 3 {
		t.Fatalf("codes left = %d, %v; want 3", n, err)
	}
	if ok, _ := s.UseRecoveryCode(ctx, u.ID, "h1", ""); ok {
		t.Error("a replaced code was accepted")
	}
	if ok, _ := s.UseRecoveryCode(ctx, u.ID, "h4", ""); !ok {
		t.Error("a new code was refused")
	}
}

func TestStore_CountAccountsAndPing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountAccounts(ctx); err != nil || n != 0 {
		t.Fatalf("CountAccounts on an empty database = %d, %v", n, err)
	}
	rgAccount(t, s, "One")
	rgAccount(t, s, "Two")
	if n, _ := s.CountAccounts(ctx); n != 2 {
		t.Errorf("CountAccounts = %d, want 2", n)
	}
}

func TestStore_Cleanup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.Pool(t)
	s := store.New(pool, nil)
	acc := rgAccount(t, s, "Acme")
	u := rgUser(t, s, acc.ID, "c@acme.example")
	now := time.Now()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO rate_counters (key, window_start, count) VALUES ('old', $1, 1), ('new', $2, 1)`, now.Add(-48*time.Hour), now)
	exec(`INSERT INTO email_codes (user_id, code_hash, expires_at) VALUES ($1, 'old', $2), ($1, 'new', $3)`, u.ID, now.Add(-8*24*time.Hour), now.Add(time.Minute))
	exec(`INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at) VALUES ($1, 'reset', 'old', $2), ($1, 'reset', 'new', $3)`, u.ID, now.Add(-8*24*time.Hour), now.Add(time.Hour))
	exec(`INSERT INTO sessions (token, data, expiry) VALUES ('old', '', $1), ('new', '', $2)`, now.Add(-time.Minute), now.Add(time.Hour))
	exec(`INSERT INTO login_failures (key, failures, updated_at) VALUES ('old', 3, $1), ('new', 3, $2)`, now.Add(-48*time.Hour), now)
	if err := s.Cleanup(ctx, now); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT count(*) FROM rate_counters WHERE key = $1`,
		`SELECT count(*) FROM email_codes WHERE code_hash = $1`,
		`SELECT count(*) FROM user_tokens WHERE token_hash = $1::bytea`,
		`SELECT count(*) FROM sessions WHERE token = $1`,
		`SELECT count(*) FROM login_failures WHERE key = $1`,
	} {
		for name, want := range map[string]int{"old": 0, "new": 1} {
			var n int
			if err := pool.QueryRow(ctx, q, name).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("%s [%s]: %d rows, want %d", q, name, n, want)
			}
		}
	}
}
