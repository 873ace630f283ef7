package store_test

import (
	"context"
	"testing"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestStore_SetPassword(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)
	if err := s.SetPassword(ctx, u.ID, "new-hash", true, store.Audit{Action: "password.cli_reset"}); err != nil {
		t.Fatal(err)
	}
	got := siReload(t, s, u.ID)
	if got.PasswordHash != "new-hash" || !got.MustChangePassword || got.SessionEpoch != u.SessionEpoch+1 {
		t.Fatalf("after SetPassword: hash %q, must change %v, epoch %d (was %d)", got.PasswordHash, got.MustChangePassword, got.SessionEpoch, u.SessionEpoch)
	}
	if a := siActions(t, s, u.ID); len(a) != 1 || a[0] != "password.cli_reset" {
		t.Errorf("audit %v", a)
	}
	if err := s.SetPassword(ctx, 987654, "h", false, store.Audit{}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown user: %v", err)
	}
}

func TestStore_ChangePassword(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)
	if err := s.SetPassword(ctx, u.ID, "temporary", true, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	before := siReload(t, s, u.ID)
	epoch, err := s.ChangePassword(ctx, u.ID, "chosen", store.Audit{ActorID: u.ID, Action: "password.change"}, siMail(u.Email))
	if err != nil {
		t.Fatal(err)
	}
	got := siReload(t, s, u.ID)
	if epoch != before.SessionEpoch+1 || got.SessionEpoch != epoch || got.PasswordHash != "chosen" || got.MustChangePassword {
		t.Fatalf("epoch %d (was %d, now %d), hash %q, must change %v", epoch, before.SessionEpoch, got.SessionEpoch, got.PasswordHash, got.MustChangePassword)
	}
	if siOutboxCount(t, s, u.Email) != 1 {
		t.Error("no notice mail")
	}
	if _, err := s.ChangePassword(ctx, 987654, "x", store.Audit{}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown user: %v", err)
	}
}

func TestStore_ResetPassword(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	now := time.Now()
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)
	if err := s.SetPassword(ctx, u.ID, "temporary", true, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if _, err := s.RecordLoginFailure(ctx, u.Email, auth.PasswordLockout); err != nil {
			t.Fatal(err)
		}
	}
	token, hash := auth.NewToken()
	if err := s.CreateResetToken(ctx, u.ID, hash, now.Add(portal.ResetTTL), siMail(u.Email)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByToken(ctx, portal.TokenReset, auth.HashToken(token)); err != nil || got.ID != u.ID {
		t.Fatalf("UserByToken = %v, %v", got, err)
	}
	before := siReload(t, s, u.ID)
	id, err := s.ResetPassword(ctx, hash, "fresh", "192.0.2.1", siMail(u.Email))
	if err != nil || id != u.ID {
		t.Fatalf("ResetPassword = %d, %v", id, err)
	}
	got := siReload(t, s, u.ID)
	if got.PasswordHash != "fresh" || got.MustChangePassword || got.SessionEpoch != before.SessionEpoch+1 {
		t.Fatalf("after reset: %q must change %v epoch %d", got.PasswordHash, got.MustChangePassword, got.SessionEpoch)
	}
	if until, _ := s.LoginLockedUntil(ctx, u.Email); !until.IsZero() {
		t.Error("the address stays locked after a reset")
	}
	if _, err := s.ResetPassword(ctx, hash, "again", "192.0.2.1"); portal.ErrorCode(err) != portal.EGONE {
		t.Errorf("second use: %v, want EGONE", err)
	}
	if _, err := s.UserByToken(ctx, portal.TokenReset, hash); portal.ErrorCode(err) != portal.EGONE {
		t.Errorf("UserByToken after use: %v, want EGONE", err)
	}
	if _, err := s.ResetPassword(ctx, auth.HashToken("unknown"), "x", ""); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown token: %v, want ENOTFOUND", err)
	}
	// Expired.
	_, hash2 := auth.NewToken()
	if err := s.CreateResetToken(ctx, u.ID, hash2, now.Add(time.Hour), siMail(u.Email)); err != nil {
		t.Fatal(err)
	}
	s.SetNow(func() time.Time { return now.Add(time.Hour + time.Second) })
	if _, err := s.ResetPassword(ctx, hash2, "x", ""); portal.ErrorCode(err) != portal.EGONE {
		t.Errorf("expired token: %v, want EGONE", err)
	}
	s.SetNow(time.Now)
	// A newer link voids the older one.
	_, hash3 := auth.NewToken()
	_, hash4 := auth.NewToken()
	for _, h := range [][]byte{hash3, hash4} {
		if err := s.CreateResetToken(ctx, u.ID, h, now.Add(time.Hour), siMail(u.Email)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ResetPassword(ctx, hash3, "x", ""); portal.ErrorCode(err) != portal.EGONE {
		t.Errorf("superseded token: %v, want EGONE", err)
	}
	if _, err := s.ResetPassword(ctx, hash4, "y", ""); err != nil {
		t.Errorf("newest token: %v", err)
	}
}

func TestStore_UpgradePasswordHash(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)
	if err := s.UpgradePasswordHash(ctx, u.ID, "not the current hash", "new"); err != nil {
		t.Fatal(err)
	}
	if got := siReload(t, s, u.ID); got.PasswordHash != "x" {
		t.Fatal("a stale upgrade replaced the hash")
	}
	if err := s.UpgradePasswordHash(ctx, u.ID, "x", "stronger"); err != nil {
		t.Fatal(err)
	}
	if got := siReload(t, s, u.ID); got.PasswordHash != "stronger" || got.SessionEpoch != u.SessionEpoch {
		t.Fatalf("after upgrade: %q, epoch %d (sessions must survive)", got.PasswordHash, got.SessionEpoch)
	}
}

func TestStore_Terms(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	v, en, ja, err := s.CurrentTerms(ctx)
	if err != nil || v != 1 || en == "" || ja == "" {
		t.Fatalf("CurrentTerms = %d %q %q %v", v, en, ja, err)
	}
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)
	if u.TermsVersion != 0 || u.CurrentTerms != 1 {
		t.Fatalf("new user: terms %d of %d", u.TermsVersion, u.CurrentTerms)
	}
	if err := s.AcceptTerms(ctx, u.ID, 1, store.Audit{ActorID: u.ID, Action: "terms.accept"}); err != nil {
		t.Fatal(err)
	}
	if got := siReload(t, s, u.ID); got.TermsVersion != 1 {
		t.Fatalf("terms version %d", got.TermsVersion)
	}
	if a := siActions(t, s, u.ID); len(a) != 1 || a[0] != "terms.accept" {
		t.Errorf("audit %v", a)
	}
	// A version published in the future is not current yet; one published now is.
	if _, err := s.Pool().Exec(ctx, `INSERT INTO terms_versions (version, published_at, body_en, body_ja) VALUES
		(2, now() - interval '1 minute', 'second', '第2版'), (3, now() + interval '1 day', 'third', '第3版')`); err != nil {
		t.Fatal(err)
	}
	v, en, ja, _ = s.CurrentTerms(ctx)
	if v != 2 || en != "second" || ja != "第2版" {
		t.Fatalf("CurrentTerms = %d %q %q, want version 2", v, en, ja)
	}
	if got := siReload(t, s, u.ID); got.CurrentTerms != 2 ||
		portal.NextSignInStep(got, portal.SignInState{SecondFactorDone: true}, got.CurrentTerms) != portal.StepTerms {
		t.Errorf("a newer version does not ask for acceptance (current %d)", got.CurrentTerms)
	}
}
