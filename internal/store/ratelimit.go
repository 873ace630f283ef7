package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Hit counts one event against key in the current fixed window of length
// window and reports whether it is within limit; when not, it says when the
// window ends. Counters live in the database so every instance shares them.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, limit int) (bool, time.Time, error) {
	now := s.now()
	start := now.Truncate(window)
	var count int
	err := s.pool.QueryRow(ctx, `INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
		RETURNING count`, key, start).Scan(&count)
	if err != nil {
		return false, time.Time{}, mapErr(err, "rate limit")
	}
	return count <= limit, start.Add(window), nil
}

// PruneRateCounters deletes windows that ended before cutoff.
func (s *Store) PruneRateCounters(ctx context.Context, cutoff time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM rate_counters WHERE window_start < $1`, cutoff)
	return mapErr(err, "prune rate counters")
}

// LoginLockedUntil returns when password attempts for key (a normalized
// address, known or not) may resume; zero if they may now.
func (s *Store) LoginLockedUntil(ctx context.Context, key string) (time.Time, error) {
	var until *time.Time
	err := s.pool.QueryRow(ctx, `SELECT locked_until FROM login_failures WHERE key = $1`, key).Scan(&until)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, mapErr(err, "login locked until")
	}
	if until == nil || !s.now().Before(*until) {
		return time.Time{}, nil
	}
	return *until, nil
}

// RecordLoginFailure counts a failed password for key and locks it for
// lockout(failures). The audit entries given are written in the same
// transaction, with the count added to their detail.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, lockout func(failures int) time.Duration, audits ...Audit) (time.Time, error) {
	var until time.Time
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var failures int
		if err := tx.QueryRow(ctx, `INSERT INTO login_failures (key, failures, updated_at) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET failures = CASE
				WHEN login_failures.updated_at < $2 - interval '24 hours' THEN 1
				ELSE login_failures.failures + 1 END, updated_at = $2
			RETURNING failures`, key, s.now()).Scan(&failures); err != nil {
			return err
		}
		if d := lockout(failures); d > 0 {
			until = s.now().Add(d)
			if _, err := tx.Exec(ctx, `UPDATE login_failures SET locked_until = $2 WHERE key = $1`, key, until); err != nil {
				return err
			}
		}
		return insertFailureAudits(ctx, tx, failures, audits)
	})
	if err != nil {
		return time.Time{}, mapErr(err, "record login failure")
	}
	return until, nil
}

// insertFailureAudits writes the entries of a counted failure, each with
// the count in its detail.
func insertFailureAudits(ctx context.Context, tx pgx.Tx, failures int, audits []Audit) error {
	for _, a := range audits {
		detail := map[string]any{"failures": failures}
		for k, v := range a.Detail {
			detail[k] = v
		}
		a.Detail = detail
		if err := insertAudit(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

// ClearLoginFailures forgets failures for key after a correct password.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return mapErr(err, "clear login failures")
}
