package store_test

import (
	"context"
	"testing"
	"time"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Two listeners (as two `madoguchi serve` processes have) both hear a
// committed timeline entry, with the case it belongs to, and neither hears
// one that was rolled back.
func TestStore_ListenerHearsCommittedEvents(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	c := w.evCase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type listener struct {
		heard chan store.CaseChange
		up    chan struct{}
		done  chan error
	}
	start := func() *listener {
		l := &listener{heard: make(chan store.CaseChange, 16), up: make(chan struct{}), done: make(chan error, 1)}
		ln := w.s.NewListener(nil)
		go func() {
			l.done <- ln.Run(ctx, func(ch store.CaseChange) { l.heard <- ch }, func(first bool) {
				if first {
					close(l.up)
				}
			})
		}()
		select {
		case <-l.up:
		case <-time.After(10 * time.Second):
			t.Fatal("listener did not start")
		}
		return l
	}
	a, b := start(), start()

	// Rolled back: nothing may be announced.
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, kind, body) VALUES ($1, 'comment', 'never')`, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	// Committed: an internal note, so that the flag travels too.
	if _, err := w.s.Act(ctx, evAct(c, w.agent, portal.ActInternalNote, "", "社内メモ")); err != nil {
		t.Fatal(err)
	}
	var lastEvent int64
	if err := w.pool.QueryRow(ctx, `SELECT max(id) FROM case_events WHERE case_id = $1`, c.ID).Scan(&lastEvent); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*listener{"A": a, "B": b} {
		select {
		case got := <-l.heard:
			want := store.CaseChange{CaseID: c.ID, Number: c.Number, AccountID: w.acc.ID, EventID: lastEvent, Internal: true}
			if got != want {
				t.Errorf("listener %s heard %+v, want %+v", name, got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("listener %s heard nothing of a committed event", name)
		}
		select {
		case got := <-l.heard:
			t.Errorf("listener %s heard a second change %+v (the rolled-back one?)", name, got)
		case <-time.After(300 * time.Millisecond):
		}
	}

	cancel()
	for name, l := range map[string]*listener{"A": a, "B": b} {
		select {
		case err := <-l.done:
			if err != context.Canceled {
				t.Errorf("listener %s ended with %v, want context.Canceled", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("listener %s did not stop with its context", name)
		}
	}
}

// A listener whose connection is lost connects again, says so (the caller
// looks again for what it missed) and goes on hearing changes.
func TestStore_ListenerReconnects(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	c := w.evCase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heard := make(chan store.CaseChange, 16)
	connected := make(chan bool, 4)
	ln := w.s.NewListener(nil)
	ln.MinBackoff = 10 * time.Millisecond
	done := make(chan error, 1)
	go func() {
		done <- ln.Run(ctx, func(ch store.CaseChange) { heard <- ch }, func(first bool) { connected <- first })
	}()
	wait := func(what string) bool {
		select {
		case first := <-connected:
			return first
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s connection", what)
			return false
		}
	}
	if !wait("first") {
		t.Fatal("the first connection was not reported as first")
	}
	var killed int
	if err := w.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+store.CaseEventsChannel+`'`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening connections, want 1", killed)
	}
	if wait("second") {
		t.Error("a reconnection was reported as the first connection")
	}
	if _, err := w.s.Act(ctx, evAct(c, w.opener, portal.ActComment, "", "また切断されました。")); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-heard:
		if got.CaseID != c.ID || got.Internal {
			t.Errorf("heard %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing heard after reconnecting")
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run ended with %v", err)
	}
}

// One statement inserting several events announces each case once, with its
// newest event, internal only if all its new events are; a bulk load of more
// than 1,000 cases sends one bulk notice.
func TestStore_ListenerHearsStatementsPerCase(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	a, b := w.evCase(t), w.evCase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heard := make(chan store.CaseChange, 16)
	up := make(chan struct{})
	ln := w.s.NewListener(nil)
	go ln.Run(ctx, func(ch store.CaseChange) { heard <- ch }, func(bool) { close(up) })
	select {
	case <-up:
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not start")
	}
	next := func() store.CaseChange {
		t.Helper()
		select {
		case ch := <-heard:
			return ch
		case <-time.After(10 * time.Second):
			t.Fatal("nothing heard")
			return store.CaseChange{}
		}
	}

	var lastA, lastB int64
	if err := w.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO case_events (case_id, kind, internal) VALUES ($1, 'internal_note', true), ($1, 'comment', false),
				($2, 'internal_note', true), ($2, 'internal_note', true) RETURNING id, case_id)
		SELECT max(id) FILTER (WHERE case_id = $1), max(id) FILTER (WHERE case_id = $2) FROM ins`, a.ID, b.ID).Scan(&lastA, &lastB); err != nil {
		t.Fatal(err)
	}
	got := map[int64]store.CaseChange{}
	for range 2 {
		ch := next()
		got[ch.CaseID] = ch
	}
	if want := (store.CaseChange{CaseID: a.ID, Number: a.Number, AccountID: w.acc.ID, EventID: lastA}); got[a.ID] != want {
		t.Errorf("case a: heard %+v, want %+v", got[a.ID], want)
	}
	if want := (store.CaseChange{CaseID: b.ID, Number: b.Number, AccountID: w.acc.ID, EventID: lastB, Internal: true}); got[b.ID] != want {
		t.Errorf("case b: heard %+v, want %+v", got[b.ID], want)
	}

	if _, err := w.pool.Exec(ctx, `WITH c AS (
			INSERT INTO cases (account_id, opened_by, help_type, subject, description)
			SELECT $1, $2, 'portal', 'bulk ' || i, 'bulk' FROM generate_series(1, 1001) i RETURNING id)
		INSERT INTO case_events (case_id, kind) SELECT id, 'created' FROM c`, w.acc.ID, w.opener.ID); err != nil {
		t.Fatal(err)
	}
	if ch := next(); ch != (store.CaseChange{Bulk: true}) {
		t.Errorf("bulk load: heard %+v, want one bulk notice", ch)
	}
	select {
	case ch := <-heard:
		t.Errorf("bulk load: also heard %+v", ch)
	case <-time.After(300 * time.Millisecond):
	}
}
