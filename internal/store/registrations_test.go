package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// Fixtures of the registration area. Their names start with rg so that they
// cannot collide with other areas' helpers in package store_test.

func rgAccount(tb testing.TB, s *store.Store, name string) *portal.Account {
	tb.Helper()
	a, err := s.CreateAccount(context.Background(), name, "")
	if err != nil {
		tb.Fatalf("create account %s: %v", name, err)
	}
	return a
}

// rgUser creates an active contact of accountID (staff when 0); edit may
// change the NewUser before it is stored.
func rgUser(tb testing.TB, s *store.Store, accountID int64, email string, edit ...func(*store.NewUser)) *portal.User {
	tb.Helper()
	nu := store.NewUser{
		AccountID: accountID, Email: email, Name: strings.Split(email, "@")[0], Role: portal.RoleCustomer,
		PasswordHash: "x", OTPMethod: portal.OTPEmail, Language: "ja",
	}
	if accountID == 0 {
		nu.Role = portal.RoleAgent
	}
	for _, f := range edit {
		f(&nu)
	}
	u, err := s.CreateUser(context.Background(), nu)
	if err != nil {
		tb.Fatalf("create user %s: %v", email, err)
	}
	return u
}

func rgApprover(nu *store.NewUser) { nu.IsApprover = true }
func rgAdmin(nu *store.NewUser)    { nu.IsAccountAdmin = true }

// rgMails returns the outbox messages to address, oldest first.
func rgMails(tb testing.TB, s *store.Store, to string) []store.OutboxMessage {
	tb.Helper()
	all, err := s.RecentOutbox(context.Background(), 1000)
	if err != nil {
		tb.Fatal(err)
	}
	var out []store.OutboxMessage
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].To == to {
			out = append(out, all[i])
		}
	}
	return out
}

// rgActions returns the audit actions recorded for accountID, oldest first.
func rgActions(tb testing.TB, s *store.Store, accountID int64) []string {
	tb.Helper()
	entries, err := s.AuditLog(context.Background(), accountID, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].Action)
	}
	return out
}

func rgHasAction(actions []string, action string) bool {
	for _, a := range actions {
		if a == action {
			return true
		}
	}
	return false
}

func rgCode(err error) string { return portal.ErrorCode(err) }

func rgMessage(err error) string { return portal.ErrorMessage(err) }

// rgRegister files a registration request for email with a mail to each
// address in approvers and returns its token.
func rgRegister(tb testing.TB, s *store.Store, accountID int64, email string, expires time.Time, approvers ...string) string {
	tb.Helper()
	token, hash := auth.NewToken()
	var mails []store.Mail
	for _, a := range approvers {
		mails = append(mails, store.Mail{To: a, Subject: "request " + email, Text: "/approvals/" + token})
	}
	err := s.CreateRegistration(context.Background(), rgNewRegistration(accountID, email, hash, expires), mails)
	if err != nil {
		tb.Fatalf("create registration %s: %v", email, err)
	}
	return token
}

func rgNewRegistration(accountID int64, email string, hash []byte, expires time.Time) store.NewRegistration {
	return store.NewRegistration{
		AccountID: accountID, TokenHash: hash, Email: email, Name: "山田 太郎", TimeZone: "Asia/Tokyo",
		CountryCode: "JP", Phone: "03-1234-5678", Mobile: "090-1234-5678", ContactMethod: "email",
		OTPMethod: portal.OTPApp, Language: "en", ExpiresAt: expires,
	}
}

func rgDecision(reg *portal.Registration, decider *portal.User, approve bool) store.Decision {
	_, welcome := auth.NewToken()
	return store.Decision{
		RegistrationID: reg.ID, Approve: approve, Decider: decider, IP: "192.0.2.1",
		Reason:      map[bool]string{true: "", false: "Not one of ours"}[approve],
		WelcomeHash: welcome, WelcomeExpires: time.Now().Add(portal.WelcomeTTL),
		Mail: func(r *portal.Registration) store.Mail {
			return store.Mail{To: r.Email, Subject: fmt.Sprintf("decided %s", r.State), Text: r.Reason}
		},
	}
}

func TestStore_CreateRegistration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	a1 := rgUser(t, s, acc.ID, "a1@acme.example", rgApprover)
	a2 := rgUser(t, s, acc.ID, "a2@acme.example", rgApprover)
	later := time.Now().Add(portal.ApprovalTTL)

	t.Run("StoresRequestAndMails", func(t *testing.T) {
		token := rgRegister(t, s, acc.ID, "new@acme.example", later, a1.Email, a2.Email)
		reg, err := s.RegistrationByToken(ctx, auth.HashToken(token))
		if err != nil {
			t.Fatal(err)
		}
		if reg.State != portal.RegistrationRequested || reg.Email != "new@acme.example" || reg.AccountName != "Acme" ||
			reg.Name != "山田 太郎" || reg.CountryCode != "JP" || reg.Phone != "03-1234-5678" || reg.Mobile != "090-1234-5678" ||
			reg.ContactMethod != "email" || reg.OTPMethod != portal.OTPApp || reg.Language != "en" || reg.TimeZone != "Asia/Tokyo" {
			t.Errorf("registration = %+v", reg)
		}
		if n := len(rgMails(t, s, a1.Email)); n != 1 {
			t.Errorf("mails to a1 = %d, want 1", n)
		}
		if n := len(rgMails(t, s, a2.Email)); n != 1 {
			t.Errorf("mails to a2 = %d, want 1", n)
		}
	})
	t.Run("RejectsRegisteredAddress", func(t *testing.T) {
		_, hash := auth.NewToken()
		err := s.CreateRegistration(ctx, rgNewRegistration(acc.ID, "A1@acme.example", hash, later),
			[]store.Mail{{To: a2.Email, Subject: "x", Text: "x"}})
		if rgCode(err) != portal.ECONFLICT || rgMessage(err) != "register.email_taken" {
			t.Fatalf("err = %v, want ECONFLICT register.email_taken", err)
		}
		if n := len(rgMails(t, s, a2.Email)); n != 1 {
			t.Errorf("a refused request wrote mail: %d mails", n)
		}
	})
	t.Run("RejectsPendingAddress", func(t *testing.T) {
		rgRegister(t, s, acc.ID, "twice@acme.example", later)
		_, hash := auth.NewToken()
		err := s.CreateRegistration(ctx, rgNewRegistration(acc.ID, "Twice@Acme.example", hash, later), nil)
		if rgCode(err) != portal.ECONFLICT || rgMessage(err) != "register.email_pending" {
			t.Fatalf("err = %v, want ECONFLICT register.email_pending", err)
		}
	})
	t.Run("ExpiredRequestDoesNotBlock", func(t *testing.T) {
		rgRegister(t, s, acc.ID, "slow@acme.example", time.Now().Add(-time.Minute))
		registered, pending, err := s.EmailInUse(ctx, "slow@acme.example")
		if err != nil || registered || pending {
			t.Fatalf("EmailInUse = %v, %v, %v; want false, false", registered, pending, err)
		}
		rgRegister(t, s, acc.ID, "slow@acme.example", later)
		registered, pending, err = s.EmailInUse(ctx, "SLOW@acme.example")
		if err != nil || registered || !pending {
			t.Fatalf("EmailInUse = %v, %v, %v; want false, true", registered, pending, err)
		}
	})
}

func TestStore_RegistrationByToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	token := rgRegister(t, s, acc.ID, "new@acme.example", time.Now().Add(time.Hour))
	if _, err := s.RegistrationByToken(ctx, auth.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegistrationByToken(ctx, auth.HashToken(token+"x")); rgCode(err) != portal.ENOTFOUND {
		t.Fatalf("unknown token: err = %v, want ENOTFOUND", err)
	}
}

func TestStore_DecideRegistration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	other := rgAccount(t, s, "Other")
	approver := rgUser(t, s, acc.ID, "approver@acme.example", rgApprover)
	admin := rgUser(t, s, acc.ID, "admin@acme.example", rgAdmin)
	plain := rgUser(t, s, acc.ID, "plain@acme.example")
	stranger := rgUser(t, s, other.ID, "approver@other.example", rgApprover)
	later := time.Now().Add(portal.ApprovalTTL)

	tokens := map[int64]string{}
	register := func(t *testing.T, email string, expires time.Time) *portal.Registration {
		t.Helper()
		token := rgRegister(t, s, acc.ID, email, expires)
		reg, err := s.RegistrationByToken(ctx, auth.HashToken(token))
		if err != nil {
			t.Fatal(err)
		}
		tokens[reg.ID] = token
		return reg
	}
	reread := func(t *testing.T, reg *portal.Registration) *portal.Registration {
		t.Helper()
		got, err := s.RegistrationByToken(ctx, auth.HashToken(tokens[reg.ID]))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("ApproveCreatesInvitedContact", func(t *testing.T) {
		reg := register(t, "approved@acme.example", later)
		d := rgDecision(reg, approver, true)
		got, err := s.DecideRegistration(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != portal.RegistrationApproved || got.DecidedByName != approver.Name || got.DecidedAt == nil {
			t.Errorf("decided = %+v", got)
		}
		u, err := s.UserByToken(ctx, portal.TokenWelcome, d.WelcomeHash)
		if err != nil {
			t.Fatalf("welcome token: %v", err)
		}
		if u.Email != reg.Email || u.Status != portal.StatusInvited || u.AccountID != acc.ID || u.Role != portal.RoleCustomer ||
			u.OTPMethod != portal.OTPApp || u.Language != "en" || u.Phone != reg.Phone || u.CountryCode != "JP" ||
			u.ContactMethod != "email" || u.IsApprover || u.IsAccountAdmin || u.PasswordHash != "" {
			t.Errorf("contact = %+v", u)
		}
		mails := rgMails(t, s, reg.Email)
		if len(mails) != 1 || mails[0].Subject != "decided approved" {
			t.Errorf("mails = %+v, want one approval mail", mails)
		}
		if again := reread(t, reg); again.State != portal.RegistrationApproved || again.DecidedByName != approver.Name {
			t.Errorf("stored decision = %+v", again)
		}
		if !rgHasAction(rgActions(t, s, acc.ID), "registration.approve") {
			t.Error("no registration.approve audit entry")
		}
		// A second decision finds it decided.
		_, err = s.DecideRegistration(ctx, rgDecision(reg, admin, false))
		if rgCode(err) != portal.EGONE || rgMessage(err) != "approval.already_decided" {
			t.Fatalf("second decision: err = %v, want EGONE approval.already_decided", err)
		}
		if n := len(rgMails(t, s, reg.Email)); n != 1 {
			t.Errorf("mails after second decision = %d, want 1", n)
		}
	})
	t.Run("RejectMailsReason", func(t *testing.T) {
		reg := register(t, "rejected@acme.example", later)
		got, err := s.DecideRegistration(ctx, rgDecision(reg, admin, false))
		if err != nil {
			t.Fatal(err)
		}
		if got.State != portal.RegistrationRejected || got.Reason != "Not one of ours" {
			t.Errorf("decided = %+v", got)
		}
		if _, err := s.UserByEmail(ctx, reg.Email); rgCode(err) != portal.ENOTFOUND {
			t.Errorf("rejected registrant became a user: %v", err)
		}
		mails := rgMails(t, s, reg.Email)
		if len(mails) != 1 || mails[0].Text != "Not one of ours" {
			t.Errorf("mails = %+v", mails)
		}
		if !rgHasAction(rgActions(t, s, acc.ID), "registration.reject") {
			t.Error("no registration.reject audit entry")
		}
		// The address may ask again once rejected.
		register(t, "rejected@acme.example", later)
	})
	t.Run("ExpiredIsGone", func(t *testing.T) {
		reg := register(t, "late@acme.example", time.Now().Add(-time.Second))
		_, err := s.DecideRegistration(ctx, rgDecision(reg, approver, true))
		if rgCode(err) != portal.EGONE || rgMessage(err) != "approval.expired" {
			t.Fatalf("err = %v, want EGONE approval.expired", err)
		}
		if n := len(rgMails(t, s, reg.Email)); n != 0 {
			t.Errorf("mails = %d, want 0", n)
		}
	})
	t.Run("OtherOrganizationNotFound", func(t *testing.T) {
		reg := register(t, "foreign@acme.example", later)
		for _, u := range []*portal.User{stranger, plain} {
			_, err := s.DecideRegistration(ctx, rgDecision(reg, u, true))
			if rgCode(err) != portal.ENOTFOUND {
				t.Errorf("decider %s: err = %v, want ENOTFOUND", u.Email, err)
			}
		}
		if got := reread(t, reg); got.State != portal.RegistrationRequested {
			t.Errorf("state = %s, want requested", got.State)
		}
	})
	t.Run("AddressTakenMeanwhile", func(t *testing.T) {
		reg := register(t, "meanwhile@acme.example", later)
		rgUser(t, s, acc.ID, "meanwhile@acme.example")
		_, err := s.DecideRegistration(ctx, rgDecision(reg, approver, true))
		if rgCode(err) != portal.ECONFLICT || rgMessage(err) != "register.email_taken" {
			t.Fatalf("err = %v, want ECONFLICT register.email_taken", err)
		}
	})
}

func TestStore_DecideRegistrationConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	first := rgUser(t, s, acc.ID, "first@acme.example", rgApprover)
	second := rgUser(t, s, acc.ID, "second@acme.example", rgApprover)

	for round := range 5 {
		email := fmt.Sprintf("race%d@acme.example", round)
		reg, err := s.RegistrationByToken(ctx, auth.HashToken(rgRegister(t, s, acc.ID, email, time.Now().Add(time.Hour))))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, d := range []store.Decision{rgDecision(reg, first, true), rgDecision(reg, second, round%2 == 0)} {
			wg.Go(func() {
				_, errs[i] = s.DecideRegistration(ctx, d)
			})
		}
		wg.Wait()
		wins, gone := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case rgCode(err) == portal.EGONE:
				gone++
			default:
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if wins != 1 || gone != 1 {
			t.Fatalf("round %d: %d wins and %d EGONE, want 1 and 1", round, wins, gone)
		}
		if n := len(rgMails(t, s, email)); n != 1 {
			t.Fatalf("round %d: %d mails to the registrant, want exactly 1", round, n)
		}
	}
}

func TestStore_Registrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	other := rgAccount(t, s, "Other")
	approver := rgUser(t, s, acc.ID, "approver@acme.example", rgApprover)
	later := time.Now().Add(time.Hour)

	decided, err := s.RegistrationByToken(ctx, auth.HashToken(rgRegister(t, s, acc.ID, "old@acme.example", later)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideRegistration(ctx, rgDecision(decided, approver, false)); err != nil {
		t.Fatal(err)
	}
	rgRegister(t, s, acc.ID, "p1@acme.example", later)
	rgRegister(t, s, acc.ID, "p2@acme.example", later)
	rgRegister(t, s, other.ID, "x@other.example", later)

	regs, err := s.Registrations(ctx, acc.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range regs {
		got = append(got, r.Email+":"+string(r.State))
	}
	want := "p2@acme.example:requested p1@acme.example:requested old@acme.example:rejected"
	if strings.Join(got, " ") != want {
		t.Errorf("registrations = %v, want %s", got, want)
	}
	if regs[2].DecidedByName != approver.Name || regs[2].DecidedAt == nil {
		t.Errorf("decided request = %+v", regs[2])
	}
	if regs, err := s.Registrations(ctx, acc.ID, 1); err != nil || len(regs) != 1 {
		t.Errorf("limit 1: %d, %v", len(regs), err)
	}
}

func TestStore_RegistrationByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	other := rgAccount(t, s, "Other")
	reg, err := s.RegistrationByToken(ctx, auth.HashToken(rgRegister(t, s, acc.ID, "new@acme.example", time.Now().Add(time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.RegistrationByID(ctx, acc.ID, reg.ID)
	if err != nil || got.Email != "new@acme.example" || got.AccountName != "Acme" {
		t.Fatalf("RegistrationByID = %+v, %v", got, err)
	}
	if _, err := s.RegistrationByID(ctx, other.ID, reg.ID); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("other account: err = %v, want ENOTFOUND", err)
	}
	if _, err := s.RegistrationByID(ctx, acc.ID, reg.ID+1000); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown id: err = %v, want ENOTFOUND", err)
	}
}
