package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// ContactCountCap bounds the contacts counted per organization in the staff
// list: a count past it shows as "1,000+" and never walks a huge organization.
const ContactCountCap = 1000

// AccountSummary is an organization as the staff list shows it.
type AccountSummary struct {
	portal.Account
	Contacts int // capped at ContactCountCap+1
}

// AccountQuery selects a page of the staff list of organizations, ordered by
// name then id. After is the last row of the previous page (AfterID 0 for
// the first page).
type AccountQuery struct {
	Search string // part of the name, or the start of the identifier
	// Identifier is Search normalized as identifiers are (full-width
	// characters typed with the IME on); empty means Search in upper case.
	Identifier string
	AfterName  string
	AfterID    int64
	Limit      int
}

// likeEscape makes s match literally inside a LIKE pattern.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListAccounts returns one page of organizations by name, with a bounded
// count of their contacts. The page walks accounts_name_idx from the keyset;
// a search filters rows on the way, which is cheap because organizations
// number in the thousands, not millions.
func (s *Store) ListAccounts(ctx context.Context, q AccountQuery) ([]AccountSummary, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	search, ident := "", ""
	if q.Search != "" {
		search = "%" + likeEscape.Replace(q.Search) + "%"
		if q.Identifier == "" {
			q.Identifier = strings.ToUpper(q.Search)
		}
		ident = likeEscape.Replace(q.Identifier) + "%"
	}
	// The keyset condition is a fixed fragment rather than "$n = 0 OR …", so
	// that the planner always sees it as a bound on accounts_name_idx.
	args := []any{search, ident, ContactCountCap + 1, q.Limit}
	keyset := ``
	if q.AfterID != 0 {
		keyset = ` AND (a.name, a.id) > ($5, $6)`
		args = append(args, q.AfterName, q.AfterID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+prefixed("a", accountColumns)+`,
			(SELECT count(*) FROM (SELECT 1 FROM users u WHERE u.account_id = a.id LIMIT $3) c)
		FROM accounts a
		WHERE ($1 = '' OR a.name ILIKE $1 OR a.identifier LIKE $2)`+keyset+`
		ORDER BY a.name, a.id LIMIT $4`, args...)
	if err != nil {
		return nil, mapErr(err, "list accounts")
	}
	defer rows.Close()
	var out []AccountSummary
	for rows.Next() {
		var a AccountSummary
		if err := rows.Scan(&a.ID, &a.Identifier, &a.Name, &a.MFARequired, &a.IsPartner, &a.CreatedAt, &a.Contacts); err != nil {
			return nil, mapErr(err, "list accounts")
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err(), "list accounts")
}

// AccountNameTaken reports whether an organization is already called name
// (letter case aside).
func (s *Store) AccountNameTaken(ctx context.Context, name string) (bool, error) {
	return accountNameTaken(ctx, s.pool, name)
}

func accountNameTaken(ctx context.Context, db dbtx, name string) (bool, error) {
	var taken bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(name) = lower($1))`, name).Scan(&taken)
	return taken, mapErr(err, "account name taken")
}

// CountContacts returns how many contacts an organization has, up to
// ContactCountCap+1.
func (s *Store) CountContacts(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM users WHERE account_id = $1 LIMIT $2) c`,
		accountID, ContactCountCap+1).Scan(&n)
	return n, mapErr(err, "count contacts")
}

// NewAccount is an organization as a staff administrator creates it.
type NewAccount struct {
	Name        string
	Identifier  string // normalized; "" generates one
	MFARequired bool
	Partner     bool
}

// createAccountLock serializes creations, so that two administrators cannot
// both create "Acme" after each saw the name free.
const createAccountLock = 0x6d61646f_00000012

// CreateAccountAudited creates an organization with its policy and partner
// flag and records "account.create" (audit.Action) in the same transaction.
// Returns ECONFLICT for the field "identifier" ("admin.identifier_taken") or
// "name" ("admin.name_taken") when either is already used.
func (s *Store) CreateAccountAudited(ctx context.Context, na NewAccount, audit Audit) (*portal.Account, error) {
	var acc *portal.Account
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(createAccountLock)); err != nil {
			return err
		}
		taken, err := accountNameTaken(ctx, tx, na.Name)
		if err != nil {
			return err
		}
		if taken {
			return &portal.Error{Code: portal.ECONFLICT, Field: "name", Message: "admin.name_taken"}
		}
		identifier := na.Identifier
		for range 10 {
			if na.Identifier == "" {
				identifier = newIdentifier()
			}
			var used bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE identifier = $1)`,
				identifier).Scan(&used); err != nil {
				return err
			}
			if !used {
				break
			}
			if na.Identifier != "" {
				return &portal.Error{Code: portal.ECONFLICT, Field: "identifier", Message: "admin.identifier_taken"}
			}
		}
		acc, err = scanAccount(tx.QueryRow(ctx, `INSERT INTO accounts (identifier, name, mfa_required, is_partner)
			VALUES ($1, $2, $3, $4) RETURNING `+accountColumns, identifier, na.Name, na.MFARequired, na.Partner))
		if err != nil {
			if portal.ErrorCode(mapErr(err, "")) == portal.ECONFLICT {
				// The CLI, which does not take the lock, was quicker.
				return &portal.Error{Code: portal.ECONFLICT, Field: "identifier", Message: "admin.identifier_taken"}
			}
			return err
		}
		audit.AccountID = acc.ID
		audit.Detail = map[string]any{"name": acc.Name, "identifier": acc.Identifier,
			"mfa_required": acc.MFARequired, "partner": acc.IsPartner}
		return insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return nil, mapErr(err, "create account")
	}
	return acc, nil
}

// PendingRegistrations lists an organization's requests that await a
// decision and have not expired, oldest first.
func (s *Store) PendingRegistrations(ctx context.Context, accountID int64, limit int) ([]*portal.Registration, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+registrationColumns+registrationFrom+` WHERE r.account_id = $1
		AND r.state = 'requested' AND r.expires_at > $2 ORDER BY r.created_at LIMIT $3`, accountID, s.now(), limit)
	if err != nil {
		return nil, mapErr(err, "pending registrations")
	}
	regs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*portal.Registration, error) { return scanRegistration(r) })
	return regs, mapErr(err, "pending registrations")
}

// RenameAccount changes an organization's name and records audit.Action
// ("account.rename") with the old and new names. Returns ECONFLICT for the
// field "name" ("admin.name_taken") if another organization has the name, and
// ENOTFOUND if there is no such organization.
func (s *Store) RenameAccount(ctx context.Context, id int64, name string, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(createAccountLock)); err != nil {
			return err
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(name) = lower($1) AND id <> $2)`,
			name, id).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return &portal.Error{Code: portal.ECONFLICT, Field: "name", Message: "admin.name_taken"}
		}
		var old string
		if err := tx.QueryRow(ctx, `SELECT name FROM accounts WHERE id = $1 FOR UPDATE`, id).Scan(&old); err != nil {
			return err
		}
		if old == name {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET name = $2 WHERE id = $1`, id, name); err != nil {
			return err
		}
		audit.AccountID = id
		audit.Detail = map[string]any{"from": old, "to": name}
		return insertAudit(ctx, tx, audit)
	}), "rename account")
}
