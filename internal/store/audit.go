package store

import (
	"context"
	"time"
)

// Audit describes one audit-log entry. Actions are dotted names such as
// "registration.approve" or "mfa.reset".
type Audit struct {
	ActorID      int64
	AccountID    int64
	TargetUserID int64
	Action       string
	IP           string
	Detail       map[string]any
}

// AuditEntry is an audit-log row as read back.
type AuditEntry struct {
	ID           int64
	At           time.Time
	ActorID      int64
	ActorName    string
	AccountID    int64
	TargetUserID int64
	TargetName   string
	Action       string
	IP           string
	Detail       map[string]any
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func insertAudit(ctx context.Context, db dbtx, a Audit) error {
	if a.Action == "" {
		return nil
	}
	if a.Detail == nil {
		a.Detail = map[string]any{}
	}
	_, err := db.Exec(ctx, `INSERT INTO audit_log (actor_id, account_id, target_user_id, action, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		nullID(a.ActorID), nullID(a.AccountID), nullID(a.TargetUserID), a.Action, a.IP, a.Detail)
	return err
}

// Record appends one audit entry outside any other change (sign-in attempts).
func (s *Store) Record(ctx context.Context, a Audit) error {
	return mapErr(insertAudit(ctx, s.pool, a), "audit")
}

// AuditLog returns the newest entries, of one account when accountID is not 0.
func (s *Store) AuditLog(ctx context.Context, accountID int64, limit int) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT l.id, l.at, coalesce(l.actor_id, 0), coalesce(a.name, ''),
			coalesce(l.account_id, 0), coalesce(l.target_user_id, 0), coalesce(t.name, ''), l.action, l.ip, l.detail
		FROM audit_log l
		LEFT JOIN users a ON a.id = l.actor_id
		LEFT JOIN users t ON t.id = l.target_user_id
		WHERE ($1 = 0 OR l.account_id = $1)
		ORDER BY l.at DESC, l.id DESC LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, mapErr(err, "audit log")
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.AccountID, &e.TargetUserID,
			&e.TargetName, &e.Action, &e.IP, &e.Detail); err != nil {
			return nil, mapErr(err, "audit log")
		}
		out = append(out, e)
	}
	return out, mapErr(rows.Err(), "audit log")
}
