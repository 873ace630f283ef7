package store

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// CaseEventsChannel is the channel migration 00011's trigger notifies on for
// every committed case_events row.
const CaseEventsChannel = "madoguchi_case_events"

// CaseChange is the announcement of a case's committed timeline entries
// (EventID is the newest; Internal is true only if all of them are internal
// notes). It carries no content: whoever hears it reads the case through the
// usual access checks.
type CaseChange struct {
	CaseID    int64  `json:"case_id"`
	Number    string `json:"number"`
	AccountID int64  `json:"account_id"`
	EventID   int64  `json:"event_id"`
	Internal  bool   `json:"internal"`
	// Bulk says that more cases changed at once than are announced one by
	// one (a bulk load): whoever listens should look again at everything.
	Bulk bool `json:"bulk"`
}

// Listener hears committed case changes on a connection of its own, so that
// a long wait never holds one of the pool's connections.
type Listener struct {
	config *pgx.ConnConfig
	logger *slog.Logger
	// Backoff bounds between reconnection attempts.
	MinBackoff, MaxBackoff time.Duration
}

// NewListener returns a listener that connects as the store's pool does.
func (s *Store) NewListener(logger *slog.Logger) *Listener {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Listener{
		config:     s.pool.Config().ConnConfig.Copy(),
		logger:     logger,
		MinBackoff: 200 * time.Millisecond,
		MaxBackoff: 15 * time.Second,
	}
}

// Run listens until ctx ends, calling change for each committed case event.
// connected, if not nil, is called each time LISTEN is in place, with first
// false after a reconnection: changes made while the connection was down
// were not heard, so whoever relies on them should look again. Run returns
// ctx's error; lost connections are retried with backoff.
func (l *Listener) Run(ctx context.Context, change func(CaseChange), connected func(first bool)) error {
	backoff := l.MinBackoff
	first := true
	for {
		heard, err := l.listen(ctx, func() {
			if connected != nil {
				connected(first)
			}
			first = false
		}, change)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if heard {
			backoff = l.MinBackoff
		}
		l.logger.Warn("live updates: listener connection lost; reconnecting", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, l.MaxBackoff)
	}
}

// listen runs one connection's life; up is called once LISTEN is in place.
// heard reports whether the connection got that far.
func (l *Listener) listen(ctx context.Context, up func(), change func(CaseChange)) (heard bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, l.config)
	if err != nil {
		return false, err
	}
	defer func() {
		// ctx may be over; closing must not wait on it.
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+CaseEventsChannel); err != nil {
		return false, err
	}
	up()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		var c CaseChange
		if err := json.Unmarshal([]byte(n.Payload), &c); err != nil || (c.CaseID == 0 && !c.Bulk) {
			l.logger.Warn("live updates: unreadable notification", "payload", n.Payload, "err", err)
			continue
		}
		change(c)
	}
}
