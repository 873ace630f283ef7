package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// SetAccountPartner marks an organization as a partner or not. An
// organization that stops being a partner keeps its links, which then give
// its contacts nothing until it is a partner again.
func (s *Store) SetAccountPartner(ctx context.Context, id int64, partner bool, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE accounts SET is_partner = $2 WHERE id = $1`, id, partner)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		audit.AccountID = id
		audit.Detail = map[string]any{"partner": partner}
		return insertAudit(ctx, tx, audit)
	}), "set account partner")
}

// LinkPartner lets a partner organization serve a customer organization.
// Linking twice is not an error.
func (s *Store) LinkPartner(ctx context.Context, partnerID, customerID int64, audit Audit) error {
	if partnerID == customerID {
		return portal.Errorf(portal.EINVALID, "partner.self")
	}
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO partner_customers (partner_id, customer_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, partnerID, customerID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		audit.AccountID = partnerID
		audit.Detail = map[string]any{"customer_id": customerID}
		return insertAudit(ctx, tx, audit)
	}), "link partner")
}

// UnlinkPartner ends a partner's link to a customer. Cases already filed
// through the partner keep showing who filed them.
func (s *Store) UnlinkPartner(ctx context.Context, partnerID, customerID int64, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM partner_customers WHERE partner_id = $1 AND customer_id = $2`,
			partnerID, customerID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		audit.AccountID = partnerID
		audit.Detail = map[string]any{"customer_id": customerID}
		return insertAudit(ctx, tx, audit)
	}), "unlink partner")
}

// PartnerCustomers returns the customer organizations a partner serves, by
// name. It is empty for an organization that is not (or no longer) a partner.
func (s *Store) PartnerCustomers(ctx context.Context, partnerID int64) ([]portal.Account, error) {
	return s.accountList(ctx, `SELECT `+prefixed("a", accountColumns)+` FROM partner_customers pc
		JOIN accounts a ON a.id = pc.customer_id
		JOIN accounts p ON p.id = pc.partner_id AND p.is_partner
		WHERE pc.partner_id = $1 ORDER BY a.name, a.id`, partnerID)
}

// PartnersOf returns the partner organizations linked to a customer.
func (s *Store) PartnersOf(ctx context.Context, customerID int64) ([]portal.Account, error) {
	return s.accountList(ctx, `SELECT `+prefixed("a", accountColumns)+` FROM partner_customers pc
		JOIN accounts a ON a.id = pc.partner_id AND a.is_partner
		WHERE pc.customer_id = $1 ORDER BY a.name, a.id`, customerID)
}

// Serves reports whether partnerID is a partner linked to customerID.
func (s *Store) Serves(ctx context.Context, partnerID, customerID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM partner_customers pc
		JOIN accounts p ON p.id = pc.partner_id AND p.is_partner
		WHERE pc.partner_id = $1 AND pc.customer_id = $2)`, partnerID, customerID).Scan(&ok)
	return ok, mapErr(err, "partner serves")
}

func (s *Store) accountList(ctx context.Context, sql string, args ...any) ([]portal.Account, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err, "accounts")
	}
	defer rows.Close()
	var out []portal.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, mapErr(err, "accounts")
		}
		out = append(out, *a)
	}
	return out, mapErr(rows.Err(), "accounts")
}

// prefixed qualifies each column of a comma-separated list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
