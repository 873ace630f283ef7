package store_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// clNewCase is a valid case filed by u.
func clNewCase(u *portal.User, subject string) store.NewCase {
	return store.NewCase{
		AccountID: u.AccountID, OpenedBy: u.ID, HelpType: portal.HelpPortal, Priority: portal.DefaultPriority,
		Subject: subject, Description: "詳細: " + subject,
	}
}

// clCase files a case for u and returns it.
func clCase(tb testing.TB, s *store.Store, u *portal.User, subject string, edit ...func(*store.NewCase)) *portal.Case {
	tb.Helper()
	nc := clNewCase(u, subject)
	for _, f := range edit {
		f(&nc)
	}
	c, created, err := s.CreateCase(context.Background(), nc, nil)
	if err != nil || !created {
		tb.Fatalf("create case %q: created %v, %v", subject, created, err)
	}
	return c
}

var caseNumberRE = regexp.MustCompile(`^CS\d{7}$`)

func TestStore_CreateCase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	acc := rgAccount(t, s, "Acme")
	u := rgUser(t, s, acc.ID, "taro@acme.example")
	prod, err := s.CreateProduct(ctx, "SecureGate", []string{"6.0"}, []string{"RHEL 9"})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := s.CreateCategory(ctx, "Licensing", "ライセンス", 0)
	if err != nil {
		t.Fatal(err)
	}
	prob, err := s.CreateProblem(ctx, cat.ID, "Activation fails", "アクティベーションが失敗する", 0)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("FieldsAndNumber", func(t *testing.T) {
		nc := store.NewCase{
			AccountID: acc.ID, OpenedBy: u.ID, HelpType: portal.HelpProduct, ProductID: prod.ID,
			ProductVersion: "6.0", OS: "RHEL 9", CategoryID: cat.ID, ProblemID: prob.ID, Priority: 2,
			Subject: "ライセンス認証に失敗する", Description: "手順…", BusinessImpact: "業務停止",
			CC: []string{"hanako@acme.example", "ops@partner.example"},
		}
		var mailedFor string
		c, created, err := s.CreateCase(ctx, nc, func(c *portal.Case) ([]store.Mail, error) {
			mailedFor = c.Number
			return []store.Mail{{To: u.Email, Subject: "Case " + c.Number + " opened", Text: "/cases/" + c.Number}}, nil
		})
		if err != nil || !created {
			t.Fatalf("CreateCase: created %v, %v", created, err)
		}
		if !caseNumberRE.MatchString(c.Number) {
			t.Errorf("number %q is not CS + 7 digits", c.Number)
		}
		if c.Status != portal.Open || c.SubStatus != portal.SubNew || c.Version != 1 || c.AccountName != "Acme" ||
			c.OpenedByName != u.Name || c.ProductName != "SecureGate" || c.ProductVersion != "6.0" || c.OS != "RHEL 9" ||
			c.CategoryID != cat.ID || c.ProblemID != prob.ID || c.Priority != 2 || c.BusinessImpact != "業務停止" ||
			len(c.CC) != 2 || c.CreatedAt.IsZero() || !c.UpdatedAt.Equal(c.CreatedAt) {
			t.Errorf("created case = %+v", c)
		}
		if mailedFor != c.Number {
			t.Errorf("the mail was built for %q, want %q", mailedFor, c.Number)
		}
		mails := rgMails(t, s, u.Email)
		if len(mails) != 1 || mails[0].Subject != "Case "+c.Number+" opened" {
			t.Errorf("outbox for the opener = %+v", mails)
		}
		got, err := s.CaseByNumber(ctx, c.Number)
		if err != nil || got.ID != c.ID || got.Subject != nc.Subject || got.Description != nc.Description {
			t.Errorf("CaseByNumber = %+v, %v", got, err)
		}
		var kinds []string
		rows, err := s.Pool().Query(ctx, `SELECT kind || ':' || to_status FROM case_events WHERE case_id = $1 ORDER BY id`, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			rows.Scan(&k)
			kinds = append(kinds, k)
		}
		if fmt.Sprint(kinds) != "[created:new]" {
			t.Errorf("timeline = %v, want one created entry", kinds)
		}
	})

	t.Run("SequenceIncrements", func(t *testing.T) {
		a := clCase(t, s, u, "one")
		b := clCase(t, s, u, "two")
		var na, nb int
		fmt.Sscanf(a.Number, "CS%d", &na)
		fmt.Sscanf(b.Number, "CS%d", &nb)
		if nb != na+1 {
			t.Errorf("numbers %s then %s, want consecutive", a.Number, b.Number)
		}
		// A failed transaction draws a number that is never reused.
		_, _, err := s.CreateCase(ctx, clNewCase(u, "rolled back"), func(*portal.Case) ([]store.Mail, error) {
			return nil, errors.New("mail failed")
		})
		if err == nil {
			t.Fatal("a failing mail callback did not fail the creation")
		}
		c := clCase(t, s, u, "three")
		var nc int
		fmt.Sscanf(c.Number, "CS%d", &nc)
		if nc != nb+2 {
			t.Errorf("after a rollback got %s, want CS%07d (numbers are never reused)", c.Number, nb+2)
		}
		var n int
		s.Pool().QueryRow(ctx, `SELECT count(*) FROM cases WHERE subject = 'rolled back'`).Scan(&n)
		if n != 0 {
			t.Error("the rolled-back case was stored")
		}
	})

	t.Run("FormTokenDedupes", func(t *testing.T) {
		nc := clNewCase(u, "double click")
		nc.FormToken = "tok-1"
		mails := 0
		mail := func(c *portal.Case) ([]store.Mail, error) {
			mails++
			return []store.Mail{{To: "dedupe@acme.example", Subject: c.Number}}, nil
		}
		// Two submissions at once, as a double-click sends them.
		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[bool]*portal.Case{}
		for range 2 {
			wg.Go(func() {
				c, created, err := s.CreateCase(ctx, nc, mail)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if results[created] != nil {
					t.Errorf("two submissions both returned created=%v", created)
				}
				results[created] = c
			})
		}
		wg.Wait()
		first, again := results[true], results[false]
		if first == nil || again == nil || first.ID != again.ID || first.Number != again.Number {
			t.Fatalf("first %+v, again %+v: want the same case", first, again)
		}
		if got := rgMails(t, s, "dedupe@acme.example"); len(got) != 1 || mails != 1 {
			t.Errorf("%d mails, want 1", len(got))
		}
		// The same token from another person is another form.
		other := rgUser(t, s, acc.ID, "jiro@acme.example")
		onc := clNewCase(other, "double click")
		onc.FormToken = "tok-1"
		c, created, err := s.CreateCase(ctx, onc, nil)
		if err != nil || !created || c.ID == first.ID {
			t.Errorf("another person's token: created %v, %v", created, err)
		}
	})

	t.Run("FollowUp", func(t *testing.T) {
		old := clCase(t, s, u, "old")
		c := clCase(t, s, u, "follow-up", func(nc *store.NewCase) { nc.FollowUpOf = old.ID })
		if c.FollowUpOf != old.ID || c.FollowUpNumber != old.Number {
			t.Errorf("follow-up = %d %q, want %d %q", c.FollowUpOf, c.FollowUpNumber, old.ID, old.Number)
		}
		var linked int64
		err := s.Pool().QueryRow(ctx, `SELECT (detail->>'case_id')::bigint FROM case_events
			WHERE case_id = $1 AND kind = 'follow_up'`, old.ID).Scan(&linked)
		if err != nil || linked != c.ID {
			t.Errorf("the old case's follow-up entry names %d (%v), want %d", linked, err, c.ID)
		}
	})

	t.Run("Attachments", func(t *testing.T) {
		c := clCase(t, s, u, "with files", func(nc *store.NewCase) {
			nc.Files = []store.NewAttachment{
				{Name: "ログ.zip", Size: 1234, SHA256: "ab", ContentType: "application/zip", StorageKey: "att/t/1"},
				{Name: "screen.png", Size: 99, SHA256: "cd", ContentType: "image/png", StorageKey: "att/t/2"},
			}
		})
		rows, err := s.Pool().Query(ctx, `SELECT a.name, a.size, a.storage_key, a.uploaded_by, e.kind
			FROM attachments a JOIN case_events e ON e.id = a.event_id WHERE a.case_id = $1 ORDER BY a.id`, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var name, key, kind string
			var size, by int64
			if err := rows.Scan(&name, &size, &key, &by, &kind); err != nil {
				t.Fatal(err)
			}
			if by != u.ID {
				t.Errorf("%s uploaded by %d, want %d", name, by, u.ID)
			}
			got = append(got, fmt.Sprintf("%s/%d/%s/%s", name, size, key, kind))
		}
		if fmt.Sprint(got) != "[ログ.zip/1234/att/t/1/created screen.png/99/att/t/2/created]" {
			t.Errorf("attachments = %v", got)
		}
	})

	t.Run("CaseByNumber", func(t *testing.T) {
		for _, n := range []string{"CS9999999", "cs0000001", "CS12", "x"} {
			if _, err := s.CaseByNumber(ctx, n); portal.ErrorCode(err) != portal.ENOTFOUND {
				t.Errorf("CaseByNumber(%q): err = %v, want ENOTFOUND", n, err)
			}
		}
	})
}
