package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
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

// AuditEntry is an audit-log row as read back, with the names of whom it
// refers to.
type AuditEntry struct {
	ID                int64
	At                time.Time
	ActorID           int64
	ActorName         string
	ActorEmail        string
	AccountID         int64
	AccountName       string
	AccountIdentifier string
	TargetUserID      int64
	TargetName        string
	TargetEmail       string
	Action            string
	IP                string
	Detail            map[string]any
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

// userAccountID reads the organization of a user, 0 for staff, so that an
// entry written where only the user is known still names it.
func userAccountID(ctx context.Context, db dbtx, userID int64) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT coalesce(account_id, 0) FROM users WHERE id = $1`, userID).Scan(&id)
	return id, err
}

// Record appends one audit entry outside any other change (sign-in attempts,
// downloads).
func (s *Store) Record(ctx context.Context, a Audit) error {
	return mapErr(insertAudit(ctx, s.pool, a), "audit")
}

const auditColumns = `l.id, l.at, coalesce(l.actor_id, 0), coalesce(a.name, ''), coalesce(a.email, ''),
	coalesce(l.account_id, 0), coalesce(o.name, ''), coalesce(o.identifier, ''),
	coalesce(l.target_user_id, 0), coalesce(t.name, ''), coalesce(t.email, ''), l.action, l.ip, l.detail`

const auditFrom = ` FROM audit_log l
	LEFT JOIN users a ON a.id = l.actor_id
	LEFT JOIN users t ON t.id = l.target_user_id
	LEFT JOIN accounts o ON o.id = l.account_id`

func scanAuditEntries(rows pgx.Rows) ([]AuditEntry, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.ActorEmail, &e.AccountID, &e.AccountName,
			&e.AccountIdentifier, &e.TargetUserID, &e.TargetName, &e.TargetEmail, &e.Action, &e.IP, &e.Detail)
		return e, err
	})
}

// AuditLog returns the newest entries, of one account when accountID is not 0.
func (s *Store) AuditLog(ctx context.Context, accountID int64, limit int) ([]AuditEntry, error) {
	return s.AuditEntries(ctx, AuditFilter{AccountID: accountID, Limit: limit})
}

// AuditCursor is the keyset position of an entry: pages continue after it.
type AuditCursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether the cursor is the start of the log.
func (c AuditCursor) IsZero() bool { return c.ID == 0 }

// String encodes the cursor for a URL: microseconds (the database's
// precision) and the id.
func (c AuditCursor) String() string {
	return fmt.Sprintf("%d-%d", c.At.UnixMicro(), c.ID)
}

// ParseAuditCursor reads a cursor written by String; ok is false for
// anything else.
func ParseAuditCursor(s string) (c AuditCursor, ok bool) {
	var us, id int64
	if _, err := fmt.Sscanf(s, "%d-%d", &us, &id); err != nil || id <= 0 || us < 0 {
		return AuditCursor{}, false
	}
	c = AuditCursor{At: time.UnixMicro(us), ID: id}
	if c.String() != s {
		return AuditCursor{}, false
	}
	return c, true
}

// AuditFilter chooses audit entries; zero fields match everything.
type AuditFilter struct {
	AccountID    int64
	ActorID      int64
	TargetUserID int64
	Actions      []string
	From, To     time.Time   // entries at or after From and before To
	After        AuditCursor // entries older than this one (the next page)
	Limit        int         // at most 500; 50 when 0
}

// maxAuditPage bounds one read of the log.
const maxAuditPage = 500

// AuditEntries returns entries matching f, newest first, in keyset order
// (at DESC, id DESC). Each filter is a fixed condition served by an index of
// migration 00010; there is no OFFSET, so every page costs the same.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
	}
	if f.AccountID != 0 {
		add(`l.account_id = $?`, f.AccountID)
	}
	if f.ActorID != 0 {
		add(`l.actor_id = $?`, f.ActorID)
	}
	if f.TargetUserID != 0 {
		add(`l.target_user_id = $?`, f.TargetUserID)
	}
	switch len(f.Actions) {
	case 0:
	case 1:
		add(`l.action = $?`, f.Actions[0])
	default:
		add(`l.action = ANY($?)`, f.Actions)
	}
	if !f.From.IsZero() {
		add(`l.at >= $?`, f.From)
	}
	if !f.To.IsZero() {
		add(`l.at < $?`, f.To)
	}
	if !f.After.IsZero() {
		args = append(args, f.After.At, f.After.ID)
		where = append(where, fmt.Sprintf(`(l.at, l.id) < ($%d, $%d)`, len(args)-1, len(args)))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, maxAuditPage)
	args = append(args, limit)
	q := `SELECT ` + auditColumns + auditFrom
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += fmt.Sprintf(` ORDER BY l.at DESC, l.id DESC LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "audit log")
	}
	entries, err := scanAuditEntries(rows)
	return entries, mapErr(err, "audit log")
}

// maxContactMatches bounds a contact search.
const maxContactMatches = 50

// ContactSearch is what an agent typed to find a contact, normalized for
// each way it may match.
type ContactSearch struct {
	EmailPrefix string // the start of an address (normalized as addresses are)
	Name        string // part of a name, as typed
	Identifier  string // an organization's customer identifier (normalized)
}

// SearchContacts finds customer contacts (never staff) whose address starts
// with q.EmailPrefix, whose name contains q.Name (case-insensitively), or
// whose organization's identifier is q.Identifier; at most limit (≤ 50), by
// name. Customers number in the thousands, not millions: the name match is
// a scan of their rows, the others use indexes.
func (s *Store) SearchContacts(ctx context.Context, q ContactSearch, limit int) ([]*portal.User, error) {
	if q.EmailPrefix == "" && q.Name == "" && q.Identifier == "" {
		return nil, nil
	}
	if limit <= 0 || limit > maxContactMatches {
		limit = maxContactMatches
	}
	escape := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+userFrom+`
		WHERE u.role = 'customer' AND (
			($1 <> '' AND lower(u.email) LIKE $1 || '%')
			OR ($2 <> '' AND lower(u.name) LIKE '%' || $2 || '%')
			OR u.account_id = (SELECT id FROM accounts WHERE identifier = $3))
		ORDER BY u.name, u.id LIMIT $4`,
		escape.Replace(strings.ToLower(q.EmailPrefix)), escape.Replace(strings.ToLower(q.Name)), q.Identifier, limit)
	if err != nil {
		return nil, mapErr(err, "search contacts")
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*portal.User, error) { return scanUser(r) })
	return users, mapErr(err, "search contacts")
}

// AccountIdentifiers returns the customer identifiers of the accounts ids,
// by id, in one query.
func (s *Store) AccountIdentifiers(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, identifier FROM accounts WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, mapErr(err, "account identifiers")
	}
	var id int64
	var identifier string
	_, err = pgx.ForEachRow(rows, []any{&id, &identifier}, func() error {
		out[id] = identifier
		return nil
	})
	return out, mapErr(err, "account identifiers")
}
