package store_test

import (
	"context"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestStore_Audit(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	acc := siAccount(t, s, true)
	other := siAccount(t, s, true)
	actor := siUser(t, s, acc.ID, portal.OTPEmail)
	target := siUser(t, s, acc.ID, portal.OTPEmail)
	entries := []store.Audit{
		{ActorID: actor.ID, AccountID: acc.ID, TargetUserID: target.ID, Action: "mfa.reset", IP: "192.0.2.7",
			Detail: map[string]any{"reason": "lost phone"}},
		{Action: "login.failure", IP: "198.51.100.1", Detail: map[string]any{"email": "ghost@example.test"}},
		{AccountID: other.ID, Action: "contacts.disable"},
		{}, // no action: nothing is written
	}
	for _, e := range entries {
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.AuditLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Action != "contacts.disable" || all[2].Action != "mfa.reset" {
		t.Fatalf("AuditLog(all) = %+v", all)
	}
	mine, err := s.AuditLog(ctx, acc.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 {
		t.Fatalf("AuditLog(account) has %d entries, want 1", len(mine))
	}
	e := mine[0]
	if e.ActorID != actor.ID || e.ActorName != actor.Name || e.TargetUserID != target.ID || e.TargetName != target.Name ||
		e.IP != "192.0.2.7" || e.Detail["reason"] != "lost phone" || e.At.IsZero() {
		t.Errorf("entry = %+v", e)
	}
	if limited, _ := s.AuditLog(ctx, 0, 2); len(limited) != 2 {
		t.Errorf("limit 2 gave %d entries", len(limited))
	}

	t.Run("AppendOnly", func(t *testing.T) {
		if _, err := s.Pool().Exec(ctx, `UPDATE audit_log SET action = 'forged'`); err == nil {
			t.Error("UPDATE on audit_log succeeded")
		}
		if _, err := s.Pool().Exec(ctx, `DELETE FROM audit_log`); err == nil {
			t.Error("DELETE on audit_log succeeded")
		}
		if n, _ := s.AuditLog(ctx, 0, 10); len(n) != 3 || n[2].Action != "mfa.reset" {
			t.Error("the audit log changed")
		}
	})
}
