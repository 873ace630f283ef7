package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// rgInvite invites email to accountID and returns the user id and the
// welcome token.
func rgInvite(tb testing.TB, s *store.Store, accountID int64, email string, expires time.Time) (int64, string) {
	tb.Helper()
	token, hash := auth.NewToken()
	id, err := s.Invite(context.Background(), store.NewUser{
		AccountID: accountID, Email: email, Name: "招待 花子", Role: portal.RoleCustomer, OTPMethod: portal.OTPEmail, Language: "ja",
	}, hash, expires, store.Mail{To: email, Subject: "invitation", Text: "/welcome/" + token}, store.Audit{Action: "user.invite", IP: "192.0.2.1"})
	if err != nil {
		tb.Fatalf("invite %s: %v", email, err)
	}
	return id, token
}

func TestStore_Invite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	admin := rgUser(t, s, acc.ID, "admin@acme.example", rgAdmin)

	token, hash := auth.NewToken()
	id, err := s.Invite(ctx, store.NewUser{
		AccountID: acc.ID, Email: "new@acme.example", Name: "招待 花子", Role: portal.RoleCustomer,
		IsApprover: true, OTPMethod: portal.OTPApp, Language: "en",
	}, hash, time.Now().Add(portal.WelcomeTTL), store.Mail{To: "new@acme.example", Subject: "invitation", Text: "/welcome/" + token},
		store.Audit{ActorID: admin.ID, Action: "user.invite", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByToken(ctx, portal.TokenWelcome, auth.HashToken(token))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != id || u.Status != portal.StatusInvited || !u.IsApprover || u.OTPMethod != portal.OTPApp || u.Language != "en" ||
		u.AccountID != acc.ID || u.PasswordHash != "" {
		t.Errorf("invited = %+v", u)
	}
	if n := len(rgMails(t, s, "new@acme.example")); n != 1 {
		t.Errorf("mails = %d, want 1", n)
	}
	entries, err := s.AuditLog(ctx, acc.ID, 10)
	if err != nil || len(entries) == 0 || entries[0].Action != "user.invite" || entries[0].ActorID != admin.ID || entries[0].TargetUserID != id {
		t.Errorf("audit = %+v, %v", entries, err)
	}

	_, hash2 := auth.NewToken()
	_, err = s.Invite(ctx, store.NewUser{AccountID: acc.ID, Email: "NEW@acme.example", Name: "Again", Role: portal.RoleCustomer},
		hash2, time.Now().Add(time.Hour), store.Mail{To: "NEW@acme.example", Subject: "x", Text: "x"}, store.Audit{Action: "user.invite"})
	if rgCode(err) != portal.ECONFLICT {
		t.Fatalf("duplicate invite: err = %v, want ECONFLICT", err)
	}
	if n := len(rgMails(t, s, "NEW@acme.example")); n != 0 {
		t.Errorf("a refused invitation wrote %d mails", n)
	}
}

func TestStore_UserByToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")

	t.Run("Unknown", func(t *testing.T) {
		_, err := s.UserByToken(ctx, portal.TokenWelcome, auth.HashToken("nope"))
		if rgCode(err) != portal.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
	t.Run("WrongPurpose", func(t *testing.T) {
		_, token := rgInvite(t, s, acc.ID, "purpose@acme.example", time.Now().Add(time.Hour))
		_, err := s.UserByToken(ctx, portal.TokenReset, auth.HashToken(token))
		if rgCode(err) != portal.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		_, token := rgInvite(t, s, acc.ID, "expired@acme.example", time.Now().Add(-time.Second))
		_, err := s.UserByToken(ctx, portal.TokenWelcome, auth.HashToken(token))
		if rgCode(err) != portal.EGONE || rgMessage(err) != "token.gone" {
			t.Fatalf("err = %v, want EGONE token.gone", err)
		}
	})
	t.Run("Used", func(t *testing.T) {
		_, token := rgInvite(t, s, acc.ID, "used@acme.example", time.Now().Add(time.Hour))
		if _, err := s.CompleteWelcome(ctx, auth.HashToken(token), "hash", 1, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		_, err := s.UserByToken(ctx, portal.TokenWelcome, auth.HashToken(token))
		if rgCode(err) != portal.EGONE {
			t.Fatalf("err = %v, want EGONE", err)
		}
	})
	t.Run("ReplacedByResend", func(t *testing.T) {
		id, old := rgInvite(t, s, acc.ID, "resent@acme.example", time.Now().Add(time.Hour))
		token, hash := auth.NewToken()
		if err := s.ResendInvitation(ctx, id, hash, time.Now().Add(time.Hour), store.Mail{To: "resent@acme.example", Subject: "again", Text: token}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByToken(ctx, portal.TokenWelcome, auth.HashToken(old)); rgCode(err) != portal.EGONE {
			t.Errorf("old link: err = %v, want EGONE", err)
		}
		if u, err := s.UserByToken(ctx, portal.TokenWelcome, hash); err != nil || u.ID != id {
			t.Errorf("new link: %v, %v", u, err)
		}
		if n := len(rgMails(t, s, "resent@acme.example")); n != 2 {
			t.Errorf("mails = %d, want 2", n)
		}
	})
}

func TestStore_CompleteWelcome(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")

	t.Run("ActivatesOnce", func(t *testing.T) {
		id, token := rgInvite(t, s, acc.ID, "welcome@acme.example", time.Now().Add(time.Hour))
		before, err := s.UserByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.CompleteWelcome(ctx, auth.HashToken(token), "$argon2id$stub", 1, "192.0.2.1")
		if err != nil || got != id {
			t.Fatalf("CompleteWelcome = %d, %v", got, err)
		}
		u, err := s.UserByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != portal.StatusActive || u.PasswordHash != "$argon2id$stub" || u.TermsVersion != 1 ||
			u.MustChangePassword || u.SessionEpoch != before.SessionEpoch+1 {
			t.Errorf("after welcome = %+v", u)
		}
		_, err = s.CompleteWelcome(ctx, auth.HashToken(token), "$argon2id$other", 1, "192.0.2.1")
		if rgCode(err) != portal.EGONE {
			t.Fatalf("second use: err = %v, want EGONE", err)
		}
		if u, _ := s.UserByID(ctx, id); u.PasswordHash != "$argon2id$stub" {
			t.Error("second use changed the password")
		}
		if !rgHasAction(rgAllActions(t, s), "user.welcome") {
			t.Error("no user.welcome audit entry")
		}
	})
	t.Run("Expired", func(t *testing.T) {
		_, token := rgInvite(t, s, acc.ID, "late@acme.example", time.Now().Add(-time.Second))
		_, err := s.CompleteWelcome(ctx, auth.HashToken(token), "h", 1, "")
		if rgCode(err) != portal.EGONE {
			t.Fatalf("err = %v, want EGONE", err)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		_, err := s.CompleteWelcome(ctx, auth.HashToken("nope"), "h", 1, "")
		if rgCode(err) != portal.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
	t.Run("ConcurrentUseOneWins", func(t *testing.T) {
		for round := range 5 {
			_, token := rgInvite(t, s, acc.ID, "race"+string(rune('a'+round))+"@acme.example", time.Now().Add(time.Hour))
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = s.CompleteWelcome(ctx, auth.HashToken(token), "h", 1, "")
				})
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case rgCode(err) != portal.EGONE:
					t.Fatalf("unexpected error %v", err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: %d uses succeeded, want 1", round, wins)
			}
		}
	})
}

// rgAllActions returns every audit action, oldest first.
func rgAllActions(tb testing.TB, s *store.Store) []string {
	tb.Helper()
	return rgActions(tb, s, 0)
}
