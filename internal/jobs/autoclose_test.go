package jobs_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"madoguchi/internal/jobs"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// acMailer records what the job asked to be written.
type acMailer struct {
	closed   []string
	reminded []string
	closesAt []time.Time
}

func (m *acMailer) AutoCloseMails(o store.ActOutcome) ([]store.Mail, error) {
	m.closed = append(m.closed, o.Case.Number)
	if o.Recipients.Opener == nil || o.Actor != nil || o.Action != portal.ActAutoClose {
		return nil, nil
	}
	return []store.Mail{{To: o.Recipients.Opener.Email, Subject: "closed " + o.Case.Number}}, nil
}

func (m *acMailer) ReminderMails(c *portal.Case, r store.CaseRecipients, closesAt time.Time) ([]store.Mail, error) {
	m.reminded = append(m.reminded, c.Number)
	m.closesAt = append(m.closesAt, closesAt)
	return []store.Mail{{To: r.Opener.Email, Subject: "reminder " + c.Number}}, nil
}

func TestAutoCloseWorker(t *testing.T) {
	t.Parallel()
	pool := storetest.Pool(t)
	s := store.New(pool, nil)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s.SetNow(clock)

	acc, err := s.CreateAccount(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	opener, err := s.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "taro@acme.example", Name: "山田 太郎",
		Role: portal.RoleCustomer, PasswordHash: "x", Language: "ja"})
	if err != nil {
		t.Fatal(err)
	}
	waiting := func(sub portal.SubStatus, since time.Duration) string {
		c, _, err := s.CreateCase(ctx, store.NewCase{AccountID: acc.ID, OpenedBy: opener.ID, HelpType: portal.HelpProduct,
			Priority: 3, Subject: "待機中", Description: "説明"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE cases SET sub_status = $2, waiting_since = $3 WHERE id = $1`,
			c.ID, sub, now.Add(-since)); err != nil {
			t.Fatal(err)
		}
		return c.Number
	}
	const day = 24 * time.Hour
	due := waiting(portal.SubSolutionProposed, 14*day+time.Minute)
	half := waiting(portal.SubAwaitingCustomer, 8*day)
	fresh := waiting(portal.SubAwaitingCustomer, 6*day)

	mailer := &acMailer{}
	w := &jobs.AutoCloseWorker{Store: s, Mailer: mailer, After: 14 * day, Now: clock}
	closed, reminded, err := w.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if closed != 1 || reminded != 1 || !slices.Equal(mailer.closed, []string{due}) || !slices.Equal(mailer.reminded, []string{half}) {
		t.Fatalf("first run: closed %d %v, reminded %d %v", closed, mailer.closed, reminded, mailer.reminded)
	}
	if want := now.Add(-8 * day).Add(14 * day); !mailer.closesAt[0].Equal(want) {
		t.Errorf("the reminder says the case closes at %v, want %v", mailer.closesAt[0], want)
	}
	c, err := s.CaseByNumber(ctx, due)
	if err != nil {
		t.Fatal(err)
	}
	if c.SubStatus != portal.SubNoResponse || c.Status != portal.Closed || c.ClosedAt == nil || !c.ClosedAt.Equal(now) {
		t.Errorf("the due case after the run: %+v", c)
	}
	msgs, _ := s.RecentOutbox(ctx, 10)
	if len(msgs) != 2 {
		t.Errorf("outbox has %d mails, want the notice and the reminder", len(msgs))
	}

	// A second run a minute later does nothing again.
	now = now.Add(time.Minute)
	if closed, reminded, err := w.Run(ctx); err != nil || closed != 0 || reminded != 0 {
		t.Errorf("second run: %d closed, %d reminded, %v", closed, reminded, err)
	}

	// A day later the fresh case is at half time; six days after that the
	// reminded case is due.
	now = now.Add(day)
	if _, reminded, _ := w.Run(ctx); reminded != 1 || mailer.reminded[len(mailer.reminded)-1] != fresh {
		t.Errorf("a day later: reminded %v", mailer.reminded)
	}
	now = now.Add(5 * day)
	if closed, _, _ := w.Run(ctx); closed != 1 || mailer.closed[len(mailer.closed)-1] != half {
		t.Errorf("six days later: closed %v", mailer.closed)
	}

	// The default period is 14 days.
	w2 := &jobs.AutoCloseWorker{Store: s, Mailer: mailer, Now: func() time.Time { return now.Add(14 * day) }}
	if closed, _, err := w2.Run(ctx); err != nil || closed != 1 {
		t.Errorf("with the default period: %d closed, %v", closed, err)
	}
	if _, _, err := (&jobs.AutoCloseWorker{Store: s}).Run(ctx); err == nil {
		t.Error("a worker without a mailer ran")
	}
}

func TestPeriodicIncludesAutoClose(t *testing.T) {
	if n := len(jobs.Periodic()); n < 2 {
		t.Errorf("Periodic() has %d jobs, want the clean-up and the auto-close", n)
	}
	if (jobs.AutoCloseArgs{}).Kind() != "case_auto_close" {
		t.Error("the job kind changed: queued jobs would be stranded")
	}
}
