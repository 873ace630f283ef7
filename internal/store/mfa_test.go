package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

var siSeq atomic.Int64

// siAccount creates a customer organization for the sign-in area's tests.
func siAccount(tb testing.TB, s *store.Store, mfaRequired bool) *portal.Account {
	tb.Helper()
	ctx := context.Background()
	a, err := s.CreateAccount(ctx, fmt.Sprintf("Org %d", siSeq.Add(1)), "")
	if err != nil {
		tb.Fatal(err)
	}
	if !mfaRequired {
		if err := s.SetAccountMFARequired(ctx, a.ID, false, store.Audit{}); err != nil {
			tb.Fatal(err)
		}
	}
	return a
}

// siUser creates an active user; accountID 0 makes an agent.
func siUser(tb testing.TB, s *store.Store, accountID int64, method portal.OTPMethod) *portal.User {
	tb.Helper()
	role := portal.RoleCustomer
	if accountID == 0 {
		role = portal.RoleAgent
	}
	n := siSeq.Add(1)
	u, err := s.CreateUser(context.Background(), store.NewUser{AccountID: accountID, Email: fmt.Sprintf("si%d@example.test", n),
		Name: fmt.Sprintf("User %d", n), Role: role, PasswordHash: "x", OTPMethod: method, Language: "en"})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func siMail(to string) store.Mail {
	return store.Mail{To: to, Subject: "subject", Text: "text"}
}

func siReload(tb testing.TB, s *store.Store, id int64) *portal.User {
	tb.Helper()
	u, err := s.UserByID(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// siOutboxCount counts the outbox rows to an address.
func siOutboxCount(tb testing.TB, s *store.Store, to string) int {
	tb.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE to_address = $1`, to).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// siActions lists the audit actions recorded about a user, oldest first.
func siActions(tb testing.TB, s *store.Store, userID int64) []string {
	tb.Helper()
	rows, err := s.Pool().Query(context.Background(), `SELECT action FROM audit_log WHERE target_user_id = $1 ORDER BY id`, userID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			tb.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func TestStore_EmailCode(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)

	t.Run("SingleUse", func(t *testing.T) {
		if err := s.CreateEmailCode(ctx, u.ID, auth.HashCode("123456"), now.Add(10*time.Minute), siMail(u.Email)); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.UseEmailCode(ctx, u.ID, auth.HashCode("654321")); err != nil || ok {
			t.Fatalf("wrong code accepted: %v %v", ok, err)
		}
		if ok, err := s.UseEmailCode(ctx, u.ID, auth.HashCode("123456")); err != nil || !ok {
			t.Fatalf("right code refused: %v %v", ok, err)
		}
		if ok, _ := s.UseEmailCode(ctx, u.ID, auth.HashCode("123456")); ok {
			t.Fatal("a code was accepted twice")
		}
	})
	t.Run("WrittenWithItsMail", func(t *testing.T) {
		if n := siOutboxCount(t, s, u.Email); n != 1 {
			t.Fatalf("outbox has %d mails for the code, want 1", n)
		}
	})
	t.Run("Expires", func(t *testing.T) {
		if err := s.CreateEmailCode(ctx, u.ID, auth.HashCode("111111"), now.Add(10*time.Minute), siMail(u.Email)); err != nil {
			t.Fatal(err)
		}
		later := now.Add(10 * time.Minute)
		s.SetNow(func() time.Time { return later })
		defer s.SetNow(func() time.Time { return now })
		if ok, _ := s.UseEmailCode(ctx, u.ID, auth.HashCode("111111")); ok {
			t.Fatal("an expired code was accepted")
		}
	})
	t.Run("ResendVoidsPrevious", func(t *testing.T) {
		for _, c := range []string{"222222", "333333"} {
			if err := s.CreateEmailCode(ctx, u.ID, auth.HashCode(c), now.Add(10*time.Minute), siMail(u.Email)); err != nil {
				t.Fatal(err)
			}
		}
		if ok, _ := s.UseEmailCode(ctx, u.ID, auth.HashCode("222222")); ok {
			t.Fatal("the code sent before a resend still works")
		}
		if ok, _ := s.UseEmailCode(ctx, u.ID, auth.HashCode("333333")); !ok {
			t.Fatal("the resent code does not work")
		}
	})
	t.Run("OtherUsersCode", func(t *testing.T) {
		other := siUser(t, s, u.AccountID, portal.OTPEmail)
		if err := s.CreateEmailCode(ctx, other.ID, auth.HashCode("444444"), now.Add(10*time.Minute), siMail(other.Email)); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.UseEmailCode(ctx, u.ID, auth.HashCode("444444")); ok {
			t.Fatal("another user's code was accepted")
		}
	})
	t.Run("ConcurrentUseOnce", func(t *testing.T) {
		if err := s.CreateEmailCode(ctx, u.ID, auth.HashCode("555555"), now.Add(10*time.Minute), siMail(u.Email)); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				ok, err := s.UseEmailCode(ctx, u.ID, auth.HashCode("555555"))
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent uses of one code succeeded, want exactly 1", wins.Load())
		}
	})
}

func TestStore_UseTOTPStep(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPApp)
	if ok, err := s.UseTOTPStep(ctx, u.ID, 1000); err != nil || !ok {
		t.Fatalf("first step refused: %v %v", ok, err)
	}
	t.Run("Replay", func(t *testing.T) {
		for _, step := range []int64{1000, 999} {
			if ok, _ := s.UseTOTPStep(ctx, u.ID, step); ok {
				t.Errorf("step %d accepted after 1000", step)
			}
		}
		if got := siReload(t, s, u.ID).TOTPLastStep; got != 1000 {
			t.Errorf("last step = %d, want 1000", got)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				ok, err := s.UseTOTPStep(ctx, u.ID, 1001)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent uses of one step succeeded, want exactly 1", wins.Load())
		}
	})
}

func siEnroll(tb testing.TB, s *store.Store, u *portal.User, method portal.OTPMethod) []string {
	tb.Helper()
	codes := auth.NewRecoveryCodes(portal.RecoveryCodeNum)
	var hashes []string
	for _, c := range codes {
		hashes = append(hashes, auth.HashRecoveryCode(c))
	}
	e := store.Enrollment{Method: method, RecoveryHash: hashes, Audit: store.Audit{ActorID: u.ID, Action: "mfa.enroll"}}
	if method == portal.OTPApp {
		e.TOTPSecret, e.TOTPStep = "JBSWY3DPEHPK3PXP", 500
	}
	if err := s.EnrollMFA(context.Background(), u.ID, e); err != nil {
		tb.Fatal(err)
	}
	return codes
}

func TestStore_EnrollMFA(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)
	if _, _, err := s.RecordOTPFailure(ctx, u.ID, auth.OTPLockout); err != nil {
		t.Fatal(err)
	}
	codes := auth.NewRecoveryCodes(portal.RecoveryCodeNum)
	var hashes []string
	for _, c := range codes {
		hashes = append(hashes, auth.HashRecoveryCode(c))
	}
	err := s.EnrollMFA(ctx, u.ID, store.Enrollment{Method: portal.OTPApp, TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPStep: 777,
		RecoveryHash: hashes, Audit: store.Audit{ActorID: u.ID, Action: "mfa.enroll"}, Mails: []store.Mail{siMail(u.Email)}})
	if err != nil {
		t.Fatal(err)
	}
	got := siReload(t, s, u.ID)
	if got.OTPMethod != portal.OTPApp || got.TOTPSecret != "JBSWY3DPEHPK3PXP" || got.TOTPLastStep != 777 ||
		got.MFAEnrolledAt == nil || !got.MFAEnrolledAt.Equal(now) || got.OTPFailures != 0 || !got.MFAEnrolled() {
		t.Fatalf("after enrolling: %+v", got)
	}
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 10 {
		t.Errorf("recovery codes left = %d, want 10", n)
	}
	if n := siOutboxCount(t, s, u.Email); n != 1 {
		t.Errorf("enrollment notice mails = %d, want 1", n)
	}
	// The confirming code's step is never accepted again.
	if ok, _ := s.UseTOTPStep(ctx, u.ID, 777); ok {
		t.Error("the step that confirmed pairing was accepted again")
	}
	// Enrolling again replaces the recovery codes.
	siEnroll(t, s, u, portal.OTPEmail)
	if ok, _ := s.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(codes[0]), "192.0.2.1"); ok {
		t.Error("a recovery code from before re-enrolling still works")
	}
	if got := siActions(t, s, u.ID); len(got) != 2 || got[0] != "mfa.enroll" {
		t.Errorf("audit actions %v", got)
	}
}

func TestStore_UseRecoveryCode(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPApp)
	codes := siEnroll(t, s, u, portal.OTPApp)
	// Typed in upper case, full width, without hyphens: the hash is the same.
	typed := siWide(codes[2])
	if ok, err := s.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(typed), "192.0.2.1"); err != nil || !ok {
		t.Fatalf("recovery code refused: %v %v", ok, err)
	}
	if ok, _ := s.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(codes[2]), "192.0.2.1"); ok {
		t.Fatal("a recovery code was accepted twice")
	}
	if ok, _ := s.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode("aaaa-bbbb-cccc"), "192.0.2.1"); ok {
		t.Fatal("an unknown recovery code was accepted")
	}
	other := siUser(t, s, u.AccountID, portal.OTPApp)
	if ok, _ := s.UseRecoveryCode(ctx, other.ID, auth.HashRecoveryCode(codes[3]), "192.0.2.1"); ok {
		t.Fatal("another user's recovery code was accepted")
	}
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 9 {
		t.Errorf("left = %d, want 9", n)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if ok, err := s.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(codes[5]), "192.0.2.1"); err == nil && ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent uses of one recovery code succeeded", wins.Load())
	}
	if got := siActions(t, s, u.ID); len(got) != 3 || got[1] != "mfa.recovery_code_used" {
		t.Errorf("audit actions %v", got)
	}
}

// siWide writes code in full-width upper case with full-width hyphens.
func siWide(code string) string {
	var out []rune
	for _, r := range code {
		switch {
		case r >= 'a' && r <= 'z':
			out = append(out, r-'a'+'Ａ')
		case r >= '0' && r <= '9':
			out = append(out, r-'0'+'０')
		case r == '-':
			out = append(out, '－')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

func TestStore_DisableMFA(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	t.Run("RequiredByPolicy", func(t *testing.T) {
		u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPApp)
		siEnroll(t, s, u, portal.OTPApp)
		err := s.DisableMFA(ctx, u.ID, siMail(u.Email), store.Audit{Action: "mfa.disable"})
		if portal.ErrorCode(err) != portal.EFORBIDDEN || portal.ErrorMessage(err) != "mfa.required_by_policy" {
			t.Fatalf("err = %v, want EFORBIDDEN mfa.required_by_policy", err)
		}
		if !siReload(t, s, u.ID).MFAEnrolled() || siOutboxCount(t, s, u.Email) != 0 {
			t.Fatal("a refused disable changed something")
		}
	})
	t.Run("Staff", func(t *testing.T) {
		u := siUser(t, s, 0, portal.OTPApp)
		siEnroll(t, s, u, portal.OTPApp)
		if err := s.DisableMFA(ctx, u.ID, siMail(u.Email), store.Audit{}); portal.ErrorCode(err) != portal.EFORBIDDEN {
			t.Fatalf("staff disable err = %v, want EFORBIDDEN", err)
		}
	})
	t.Run("Allowed", func(t *testing.T) {
		u := siUser(t, s, siAccount(t, s, false).ID, portal.OTPApp)
		siEnroll(t, s, u, portal.OTPApp)
		if err := s.DisableMFA(ctx, u.ID, siMail(u.Email), store.Audit{ActorID: u.ID, Action: "mfa.disable"}); err != nil {
			t.Fatal(err)
		}
		got := siReload(t, s, u.ID)
		if got.OTPMethod != portal.OTPNone || got.MFAEnrolled() || got.TOTPSecret != "" {
			t.Fatalf("after disabling: %+v", got)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
			t.Errorf("recovery codes left after disabling: %d", n)
		}
		if siOutboxCount(t, s, u.Email) != 1 {
			t.Error("no notice mail")
		}
		if portal.NextSignInStep(got, portal.SignInState{}, got.CurrentTerms) == portal.StepSecondFactor {
			t.Error("a code is still asked for")
		}
	})
	t.Run("UnknownUser", func(t *testing.T) {
		if err := s.DisableMFA(ctx, 987654, siMail("x@example.test"), store.Audit{}); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
}

func TestStore_OTPFailures(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPApp)
	for i := 1; i <= 4; i++ {
		n, until, err := s.RecordOTPFailure(ctx, u.ID, auth.OTPLockout)
		if err != nil || n != i || until != nil {
			t.Fatalf("failure %d: n=%d until=%v err=%v", i, n, until, err)
		}
	}
	n, until, err := s.RecordOTPFailure(ctx, u.ID, auth.OTPLockout)
	if err != nil || n != 5 || until == nil || !until.Equal(now.Add(30*time.Second)) {
		t.Fatalf("5th failure: n=%d until=%v err=%v, want a 30 s lock", n, until, err)
	}
	got := siReload(t, s, u.ID)
	if locked, end := got.OTPLocked(now); !locked || !end.Equal(*until) {
		t.Errorf("OTPLocked = %v %v", locked, end)
	}
	if locked, _ := got.OTPLocked(now.Add(31 * time.Second)); locked {
		t.Error("still locked after the delay")
	}
	if err := s.ClearOTPFailures(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	got = siReload(t, s, u.ID)
	if got.OTPFailures != 0 || got.OTPLockedUntil != nil {
		t.Fatalf("after clearing: failures %d, locked until %v", got.OTPFailures, got.OTPLockedUntil)
	}
	// At the maximum the factor stays locked whatever the clock says.
	if _, err := s.Pool().Exec(ctx, `UPDATE users SET otp_failures = $2 WHERE id = $1`, u.ID, portal.MaxOTPFailures-1); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.RecordOTPFailure(ctx, u.ID, auth.OTPLockout); n != portal.MaxOTPFailures {
		t.Fatalf("failures = %d", n)
	}
	if locked, end := siReload(t, s, u.ID).OTPLocked(now.Add(48 * time.Hour)); !locked || !end.IsZero() {
		t.Errorf("after %d failures: locked %v until %v, want locked until reset", portal.MaxOTPFailures, locked, end)
	}
	if err := s.ResetMFA(ctx, u.ID, siMail(u.Email), store.Audit{Action: "mfa.reset"}); err != nil {
		t.Fatal(err)
	}
	if locked, _ := siReload(t, s, u.ID).OTPLocked(now); locked {
		t.Error("a reset did not unlock the factor")
	}
}
