package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

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
		for _, q := range []string{
			`UPDATE audit_log SET action = 'forged'`,
			`DELETE FROM audit_log`,
			`DELETE FROM audit_log WHERE false`, // refused even when it would touch nothing
			`TRUNCATE audit_log`,
		} {
			_, err := s.Pool().Exec(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", q, err)
			}
		}
		if n, _ := s.AuditLog(ctx, 0, 10); len(n) != 3 || n[2].Action != "mfa.reset" {
			t.Error("the audit log changed")
		}
	})
}

func TestStore_AuditEntries(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	acc := siAccount(t, s, true)
	other := siAccount(t, s, true)
	alice := siUser(t, s, acc.ID, portal.OTPEmail)
	bob := siUser(t, s, acc.ID, portal.OTPEmail)
	agent := siUser(t, s, 0, portal.OTPApp)

	// Entries at fixed times; several share one instant, so that paging
	// must break ties by id.
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	type row struct {
		at                     time.Time
		actor, account, target int64
		action                 string
	}
	rows := []row{
		{base, alice.ID, acc.ID, alice.ID, "login.success"},
		{base, bob.ID, acc.ID, bob.ID, "login.success"},
		{base, agent.ID, acc.ID, bob.ID, "mfa.reset"},
		{base.Add(time.Hour), agent.ID, other.ID, 0, "attachment.download"},
		{base.Add(time.Hour), alice.ID, acc.ID, alice.ID, "login.otp_failure"},
		{base.Add(24 * time.Hour), 0, 0, 0, "login.failure"},
		{base.Add(48 * time.Hour), alice.ID, acc.ID, bob.ID, "contacts.disable"},
	}
	for _, r := range rows {
		if _, err := s.Pool().Exec(ctx, `INSERT INTO audit_log (at, actor_id, account_id, target_user_id, action)
			VALUES ($1, nullif($2, 0), nullif($3, 0), nullif($4, 0), $5)`, r.at, r.actor, r.account, r.target, r.action); err != nil {
			t.Fatal(err)
		}
	}
	actions := func(es []store.AuditEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Action)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"All", store.AuditFilter{}, []string{"contacts.disable", "login.failure", "login.otp_failure", "attachment.download",
			"mfa.reset", "login.success", "login.success"}},
		{"Account", store.AuditFilter{AccountID: other.ID}, []string{"attachment.download"}},
		{"Actor", store.AuditFilter{ActorID: agent.ID}, []string{"attachment.download", "mfa.reset"}},
		{"Target", store.AuditFilter{TargetUserID: bob.ID}, []string{"contacts.disable", "mfa.reset", "login.success"}},
		{"Action", store.AuditFilter{Actions: []string{"login.success"}}, []string{"login.success", "login.success"}},
		{"Actions", store.AuditFilter{Actions: []string{"login.failure", "mfa.reset"}}, []string{"login.failure", "mfa.reset"}},
		{"Combined", store.AuditFilter{AccountID: acc.ID, Actions: []string{"login.success"}, TargetUserID: alice.ID},
			[]string{"login.success"}},
		{"From", store.AuditFilter{From: base.Add(time.Hour)}, []string{"contacts.disable", "login.failure", "login.otp_failure",
			"attachment.download"}},
		{"To", store.AuditFilter{To: base.Add(time.Hour)}, []string{"mfa.reset", "login.success", "login.success"}},
		{"Range", store.AuditFilter{From: base.Add(time.Hour), To: base.Add(25 * time.Hour)},
			[]string{"login.failure", "login.otp_failure", "attachment.download"}},
		{"Nothing", store.AuditFilter{ActorID: bob.ID, Actions: []string{"mfa.reset"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.AuditEntries(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(actions(got), tc.want) {
				t.Errorf("got %v, want %v", actions(got), tc.want)
			}
		})
	}

	t.Run("Names", func(t *testing.T) {
		got, err := s.AuditEntries(ctx, store.AuditFilter{Actions: []string{"mfa.reset"}})
		if err != nil || len(got) != 1 {
			t.Fatalf("got %v, %v", got, err)
		}
		e := got[0]
		if e.ActorName != agent.Name || e.ActorEmail != agent.Email || e.TargetEmail != bob.Email ||
			e.AccountName != acc.Name || e.AccountIdentifier != acc.Identifier {
			t.Errorf("entry = %+v", e)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		all, err := s.AuditEntries(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var paged []int64
		var after store.AuditCursor
		for range 10 {
			page, err := s.AuditEntries(ctx, store.AuditFilter{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				paged = append(paged, e.ID)
			}
			last := page[len(page)-1]
			after = store.AuditCursor{At: last.At, ID: last.ID}
			// The cursor survives a trip through a URL.
			if c, ok := store.ParseAuditCursor(after.String()); !ok || c.ID != after.ID || !c.At.Equal(after.At) {
				t.Fatalf("cursor %q read back as %+v, %v", after.String(), c, ok)
			}
		}
		var want []int64
		for _, e := range all {
			want = append(want, e.ID)
		}
		if !slices.Equal(paged, want) {
			t.Errorf("pages gave %v, want %v (no duplicates, no gaps)", paged, want)
		}
	})

	t.Run("BadCursor", func(t *testing.T) {
		for _, v := range []string{"", "x", "12", "12-0", "12-3-4", "-5-3", "1.5-3"} {
			if _, ok := store.ParseAuditCursor(v); ok {
				t.Errorf("ParseAuditCursor(%q) accepted", v)
			}
		}
	})
}

func TestStore_SearchContacts(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	acc := siAccount(t, s, true)
	other := siAccount(t, s, true)
	mk := func(accountID int64, email, name string, role portal.Role) *portal.User {
		u, err := s.CreateUser(ctx, store.NewUser{AccountID: accountID, Email: email, Name: name, Role: role, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	taro := mk(acc.ID, "taro.yamada@acme.example", "山田 太郎", portal.RoleCustomer)
	hanako := mk(acc.ID, "hanako@acme.example", "佐藤 花子", portal.RoleCustomer)
	ken := mk(other.ID, "ken_100%@other.example", "Ken Yamada", portal.RoleCustomer)
	mk(0, "yamada.agent@vendor.example", "山田 サポート", portal.RoleAgent)

	names := func(us []*portal.User) []int64 {
		var out []int64
		for _, u := range us {
			out = append(out, u.ID)
		}
		slices.Sort(out)
		return out
	}
	ids := func(us ...*portal.User) []int64 { return names(us) }
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"taro", ids(taro)},
		{"TARO.Y", ids(taro)},
		{"山田", ids(taro)}, // the agent of the same name is staff
		{"yamada", ids(ken)},
		{acc.Identifier, ids(taro, hanako)},
		{strings.ToLower(other.Identifier), ids(ken)},
		{"%", nil}, // wildcards are literal
		{"ken_100%", ids(ken)},
		{"_", nil},
		{"", nil},
		{"nobody", nil},
	} {
		// What the server passes: the address and identifier normalized
		// (NFKC, lower- and upper-cased), the name as typed.
		q := store.ContactSearch{EmailPrefix: strings.ToLower(tc.q), Name: tc.q, Identifier: strings.ToUpper(tc.q)}
		got, err := s.SearchContacts(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names(got), tc.want) {
			t.Errorf("SearchContacts(%q) = %v, want %v", tc.q, names(got), tc.want)
		}
	}
	if got, _ := s.SearchContacts(ctx, store.ContactSearch{Identifier: acc.Identifier}, 1); len(got) != 1 {
		t.Errorf("limit 1 gave %d", len(got))
	}
}

// A counted sign-in failure and its audit entry are one change.
func TestStore_FailureAudits(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	acc := siAccount(t, s, true)
	u := siUser(t, s, acc.ID, portal.OTPEmail)
	never := func(int) time.Duration { return 0 }
	for range 2 {
		if _, err := s.RecordLoginFailure(ctx, u.Email, never, store.Audit{AccountID: acc.ID, TargetUserID: u.ID,
			Action: "login.failure", IP: "192.0.2.1", Detail: map[string]any{"email": u.Email}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.RecordOTPFailure(ctx, u.ID, never, store.Audit{ActorID: u.ID, AccountID: acc.ID, TargetUserID: u.ID,
		Action: "login.otp_failure", IP: "192.0.2.2"}); err != nil {
		t.Fatal(err)
	}
	// Without an entry the counters work as before.
	if _, _, err := s.RecordOTPFailure(ctx, u.ID, never); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditEntries(ctx, store.AuditFilter{TargetUserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(got), got)
	}
	if e := got[0]; e.Action != "login.otp_failure" || e.Detail["failures"] != float64(1) || e.IP != "192.0.2.2" {
		t.Errorf("otp failure entry = %+v", e)
	}
	if e := got[1]; e.Action != "login.failure" || e.Detail["failures"] != float64(2) || e.Detail["email"] != u.Email {
		t.Errorf("second password failure entry = %+v", e)
	}

	// A failing entry undoes the count: both or neither.
	bad := store.Audit{ActorID: 999999, Action: "login.otp_failure"} // no such user: the insert fails
	if _, _, err := s.RecordOTPFailure(ctx, u.ID, never, bad); err == nil {
		t.Fatal("an entry naming no user was written")
	}
	if fresh, _ := s.UserByID(ctx, u.ID); fresh.OTPFailures != 2 {
		t.Errorf("otp failures = %d after a refused entry, want 2", fresh.OTPFailures)
	}
}
