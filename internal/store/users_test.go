package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestStore_SetContactRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	other := rgAccount(t, s, "Other")
	admin := rgUser(t, s, acc.ID, "admin@acme.example", rgAdmin)
	only := rgUser(t, s, acc.ID, "only@acme.example", rgApprover)
	plain := rgUser(t, s, acc.ID, "plain@acme.example")
	audit := store.Audit{ActorID: admin.ID, Action: "contacts.roles", IP: "192.0.2.1"}

	t.Run("LastApproverStays", func(t *testing.T) {
		err := s.SetContactRoles(ctx, acc.ID, only.ID, false, false, audit)
		if rgCode(err) != portal.EINVALID || rgMessage(err) != "contacts.last_approver" {
			t.Fatalf("err = %v, want EINVALID contacts.last_approver", err)
		}
		if u, _ := s.UserByID(ctx, only.ID); !u.IsApprover {
			t.Error("the refused change was kept")
		}
	})
	t.Run("OtherRolesChangeFreely", func(t *testing.T) {
		// Changing the administrator flag of a non-approver never trips the
		// approver rule, even while the rule would refuse a removal.
		if err := s.SetContactRoles(ctx, acc.ID, plain.ID, false, true, audit); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.UserByID(ctx, plain.ID); !u.IsAccountAdmin || u.IsApprover {
			t.Errorf("plain = %+v", u)
		}
	})
	t.Run("HandOver", func(t *testing.T) {
		if err := s.SetContactRoles(ctx, acc.ID, plain.ID, true, true, audit); err != nil {
			t.Fatal(err)
		}
		if err := s.SetContactRoles(ctx, acc.ID, only.ID, false, false, audit); err != nil {
			t.Fatalf("removing one of two approvers: %v", err)
		}
		approvers, err := s.Approvers(ctx, acc.ID)
		if err != nil || len(approvers) != 1 || approvers[0].ID != plain.ID {
			t.Errorf("approvers = %v, %v", approvers, err)
		}
		if n := strings.Count(strings.Join(rgActions(t, s, acc.ID), " "), "contacts.roles"); n != 3 {
			t.Errorf("%d contacts.roles audit entries, want 3", n)
		}
	})
	t.Run("OtherAccountNotFound", func(t *testing.T) {
		err := s.SetContactRoles(ctx, other.ID, plain.ID, false, false, audit)
		if rgCode(err) != portal.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
		if u, _ := s.UserByID(ctx, plain.ID); !u.IsApprover {
			t.Error("a contact of another account was changed")
		}
	})
	t.Run("ConcurrentRemovalsKeepOne", func(t *testing.T) {
		a := rgUser(t, s, other.ID, "a@other.example", rgApprover)
		b := rgUser(t, s, other.ID, "b@other.example", rgApprover)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []*portal.User{a, b} {
			wg.Go(func() { errs[i] = s.SetContactRoles(ctx, other.ID, u.ID, false, false, audit) })
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("errs = %v, want exactly one refusal", errs)
		}
		if approvers, _ := s.Approvers(ctx, other.ID); len(approvers) != 1 {
			t.Errorf("%d approvers left, want 1", len(approvers))
		}
	})
}

func TestStore_SetContactStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	other := rgAccount(t, s, "Other")
	admin := rgUser(t, s, acc.ID, "admin@acme.example", rgAdmin)
	approver := rgUser(t, s, acc.ID, "approver@acme.example", rgApprover)
	u := rgUser(t, s, acc.ID, "user@acme.example")
	audit := func(action string) store.Audit {
		return store.Audit{ActorID: admin.ID, Action: action, IP: "192.0.2.1"}
	}

	if err := s.SetContactStatus(ctx, acc.ID, u.ID, portal.StatusDisabled, audit("contacts.disable")); err != nil {
		t.Fatal(err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if got.Status != portal.StatusDisabled || got.SessionEpoch != u.SessionEpoch+1 {
		t.Errorf("after disable: %s epoch %d", got.Status, got.SessionEpoch)
	}
	if err := s.SetContactStatus(ctx, acc.ID, u.ID, portal.StatusActive, audit("contacts.enable")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Status != portal.StatusActive {
		t.Errorf("after enable: %s", got.Status)
	}
	actions := rgActions(t, s, acc.ID)
	if !rgHasAction(actions, "contacts.disable") || !rgHasAction(actions, "contacts.enable") {
		t.Errorf("audit = %v", actions)
	}

	err := s.SetContactStatus(ctx, acc.ID, approver.ID, portal.StatusDisabled, audit("contacts.disable"))
	if rgCode(err) != portal.EINVALID || rgMessage(err) != "contacts.last_approver" {
		t.Errorf("last approver: err = %v, want EINVALID contacts.last_approver", err)
	}
	if got, _ := s.UserByID(ctx, approver.ID); got.Status != portal.StatusActive {
		t.Error("the last approver was disabled")
	}
	if err := s.SetContactStatus(ctx, other.ID, u.ID, portal.StatusDisabled, audit("contacts.disable")); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("other account: err = %v, want ENOTFOUND", err)
	}
	id, _ := rgInvite(t, s, acc.ID, "invited@acme.example", time.Now().Add(time.Hour))
	err = s.SetContactStatus(ctx, acc.ID, id, portal.StatusDisabled, audit("contacts.disable"))
	if rgCode(err) != portal.EINVALID || rgMessage(err) != "contacts.invited" {
		t.Errorf("invited: err = %v, want EINVALID contacts.invited", err)
	}
}

func TestStore_ResendContactInvitation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	other := rgAccount(t, s, "Other")
	active := rgUser(t, s, acc.ID, "active@acme.example")
	id, old := rgInvite(t, s, acc.ID, "invited@acme.example", time.Now().Add(time.Hour))
	mail := store.Mail{To: "invited@acme.example", Subject: "again", Text: "again"}

	token, hash := auth.NewToken()
	if err := s.ResendContactInvitation(ctx, acc.ID, id, hash, time.Now().Add(time.Hour), mail, store.Audit{Action: "contacts.resend"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, portal.TokenWelcome, auth.HashToken(old)); rgCode(err) != portal.EGONE {
		t.Errorf("old link: err = %v, want EGONE", err)
	}
	if u, err := s.UserByToken(ctx, portal.TokenWelcome, auth.HashToken(token)); err != nil || u.ID != id {
		t.Errorf("new link: %v, %v", u, err)
	}
	if n := len(rgMails(t, s, "invited@acme.example")); n != 2 {
		t.Errorf("mails = %d, want 2", n)
	}
	if !rgHasAction(rgActions(t, s, acc.ID), "contacts.resend") {
		t.Error("no contacts.resend audit entry")
	}
	_, hash = auth.NewToken()
	if err := s.ResendContactInvitation(ctx, other.ID, id, hash, time.Now().Add(time.Hour), mail, store.Audit{}); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("other account: err = %v, want ENOTFOUND", err)
	}
	err := s.ResendContactInvitation(ctx, acc.ID, active.ID, hash, time.Now().Add(time.Hour), mail, store.Audit{})
	if rgCode(err) != portal.EINVALID || rgMessage(err) != "contacts.not_invited" {
		t.Errorf("active contact: err = %v, want EINVALID contacts.not_invited", err)
	}
}

func TestStore_ResetMFA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	admin := rgUser(t, s, acc.ID, "admin@acme.example", rgAdmin)
	u := rgUser(t, s, acc.ID, "user@acme.example", func(nu *store.NewUser) { nu.OTPMethod = portal.OTPApp })
	err := s.EnrollMFA(ctx, u.ID, store.Enrollment{Method: portal.OTPApp, TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPStep: 5,
		RecoveryHash: []string{"r1", "r2"}, Audit: store.Audit{Action: "mfa.enroll"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RecordOTPFailure(ctx, u.ID, func(int) time.Duration { return time.Hour }); err != nil {
		t.Fatal(err)
	}
	enrolled, _ := s.UserByID(ctx, u.ID)
	if !enrolled.MFAEnrolled() {
		t.Fatal("not enrolled")
	}

	err = s.ResetMFA(ctx, u.ID, store.Mail{To: u.Email, Subject: "reset", Text: "pair again"},
		store.Audit{ActorID: admin.ID, AccountID: acc.ID, Action: "mfa.reset", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if got.MFAEnrolled() || got.TOTPSecret != "" || got.OTPMethod != portal.OTPApp || got.OTPFailures != 0 ||
		got.OTPLockedUntil != nil || got.SessionEpoch != enrolled.SessionEpoch+1 || !got.NeedsPairing() {
		t.Errorf("after reset = %+v", got)
	}
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Errorf("%d recovery codes left, want 0", n)
	}
	if mails := rgMails(t, s, u.Email); len(mails) != 1 || mails[0].Subject != "reset" {
		t.Errorf("mails = %+v", mails)
	}
	entries, _ := s.AuditLog(ctx, acc.ID, 10)
	if len(entries) == 0 || entries[0].Action != "mfa.reset" || entries[0].ActorID != admin.ID || entries[0].TargetUserID != u.ID {
		t.Errorf("audit = %+v", entries)
	}
	if err := s.ResetMFA(ctx, u.ID+1000, store.Mail{To: "x@example.com", Subject: "x", Text: "x"}, store.Audit{}); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown user: err = %v, want ENOTFOUND", err)
	}
}

func TestStore_ApproversAndAccountUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	other := rgAccount(t, s, "Other")
	named := func(name string) func(*store.NewUser) { return func(nu *store.NewUser) { nu.Name = name } }
	a := rgUser(t, s, acc.ID, "a@acme.example", rgApprover, named("Bから"))
	b := rgUser(t, s, acc.ID, "b@acme.example", rgApprover, rgAdmin, named("Aから"))
	disabled := rgUser(t, s, acc.ID, "c@acme.example", rgApprover, named("C"))
	if err := s.SetContactStatus(ctx, acc.ID, disabled.ID, portal.StatusDisabled, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	rgUser(t, s, acc.ID, "d@acme.example", rgAdmin, named("D"))
	rgInvite(t, s, acc.ID, "e@acme.example", time.Now().Add(time.Hour))
	rgUser(t, s, other.ID, "x@other.example", rgApprover)

	approvers, err := s.Approvers(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range approvers {
		got = append(got, u.Email)
	}
	if strings.Join(got, " ") != a.Email+" "+b.Email {
		t.Errorf("approvers = %v, want the two active approvers", got)
	}

	users, err := s.AccountUsers(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, u := range users {
		got = append(got, u.Name+"/"+string(u.Status))
	}
	want := "Aから/active Bから/active C/disabled D/active 招待 花子/invited"
	if strings.Join(got, " ") != want {
		t.Errorf("account users = %v, want %s", got, want)
	}
	if none, err := s.Approvers(ctx, rgAccount(t, s, "Empty").ID); err != nil || len(none) != 0 {
		t.Errorf("empty account approvers = %v, %v", none, err)
	}
}
