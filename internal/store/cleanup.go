package store

import (
	"context"
	"time"
)

// Cleanup deletes rows whose use has passed: rate-limit windows older than a
// day, e-mailed codes and single-use links a week after they expired or were
// used, expired sessions and stale password-failure counters.
func (s *Store) Cleanup(ctx context.Context, now time.Time) error {
	stmts := []string{
		`DELETE FROM rate_counters WHERE window_start < $1::timestamptz - interval '1 day'`,
		`DELETE FROM email_codes WHERE coalesce(used_at, expires_at) < $1::timestamptz - interval '7 days'`,
		`DELETE FROM user_tokens WHERE coalesce(used_at, expires_at) < $1::timestamptz - interval '7 days'`,
		`DELETE FROM sessions WHERE expiry < $1::timestamptz`,
		`DELETE FROM login_failures WHERE updated_at < $1::timestamptz - interval '1 day' AND (locked_until IS NULL OR locked_until < $1::timestamptz)`,
	}
	for _, q := range stmts {
		if _, err := s.pool.Exec(ctx, q, now); err != nil {
			return mapErr(err, "cleanup")
		}
	}
	return nil
}
