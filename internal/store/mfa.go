package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// CreateEmailCode stores a new e-mailed code (voiding any earlier one, so a
// resend invalidates the previous code) and its mail.
func (s *Store) CreateEmailCode(ctx context.Context, userID int64, codeHash string, expires time.Time, mail Mail) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE email_codes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO email_codes (user_id, code_hash, expires_at) VALUES ($1, $2, $3)`,
			userID, codeHash, expires); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mail)
	}), "create email code")
}

// UseEmailCode consumes the user's current e-mailed code if codeHash matches
// and it has not expired. The UPDATE is the check, so a code used twice at
// once is accepted once.
func (s *Store) UseEmailCode(ctx context.Context, userID int64, codeHash string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE email_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL AND expires_at > $3`, userID, codeHash, s.now())
	if err != nil {
		return false, mapErr(err, "use email code")
	}
	return tag.RowsAffected() == 1, nil
}

// UseTOTPStep records that the code of step was used, if no later or equal
// step was used before: a TOTP code is never accepted twice, even when two
// requests race.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
	if err != nil {
		return false, mapErr(err, "use totp step")
	}
	return tag.RowsAffected() == 1, nil
}

// UseRecoveryCode consumes one of the user's recovery codes.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, codeHash string, ip string) (bool, error) {
	var used bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
			userID, codeHash)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		used = true
		accountID, err := userAccountID(ctx, tx, userID)
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{ActorID: userID, AccountID: accountID, TargetUserID: userID,
			Action: "mfa.recovery_code_used", IP: ip})
	})
	return used, mapErr(err, "use recovery code")
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, mapErr(err, "recovery codes left")
}

func replaceRecoveryCodes(ctx context.Context, tx pgx.Tx, userID int64, hashes []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
			return err
		}
	}
	return nil
}

// ReplaceRecoveryCodes swaps the user's recovery codes for new ones.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := replaceRecoveryCodes(ctx, tx, userID, hashes); err != nil {
			return err
		}
		audit.TargetUserID = userID
		return insertAudit(ctx, tx, audit)
	}), "replace recovery codes")
}

// Enrollment pairs a second factor.
type Enrollment struct {
	Method       portal.OTPMethod
	TOTPSecret   string // for OTPApp
	TOTPStep     int64  // the step of the confirming code, never accepted again
	RecoveryHash []string
	Audit        Audit
	Mails        []Mail // a notice to the user, written in the same transaction
}

// EnrollMFA stores a paired second factor with fresh recovery codes and
// clears failure counters.
func (s *Store) EnrollMFA(ctx context.Context, userID int64, e Enrollment) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET otp_method = $2, totp_secret = $3, totp_last_step = $4,
			mfa_enrolled_at = $5, otp_failures = 0, otp_locked_until = NULL, updated_at = now() WHERE id = $1`,
			userID, e.Method, e.TOTPSecret, e.TOTPStep, s.now()); err != nil {
			return err
		}
		if err := replaceRecoveryCodes(ctx, tx, userID, e.RecoveryHash); err != nil {
			return err
		}
		e.Audit.TargetUserID = userID
		if e.Audit.Detail == nil {
			e.Audit.Detail = map[string]any{}
		}
		e.Audit.Detail["method"] = e.Method
		if err := insertAudit(ctx, tx, e.Audit); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, e.Mails...)
	}), "enroll mfa")
}

// ResetMFA removes a user's second factor so they must pair again (lost
// device), keeping their chosen method, and mails them. Their sessions end.
func (s *Store) ResetMFA(ctx context.Context, userID int64, mail Mail, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET totp_secret = '', totp_last_step = 0, mfa_enrolled_at = NULL,
			otp_method = CASE WHEN otp_method = 'none' THEN 'email' ELSE otp_method END,
			otp_failures = 0, otp_locked_until = NULL, session_epoch = session_epoch + 1, updated_at = now()
			WHERE id = $1`, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE email_codes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
			return err
		}
		audit.TargetUserID = userID
		if err := insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mail)
	}), "reset mfa")
}

// DisableMFA turns the second factor off for a user whose organization allows
// it, and mails them a notice. Returns EFORBIDDEN if the policy requires it.
func (s *Store) DisableMFA(ctx context.Context, userID int64, mail Mail, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		var required bool
		err := tx.QueryRow(ctx, `SELECT coalesce(a.mfa_required, true) FROM users u LEFT JOIN accounts a ON a.id = u.account_id
			WHERE u.id = $1 FOR UPDATE OF u`, userID).Scan(&required)
		if err != nil {
			return err
		}
		if required {
			return portal.Errorf(portal.EFORBIDDEN, "mfa.required_by_policy")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET otp_method = 'none', totp_secret = '', mfa_enrolled_at = NULL,
			updated_at = now() WHERE id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		audit.TargetUserID = userID
		if err := insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mail)
	}), "disable mfa")
}

// RecordOTPFailure counts a wrong second-factor code and sets the lockout
// that lockout(failures) gives; it returns the new count and lock end. The
// audit entries given are written in the same transaction, with the count
// added to their detail.
func (s *Store) RecordOTPFailure(ctx context.Context, userID int64, lockout func(failures int) time.Duration, audits ...Audit) (int, *time.Time, error) {
	var failures int
	var until *time.Time
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `UPDATE users SET otp_failures = otp_failures + 1 WHERE id = $1 RETURNING otp_failures`,
			userID).Scan(&failures); err != nil {
			return err
		}
		if d := lockout(failures); d > 0 {
			t := s.now().Add(d)
			until = &t
			if _, err := tx.Exec(ctx, `UPDATE users SET otp_locked_until = $2 WHERE id = $1`, userID, t); err != nil {
				return err
			}
		}
		return insertFailureAudits(ctx, tx, failures, audits)
	})
	return failures, until, mapErr(err, "record otp failure")
}

// ClearOTPFailures resets the counter after a correct code.
func (s *Store) ClearOTPFailures(ctx context.Context, userID int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE users SET otp_failures = 0, otp_locked_until = NULL WHERE id = $1 AND otp_failures > 0`, userID)
	return mapErr(err, "clear otp failures")
}
