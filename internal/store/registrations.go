package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// NewRegistration is a registration request as submitted.
type NewRegistration struct {
	AccountID     int64
	TokenHash     []byte
	Email         string
	Name          string
	TimeZone      string
	CountryCode   string
	Phone         string
	Mobile        string
	ContactMethod string
	OTPMethod     portal.OTPMethod
	Language      string
	ExpiresAt     time.Time
}

// CreateRegistration stores a request and the mails to its approvers in one
// transaction. Returns ECONFLICT with "register.email_taken" if the address is
// already registered, or "register.email_pending" if it has a pending request.
func (s *Store) CreateRegistration(ctx context.Context, r NewRegistration, mails []Mail) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))`, r.Email).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return portal.Errorf(portal.ECONFLICT, "register.email_taken")
		}
		// An expired request must not block the address for good.
		if _, err := tx.Exec(ctx, `UPDATE registrations SET state = 'rejected', reason = 'expired'
			WHERE lower(email) = lower($1) AND state = 'requested' AND expires_at <= $2`, r.Email, s.now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO registrations (account_id, token_hash, email, name, time_zone, country_code,
				phone, mobile, contact_method, otp_method, language, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			r.AccountID, r.TokenHash, r.Email, r.Name, r.TimeZone, r.CountryCode, r.Phone, r.Mobile,
			r.ContactMethod, r.OTPMethod, r.Language, r.ExpiresAt)
		if err != nil {
			// Only the one-pending-request-per-address index can be violated here.
			if mapped := mapErr(err, ""); portal.ErrorCode(mapped) == portal.ECONFLICT {
				return portal.Errorf(portal.ECONFLICT, "register.email_pending")
			}
			return err
		}
		return s.insertOutbox(ctx, tx, mails...)
	}), "create registration")
}

const registrationColumns = `r.id, r.account_id, a.name, r.email, r.name, r.time_zone, r.country_code, r.phone,
	r.mobile, r.contact_method, r.otp_method, r.language, r.state, r.reason, coalesce(d.name, ''),
	r.decided_at, r.created_at, r.expires_at`

const registrationFrom = ` FROM registrations r JOIN accounts a ON a.id = r.account_id LEFT JOIN users d ON d.id = r.decided_by`

func scanRegistration(row pgx.Row) (*portal.Registration, error) {
	var r portal.Registration
	err := row.Scan(&r.ID, &r.AccountID, &r.AccountName, &r.Email, &r.Name, &r.TimeZone, &r.CountryCode,
		&r.Phone, &r.Mobile, &r.ContactMethod, &r.OTPMethod, &r.Language, &r.State, &r.Reason,
		&r.DecidedByName, &r.DecidedAt, &r.CreatedAt, &r.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// RegistrationByToken returns the request behind an approval link, whatever
// its state. Returns ENOTFOUND if the token is unknown.
func (s *Store) RegistrationByToken(ctx context.Context, tokenHash []byte) (*portal.Registration, error) {
	r, err := scanRegistration(s.pool.QueryRow(ctx, `SELECT `+registrationColumns+registrationFrom+` WHERE r.token_hash = $1`, tokenHash))
	return r, mapErr(err, "registration by token")
}

// Registrations lists an account's requests, pending first, newest first.
func (s *Store) Registrations(ctx context.Context, accountID int64, limit int) ([]*portal.Registration, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+registrationColumns+registrationFrom+` WHERE r.account_id = $1
		ORDER BY (r.state = 'requested') DESC, r.created_at DESC LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, mapErr(err, "registrations")
	}
	regs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*portal.Registration, error) { return scanRegistration(r) })
	return regs, mapErr(err, "registrations")
}

// Decision is an approver's answer to a registration request.
type Decision struct {
	RegistrationID int64
	Approve        bool
	Reason         string // rejection reason, sent to the registrant
	Decider        *portal.User
	IP             string
	// On approval: the welcome link's token hash and expiry.
	WelcomeHash    []byte
	WelcomeExpires time.Time
	// Mail builds the registrant's e-mail once the outcome is certain.
	Mail func(r *portal.Registration) Mail
}

// DecideRegistration approves or rejects a request exactly once: the row is
// locked, so when two approvers decide at once one wins and the other gets
// EGONE with "approval.already_decided". Approval creates the contact (with no
// password yet) and a welcome link. Returns ENOTFOUND if the request is not
// the decider's organization's.
func (s *Store) DecideRegistration(ctx context.Context, d Decision) (*portal.Registration, error) {
	var reg *portal.Registration
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		reg, err = scanRegistration(tx.QueryRow(ctx, `SELECT `+registrationColumns+registrationFrom+`
			WHERE r.id = $1 FOR UPDATE OF r`, d.RegistrationID))
		if err != nil {
			return err
		}
		if !d.Decider.CanDecideRegistrations(reg.AccountID) {
			return pgx.ErrNoRows
		}
		now := s.now()
		if reg.State != portal.RegistrationRequested {
			return portal.Errorf(portal.EGONE, "approval.already_decided")
		}
		if !now.Before(reg.ExpiresAt) {
			return portal.Errorf(portal.EGONE, "approval.expired")
		}
		state := portal.RegistrationRejected
		var userID *int64
		if d.Approve {
			state = portal.RegistrationApproved
			id, err := insertUser(ctx, tx, NewUser{
				AccountID: reg.AccountID, Email: reg.Email, Name: reg.Name, Role: portal.RoleCustomer,
				Status: portal.StatusInvited, OTPMethod: reg.OTPMethod, TimeZone: reg.TimeZone,
				CountryCode: reg.CountryCode, Phone: reg.Phone, Mobile: reg.Mobile,
				ContactMethod: reg.ContactMethod, Language: reg.Language,
			})
			if err != nil {
				if portal.ErrorCode(mapErr(err, "")) == portal.ECONFLICT {
					return portal.Errorf(portal.ECONFLICT, "register.email_taken")
				}
				return err
			}
			userID = &id
			if err := insertToken(ctx, tx, id, portal.TokenWelcome, d.WelcomeHash, d.WelcomeExpires); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE registrations SET state = $2, reason = $3, decided_by = $4, decided_at = $5,
			user_id = $6 WHERE id = $1`, reg.ID, state, d.Reason, d.Decider.ID, now, userID); err != nil {
			return err
		}
		reg.State, reg.Reason, reg.DecidedAt, reg.DecidedByName = state, d.Reason, &now, d.Decider.Name
		action := "registration.reject"
		if d.Approve {
			action = "registration.approve"
		}
		if err := insertAudit(ctx, tx, Audit{ActorID: d.Decider.ID, AccountID: reg.AccountID, TargetUserID: derefID(userID),
			Action: action, IP: d.IP, Detail: map[string]any{"registration_id": reg.ID, "email": reg.Email}}); err != nil {
			return err
		}
		if d.Mail != nil {
			return s.insertOutbox(ctx, tx, d.Mail(reg))
		}
		return nil
	})
	return reg, mapErr(err, "decide registration")
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
