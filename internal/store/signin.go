package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// ChangePassword stores a new password the user chose themselves (a
// temporary one is no longer temporary), writes the notice mail, and ends
// every other session of the user. It returns the new session epoch, which
// the caller stores in the session it keeps. Returns ENOTFOUND if there is
// no such user.
func (s *Store) ChangePassword(ctx context.Context, userID int64, hash string, audit Audit, mails ...Mail) (int, error) {
	var epoch int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := setPassword(ctx, tx, userID, hash, false); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT session_epoch FROM users WHERE id = $1`, userID).Scan(&epoch); err != nil {
			return err
		}
		audit.TargetUserID = userID
		if err := insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mails...)
	})
	return epoch, mapErr(err, "change password")
}

// ResetPassword uses a password-reset link: it sets the new password (no
// longer temporary), ends every session of the user, forgets the password
// failures counted against their address (the lockout protected a password
// that no longer exists) and writes the notice mail. Returns ENOTFOUND for
// an unknown link and EGONE ("token.gone") for a used or expired one; two
// requests racing on one link cannot both succeed.
func (s *Store) ResetPassword(ctx context.Context, tokenHash []byte, passwordHash, ip string, mails ...Mail) (int64, error) {
	var userID int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if userID, err = s.useToken(ctx, tx, portal.TokenReset, tokenHash); err != nil {
			return err
		}
		if err := setPassword(ctx, tx, userID, passwordHash, false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures
			WHERE key = (SELECT lower(email) FROM users WHERE id = $1)`, userID); err != nil {
			return err
		}
		accountID, err := userAccountID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, Audit{ActorID: userID, AccountID: accountID, TargetUserID: userID,
			Action: "password.reset", IP: ip}); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mails...)
	})
	return userID, mapErr(err, "reset password")
}

// UpgradePasswordHash replaces the user's password hash with one of the same
// password made with current parameters, after a successful sign-in. It is
// not a password change: sessions stay valid. Nothing happens if the hash
// changed meanwhile.
func (s *Store) UpgradePasswordHash(ctx context.Context, userID int64, oldHash, newHash string) error {
	_, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`,
		userID, oldHash, newHash)
	return mapErr(err, "upgrade password hash")
}
