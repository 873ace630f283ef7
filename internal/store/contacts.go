package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// lockAccount locks an account's row for the rest of tx: the mutex for
// changes to its contacts' roles and status. Returns pgx.ErrNoRows if the
// account does not exist.
func lockAccount(ctx context.Context, tx pgx.Tx, accountID int64) error {
	var id int64
	return tx.QueryRow(ctx, `SELECT id FROM accounts WHERE id = $1 FOR UPDATE`, accountID).Scan(&id)
}

// activeApprovers counts the account's active registration approvers.
func activeApprovers(ctx context.Context, db dbtx, accountID int64) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM users WHERE account_id = $1 AND status = 'active' AND is_approver`,
		accountID).Scan(&n)
	return n, err
}

// SetContactStatus disables or re-enables a contact of accountID, as its
// account administrator does. Disabling ends the contact's sessions at once
// (their session epoch moves on). Returns ENOTFOUND if userID is not a
// contact of accountID, EINVALID with "contacts.invited" for a contact who
// has not completed their welcome link yet, and EINVALID with
// "contacts.last_approver" if disabling would leave the account without an
// active approver.
func (s *Store) SetContactStatus(ctx context.Context, accountID, userID int64, status portal.UserStatus, audit Audit) error {
	if status != portal.StatusActive && status != portal.StatusDisabled {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, accountID); err != nil {
			return err
		}
		var current portal.UserStatus
		var approver bool
		if err := tx.QueryRow(ctx, `SELECT status, is_approver FROM users WHERE id = $2 AND account_id = $1`,
			accountID, userID).Scan(&current, &approver); err != nil {
			return err
		}
		if current == portal.StatusInvited {
			return portal.Errorf(portal.EINVALID, "contacts.invited")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET status = $2, session_epoch = session_epoch + 1, updated_at = now()
			WHERE id = $1`, userID, status); err != nil {
			return err
		}
		if status == portal.StatusDisabled && approver && current == portal.StatusActive {
			left, err := activeApprovers(ctx, tx, accountID)
			if err != nil {
				return err
			}
			if left == 0 {
				return portal.Errorf(portal.EINVALID, "contacts.last_approver")
			}
		}
		audit.TargetUserID = userID
		audit.AccountID = accountID
		if audit.Detail == nil {
			audit.Detail = map[string]any{"status": status}
		}
		return insertAudit(ctx, tx, audit)
	}), "set contact status")
}

// ResendContactInvitation replaces the welcome link of a contact of
// accountID who has not used theirs yet, and writes the new mail. Returns
// ENOTFOUND if userID is not a contact of accountID and EINVALID with
// "contacts.not_invited" if the contact has already set a password.
func (s *Store) ResendContactInvitation(ctx context.Context, accountID, userID int64, hash []byte, expires time.Time, mail Mail, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		var status portal.UserStatus
		if err := tx.QueryRow(ctx, `SELECT status FROM users WHERE id = $2 AND account_id = $1 FOR UPDATE`,
			accountID, userID).Scan(&status); err != nil {
			return err
		}
		if status != portal.StatusInvited {
			return portal.Errorf(portal.EINVALID, "contacts.not_invited")
		}
		if err := insertToken(ctx, tx, userID, portal.TokenWelcome, hash, expires); err != nil {
			return err
		}
		audit.TargetUserID = userID
		audit.AccountID = accountID
		if err := insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mail)
	}), "resend contact invitation")
}

// EmailInUse reports whether a user has the (normalized) address email, and
// whether a registration request for it is waiting for a decision. A request
// past its expiry no longer counts: the next request for the address
// replaces it.
func (s *Store) EmailInUse(ctx context.Context, email string) (registered, pending bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1)),
			EXISTS (SELECT 1 FROM registrations WHERE lower(email) = lower($1) AND state = 'requested' AND expires_at > $2)`,
		email, s.now()).Scan(&registered, &pending)
	return registered, pending, mapErr(err, "email in use")
}

// RegistrationByID returns a registration request for its account's
// administrators, who reach it from their contacts page rather than through
// the mailed link. Returns ENOTFOUND if there is none or it belongs to another
// account.
func (s *Store) RegistrationByID(ctx context.Context, accountID, id int64) (*portal.Registration, error) {
	r, err := scanRegistration(s.pool.QueryRow(ctx, `SELECT `+registrationColumns+registrationFrom+`
		WHERE r.id = $1 AND r.account_id = $2`, id, accountID))
	return r, mapErr(err, "registration by id")
}
