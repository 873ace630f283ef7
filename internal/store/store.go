// Package store is Madoguchi's repository layer: every SQL statement lives
// here, written out beside the method that runs it. A changing operation is
// one transaction that also writes its audit entry and outbox mail.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"madoguchi/internal/portal"
)

// dbtx is what both the pool and a transaction offer, so that one helper
// serves inside and outside a transaction.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Enqueuer schedules delivery of an outbox message inside the transaction that
// wrote it, so a mail exists exactly when the change that caused it does.
type Enqueuer func(ctx context.Context, tx pgx.Tx, outboxID int64) error

// Store gives access to the database.
type Store struct {
	pool    *pgxpool.Pool
	enqueue Enqueuer
	now     func() time.Time
	sla     portal.SLAPolicy // response targets (sla.go)
}

// New returns a Store on pool. enqueue may be nil in tests that do not
// deliver mail.
func New(pool *pgxpool.Pool, enqueue Enqueuer) *Store {
	return &Store{pool: pool, enqueue: enqueue, now: time.Now, sla: portal.DefaultSLAPolicy()}
}

// SetNow replaces the clock, for tests of expiry rules.
func (s *Store) SetNow(now func() time.Time) { s.now = now }

// Pool returns the connection pool, for the session store and the job queue.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one)
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// Connect opens a pool on dsn and checks it answers.
func Connect(ctx context.Context, dsn string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return pool, nil
}

// mapErr turns driver errors into portal codes: no rows is ENOTFOUND and a
// unique violation ECONFLICT; anything else is wrapped with what was being done.
func mapErr(err error, what string) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return &portal.Error{Code: portal.ENOTFOUND, Message: "error.not_found"}
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return &portal.Error{Code: portal.ECONFLICT, Message: "error.conflict"}
	case errors.As(err, new(*portal.Error)):
		return err
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
