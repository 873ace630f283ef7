package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/jobs"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// rwMailer records the warnings asked for and, like the server, writes none
// when there is nobody to send to.
type rwMailer struct {
	warned []string
	to     []string
	dues   []time.Time
}

func (m *rwMailer) ResponseDueMails(c *portal.Case, due, now time.Time, agent *store.Recipient) ([]store.Mail, error) {
	m.warned = append(m.warned, c.Number)
	m.dues = append(m.dues, due)
	if agent == nil {
		m.to = append(m.to, "")
		return nil, nil
	}
	m.to = append(m.to, agent.Email)
	return []store.Mail{{To: agent.Email, Subject: "due " + c.Number}}, nil
}

func TestResponseWarnWorker(t *testing.T) {
	t.Parallel()
	pool := storetest.Pool(t)
	s := store.New(pool, nil)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC) // Monday 10:00 in Tokyo
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
	agent, err := s.CreateUser(ctx, store.NewUser{Email: "agent@vendor.example", Name: "Agent", Role: portal.RoleAgent,
		PasswordHash: "x", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	file := func(prio int) string {
		c, _, err := s.CreateCase(ctx, store.NewCase{AccountID: acc.ID, OpenedBy: opener.ID, HelpType: portal.HelpProduct,
			Priority: prio, Subject: "件名", Description: "説明"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Number
	}
	critical := file(1) // due 11:00 Tokyo
	if _, err := s.AssignCase(ctx, store.AssignRequest{Number: critical, Actor: agent, AgentID: agent.ID}); err != nil {
		t.Fatal(err)
	}
	high := file(2) // due 14:00 Tokyo, unassigned
	file(3)         // due the next business day

	var logs bytes.Buffer
	mailer := &rwMailer{}
	w := &jobs.ResponseWarnWorker{Store: s, Mailer: mailer, Before: 30 * time.Minute, Now: clock,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}

	// 10:20: nothing due within 30 minutes.
	now = now.Add(20 * time.Minute)
	if n, err := w.Run(ctx); err != nil || n != 0 {
		t.Fatalf("10:20: %d warned, %v", n, err)
	}
	// 10:31: the critical case is due at 11:00.
	now = now.Add(11 * time.Minute)
	if n, err := w.Run(ctx); err != nil || n != 1 || !slices.Equal(mailer.warned, []string{critical}) ||
		mailer.to[0] != agent.Email || !mailer.dues[0].Equal(time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("10:31: %d %v %v %v %v", n, err, mailer.warned, mailer.to, mailer.dues)
	}
	msgs, err := s.RecentOutbox(ctx, 10)
	if err != nil || len(msgs) != 1 || msgs[0].To != agent.Email {
		t.Fatalf("outbox: %+v %v", msgs, err)
	}
	// A minute later: nothing new, the critical case is not warned twice.
	now = now.Add(time.Minute)
	if n, err := w.Run(ctx); err != nil || n != 0 {
		t.Fatalf("10:32: %d warned, %v", n, err)
	}
	// 15:00: the high case is overdue, unassigned, and nobody to tell: logged once.
	now = time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	if n, err := w.Run(ctx); err != nil || n != 1 || mailer.warned[1] != high || mailer.to[1] != "" {
		t.Fatalf("15:00: %d %v %v", n, err, mailer.warned)
	}
	if !strings.Contains(logs.String(), high) {
		t.Errorf("no log line for the unassigned case: %q", logs.String())
	}
	if n, _ := w.Run(ctx); n != 0 {
		t.Errorf("the unassigned case was handled again")
	}
	if _, err := (&jobs.ResponseWarnWorker{Store: s}).Run(ctx); err == nil {
		t.Error("a worker without a mailer ran")
	}
	if (jobs.ResponseWarnArgs{}).Kind() != "case_response_warn" || jobs.ResponseWarnPeriodic() == nil {
		t.Error("the job kind changed or the job is not scheduled")
	}
}
