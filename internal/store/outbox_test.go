package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestStore_Outbox(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	mails := []store.Mail{
		{To: "a@example.test", ToName: "山田 太郎", Subject: "件名", Text: "本文", HTML: "<p>本文</p>"},
		{To: "b@example.test", Subject: "second", Text: "two"},
	}
	if err := s.SendMail(ctx, mails...); err != nil {
		t.Fatal(err)
	}
	recent, err := s.RecentOutbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 2 || recent[0].To != "b@example.test" || recent[1].ToName != "山田 太郎" {
		t.Fatalf("RecentOutbox = %+v", recent)
	}
	first := recent[1]
	m, err := s.OutboxMessage(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "件名" || m.Text != "本文" || m.HTML != "<p>本文</p>" || m.SentAt != nil || m.Attempts != 0 {
		t.Fatalf("OutboxMessage = %+v", m)
	}
	if err := s.MarkOutboxFailed(ctx, m.ID, "421 try later"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 14, 5, 0, 0, time.UTC)
	if err := s.MarkOutboxSent(ctx, m.ID, at); err != nil {
		t.Fatal(err)
	}
	m, _ = s.OutboxMessage(ctx, m.ID)
	if m.Attempts != 2 || m.SentAt == nil || !m.SentAt.Equal(at) || m.LastError != "" {
		t.Fatalf("after a failure and a delivery: %+v", m)
	}
	if _, err := s.OutboxMessage(ctx, 987654); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown message: %v, want ENOTFOUND", err)
	}
	if recent, _ := s.RecentOutbox(ctx, 1); len(recent) != 1 {
		t.Errorf("limit 1 gave %d", len(recent))
	}
}

// The outbox row exists exactly when the change that wrote it does, and it is
// handed to the queue in the same transaction.
func TestStore_OutboxEnqueuedInTransaction(t *testing.T) {
	t.Parallel()
	pool := storetest.Pool(t)
	var enqueued []int64
	fail := false
	s := store.New(pool, func(ctx context.Context, tx pgx.Tx, id int64) error {
		if fail {
			return errors.New("queue down")
		}
		enqueued = append(enqueued, id)
		return nil
	})
	ctx := context.Background()
	u := siUser(t, s, siAccount(t, s, true).ID, portal.OTPEmail)
	if err := s.CreateEmailCode(ctx, u.ID, "hash", time.Now().Add(time.Minute), siMail(u.Email)); err != nil {
		t.Fatal(err)
	}
	if len(enqueued) != 1 {
		t.Fatalf("enqueued %v, want one message", enqueued)
	}
	fail = true
	if err := s.CreateEmailCode(ctx, u.ID, "hash2", time.Now().Add(time.Minute), siMail(u.Email)); err == nil {
		t.Fatal("a failed enqueue did not fail the change")
	}
	if n := siOutboxCount(t, s, u.Email); n != 1 {
		t.Errorf("outbox has %d mails after a rolled-back change, want 1", n)
	}
	if ok, _ := s.UseEmailCode(ctx, u.ID, "hash2"); ok {
		t.Error("the code of a rolled-back change works")
	}
	if ok, _ := s.UseEmailCode(ctx, u.ID, "hash"); !ok {
		t.Error("the rolled-back change voided the earlier code")
	}
}
