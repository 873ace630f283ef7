package store_test

import (
	"context"
	"testing"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/store/storetest"
)

func TestStore_Hit(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 14, 0, 10, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	t.Run("Limit", func(t *testing.T) {
		for i := 1; i <= 3; i++ {
			ok, _, err := s.Hit(ctx, "test:a", time.Minute, 3)
			if err != nil || !ok {
				t.Fatalf("hit %d: ok=%v err=%v", i, ok, err)
			}
		}
		ok, until, err := s.Hit(ctx, "test:a", time.Minute, 3)
		if err != nil || ok {
			t.Fatalf("4th hit: ok=%v err=%v", ok, err)
		}
		if want := time.Date(2026, 11, 21, 14, 1, 0, 0, time.UTC); !until.Equal(want) {
			t.Errorf("until = %v, want the end of the window %v", until, want)
		}
		// Keys are separate.
		if ok, _, _ := s.Hit(ctx, "test:b", time.Minute, 3); !ok {
			t.Error("another key was limited")
		}
	})
	t.Run("Window", func(t *testing.T) {
		next := now.Add(time.Minute)
		s.SetNow(func() time.Time { return next })
		defer s.SetNow(func() time.Time { return now })
		if ok, _, _ := s.Hit(ctx, "test:a", time.Minute, 3); !ok {
			t.Error("the next window is still limited")
		}
	})
	t.Run("Prune", func(t *testing.T) {
		if err := s.PruneRateCounters(ctx, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := s.Hit(ctx, "test:a", time.Minute, 1); !ok {
			t.Error("a pruned counter still counts")
		}
	})
}

func TestStore_LoginFailures(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	key := "nobody@example.test" // addresses are keys whether or not anyone has them
	if until, err := s.LoginLockedUntil(ctx, key); err != nil || !until.IsZero() {
		t.Fatalf("fresh key locked until %v (%v)", until, err)
	}
	for i := 1; i <= 5; i++ {
		until, err := s.RecordLoginFailure(ctx, key, auth.PasswordLockout)
		if err != nil || !until.IsZero() {
			t.Fatalf("failure %d locked until %v (%v)", i, until, err)
		}
	}
	until, err := s.RecordLoginFailure(ctx, key, auth.PasswordLockout)
	if err != nil || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("6th failure locked until %v (%v), want a minute", until, err)
	}
	if got, _ := s.LoginLockedUntil(ctx, key); !got.Equal(until) {
		t.Errorf("LoginLockedUntil = %v, want %v", got, until)
	}
	until, _ = s.RecordLoginFailure(ctx, key, auth.PasswordLockout)
	if !until.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("7th failure locked until %v, want two minutes (growing)", until)
	}
	later := now.Add(3 * time.Minute)
	s.SetNow(func() time.Time { return later })
	if got, _ := s.LoginLockedUntil(ctx, key); !got.IsZero() {
		t.Errorf("still locked after the lock ended: %v", got)
	}
	if err := s.ClearLoginFailures(ctx, key); err != nil {
		t.Fatal(err)
	}
	if until, _ := s.RecordLoginFailure(ctx, key, auth.PasswordLockout); !until.IsZero() {
		t.Errorf("after clearing, the first failure locks until %v", until)
	}
	// A day without failures starts the count again.
	for range 5 {
		s.RecordLoginFailure(ctx, key, auth.PasswordLockout)
	}
	dayLater := later.Add(25 * time.Hour)
	s.SetNow(func() time.Time { return dayLater })
	if until, _ := s.RecordLoginFailure(ctx, key, auth.PasswordLockout); !until.IsZero() {
		t.Errorf("a failure a day later locks until %v", until)
	}
}
