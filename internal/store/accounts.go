package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

const accountColumns = `id, identifier, name, mfa_required, is_partner, created_at`

func scanAccount(row pgx.Row) (*portal.Account, error) {
	var a portal.Account
	if err := row.Scan(&a.ID, &a.Identifier, &a.Name, &a.MFARequired, &a.IsPartner, &a.CreatedAt); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateAccount adds a customer organization. An empty identifier gets a
// generated one ("C" and eight digits). Returns ECONFLICT if identifier is taken.
func (s *Store) CreateAccount(ctx context.Context, name, identifier string) (*portal.Account, error) {
	generate := identifier == ""
	for range 10 {
		if generate {
			identifier = newIdentifier()
		}
		a, err := scanAccount(s.pool.QueryRow(ctx, `INSERT INTO accounts (identifier, name) VALUES ($1, $2)
			RETURNING `+accountColumns, identifier, name))
		err = mapErr(err, "create account")
		if portal.ErrorCode(err) == portal.ECONFLICT && generate {
			continue
		}
		return a, err
	}
	return nil, fmt.Errorf("store: create account: no free identifier")
}

func newIdentifier() string {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("C%08d", n.Int64())
}

// AccountByIdentifier returns the account with the (normalized) identifier.
// Returns ENOTFOUND if there is none.
func (s *Store) AccountByIdentifier(ctx context.Context, identifier string) (*portal.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE identifier = $1`, identifier))
	return a, mapErr(err, "account by identifier")
}

// AccountByID returns an account. Returns ENOTFOUND if there is none.
func (s *Store) AccountByID(ctx context.Context, id int64) (*portal.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	return a, mapErr(err, "account")
}

// SetAccountMFARequired sets whether the account's contacts must use a second factor.
func (s *Store) SetAccountMFARequired(ctx context.Context, id int64, required bool, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE accounts SET mfa_required = $2 WHERE id = $1`, id, required); err != nil {
			return err
		}
		audit.AccountID = id
		audit.Detail = map[string]any{"mfa_required": required}
		return insertAudit(ctx, tx, audit)
	}), "set account mfa")
}

// CountAccounts returns how many customer accounts exist (seed checks it).
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, mapErr(err, "count accounts")
}
