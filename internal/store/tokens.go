package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

func insertToken(ctx context.Context, db dbtx, userID int64, purpose portal.TokenPurpose, hash []byte, expires time.Time) error {
	// A new link voids the older ones of the same purpose: only the newest
	// mail works.
	if _, err := db.Exec(ctx, `UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		userID, purpose); err != nil {
		return err
	}
	_, err := db.Exec(ctx, `INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
		userID, purpose, hash, expires)
	return err
}

// UserByToken returns the user a link was sent to. Returns ENOTFOUND for an
// unknown token and EGONE ("token.gone") for a used or expired one.
func (s *Store) UserByToken(ctx context.Context, purpose portal.TokenPurpose, hash []byte) (*portal.User, error) {
	var userID int64
	var expires time.Time
	var used *time.Time
	err := s.pool.QueryRow(ctx, `SELECT user_id, expires_at, used_at FROM user_tokens WHERE token_hash = $1 AND purpose = $2`,
		hash, purpose).Scan(&userID, &expires, &used)
	if err != nil {
		return nil, mapErr(err, "token")
	}
	if used != nil || !s.now().Before(expires) {
		return nil, portal.Errorf(portal.EGONE, "token.gone")
	}
	return s.UserByID(ctx, userID)
}

// useToken marks a link used, inside tx, and returns its user. Two requests
// racing on one link cannot both succeed: the row is locked and re-checked.
func (s *Store) useToken(ctx context.Context, tx pgx.Tx, purpose portal.TokenPurpose, hash []byte) (int64, error) {
	var id, userID int64
	var expires time.Time
	var used *time.Time
	err := tx.QueryRow(ctx, `SELECT id, user_id, expires_at, used_at FROM user_tokens
		WHERE token_hash = $1 AND purpose = $2 FOR UPDATE`, hash, purpose).Scan(&id, &userID, &expires, &used)
	if err != nil {
		return 0, err
	}
	if used != nil || !s.now().Before(expires) {
		return 0, portal.Errorf(portal.EGONE, "token.gone")
	}
	_, err = tx.Exec(ctx, `UPDATE user_tokens SET used_at = $2 WHERE id = $1`, id, s.now())
	return userID, err
}

// CompleteWelcome uses a welcome link: it sets the first password, records
// the accepted terms and activates the contact. Returns EGONE if the link was
// used or expired.
func (s *Store) CompleteWelcome(ctx context.Context, hash []byte, passwordHash string, termsVersion int, ip string) (int64, error) {
	var userID int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if userID, err = s.useToken(ctx, tx, portal.TokenWelcome, hash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, must_change_password = false,
			status = CASE WHEN status = 'invited' THEN 'active' ELSE status END,
			terms_version = $3, terms_accepted_at = now(), session_epoch = session_epoch + 1, updated_at = now()
			WHERE id = $1`, userID, passwordHash, termsVersion); err != nil {
			return err
		}
		accountID, err := userAccountID(ctx, tx, userID)
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{ActorID: userID, AccountID: accountID, TargetUserID: userID, Action: "user.welcome", IP: ip,
			Detail: map[string]any{"terms_version": termsVersion}})
	})
	return userID, mapErr(err, "complete welcome")
}

// CreateResetToken stores a password-reset link for userID and its mail,
// and the audit entries given.
func (s *Store) CreateResetToken(ctx context.Context, userID int64, hash []byte, expires time.Time, mail Mail, audits ...Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := insertToken(ctx, tx, userID, portal.TokenReset, hash, expires); err != nil {
			return err
		}
		for _, a := range audits {
			if err := insertAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		return s.insertOutbox(ctx, tx, mail)
	}), "create reset token")
}

// Invite creates a contact (or staff member) who has no password yet, a
// welcome link and its mail. Returns ECONFLICT if the address is taken.
func (s *Store) Invite(ctx context.Context, nu NewUser, hash []byte, expires time.Time, mail Mail, audit Audit) (int64, error) {
	nu.Status = portal.StatusInvited
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if id, err = insertUser(ctx, tx, nu); err != nil {
			return err
		}
		if err := insertToken(ctx, tx, id, portal.TokenWelcome, hash, expires); err != nil {
			return err
		}
		audit.TargetUserID = id
		audit.AccountID = nu.AccountID
		audit.Detail = map[string]any{"email": nu.Email, "role": nu.Role}
		if err := insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mail)
	})
	return id, mapErr(err, "invite")
}

// ResendInvitation replaces a pending contact's welcome link.
func (s *Store) ResendInvitation(ctx context.Context, userID int64, hash []byte, expires time.Time, mail Mail) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := insertToken(ctx, tx, userID, portal.TokenWelcome, hash, expires); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mail)
	}), "resend invitation")
}
