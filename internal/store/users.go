package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// userColumns are read by scanUser, in this order. The current terms version
// is read with the user because every signed-in request needs both.
const userColumns = `u.id, coalesce(u.account_id, 0), coalesce(a.name, ''), u.email, u.name, u.role,
	u.is_approver, u.is_account_admin, u.status, u.password_hash, u.must_change_password,
	u.otp_method, u.totp_secret, u.totp_last_step, u.mfa_enrolled_at, u.otp_failures,
	u.otp_locked_until, u.terms_version, u.time_zone, u.country_code, u.phone, u.mobile,
	u.contact_method, u.language, u.session_epoch, coalesce(a.mfa_required, true), u.created_at,
	(SELECT coalesce(max(version), 0) FROM terms_versions WHERE published_at <= now())`

const userFrom = ` FROM users u LEFT JOIN accounts a ON a.id = u.account_id`

func scanUser(row pgx.Row) (*portal.User, error) {
	var u portal.User
	err := row.Scan(&u.ID, &u.AccountID, &u.AccountName, &u.Email, &u.Name, &u.Role,
		&u.IsApprover, &u.IsAccountAdmin, &u.Status, &u.PasswordHash, &u.MustChangePassword,
		&u.OTPMethod, &u.TOTPSecret, &u.TOTPLastStep, &u.MFAEnrolledAt, &u.OTPFailures,
		&u.OTPLockedUntil, &u.TermsVersion, &u.TimeZone, &u.CountryCode, &u.Phone, &u.Mobile,
		&u.ContactMethod, &u.Language, &u.SessionEpoch, &u.MFARequired, &u.CreatedAt, &u.CurrentTerms)
	if err != nil {
		return nil, err
	}
	if u.Role.Staff() {
		u.MFARequired = true
	}
	return &u, nil
}

// UserByID returns the user with id. Returns ENOTFOUND if there is none.
func (s *Store) UserByID(ctx context.Context, id int64) (*portal.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+userFrom+` WHERE u.id = $1`, id))
	return u, mapErr(err, fmt.Sprintf("user %d", id))
}

// UserByEmail returns the user with the (normalized) address email.
// Returns ENOTFOUND if there is none.
func (s *Store) UserByEmail(ctx context.Context, email string) (*portal.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+userFrom+` WHERE lower(u.email) = lower($1)`, email))
	return u, mapErr(err, "user by email")
}

// NewUser is what creating a user needs.
type NewUser struct {
	AccountID          int64 // 0 for staff
	Email              string
	Name               string
	Role               portal.Role
	IsApprover         bool
	IsAccountAdmin     bool
	Status             portal.UserStatus
	PasswordHash       string
	MustChangePassword bool
	OTPMethod          portal.OTPMethod
	TimeZone           string
	CountryCode        string
	Phone              string
	Mobile             string
	ContactMethod      string
	Language           string
}

// CreateUser adds a user. Returns ECONFLICT if the address is taken.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*portal.User, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = insertUser(ctx, tx, nu)
		return err
	})
	if err != nil {
		return nil, mapErr(err, "create user")
	}
	return s.UserByID(ctx, id)
}

func insertUser(ctx context.Context, db dbtx, nu NewUser) (int64, error) {
	if nu.Status == "" {
		nu.Status = portal.StatusActive
	}
	if nu.OTPMethod == "" {
		nu.OTPMethod = portal.OTPEmail
	}
	if nu.TimeZone == "" {
		nu.TimeZone = "Asia/Tokyo"
	}
	if nu.ContactMethod == "" {
		nu.ContactMethod = "portal"
	}
	var accountID *int64
	if nu.AccountID != 0 {
		accountID = &nu.AccountID
	}
	var id int64
	err := db.QueryRow(ctx, `INSERT INTO users (account_id, email, name, role, is_approver, is_account_admin,
			status, password_hash, must_change_password, otp_method, time_zone, country_code, phone, mobile,
			contact_method, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id`,
		accountID, nu.Email, nu.Name, nu.Role, nu.IsApprover, nu.IsAccountAdmin,
		nu.Status, nu.PasswordHash, nu.MustChangePassword, nu.OTPMethod, nu.TimeZone, nu.CountryCode,
		nu.Phone, nu.Mobile, nu.ContactMethod, nu.Language).Scan(&id)
	return id, err
}

// SetPassword stores a new password hash and ends every other session of the
// user (the caller renews its own). mustChange marks a temporary password.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := setPassword(ctx, tx, userID, hash, mustChange); err != nil {
			return err
		}
		audit.TargetUserID = userID
		return insertAudit(ctx, tx, audit)
	}), "set password")
}

func setPassword(ctx context.Context, db dbtx, userID int64, hash string, mustChange bool) error {
	// Having a password ends a pending invitation.
	tag, err := db.Exec(ctx, `UPDATE users SET password_hash = $2, must_change_password = $3,
		status = CASE WHEN status = 'invited' THEN 'active' ELSE status END,
		session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1`, userID, hash, mustChange)
	if err == nil && tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	return err
}

// Profile is what a user edits on their account page.
type Profile struct {
	Name          string
	TimeZone      string
	CountryCode   string
	Phone         string
	Mobile        string
	ContactMethod string
	Language      string
}

// UpdateProfile saves the user's own settings.
func (s *Store) UpdateProfile(ctx context.Context, userID int64, p Profile) error {
	_, err := s.pool.Exec(ctx, `UPDATE users SET name = $2, time_zone = $3, country_code = $4, phone = $5,
		mobile = $6, contact_method = $7, language = $8, updated_at = now() WHERE id = $1`,
		userID, p.Name, p.TimeZone, p.CountryCode, p.Phone, p.Mobile, p.ContactMethod, p.Language)
	return mapErr(err, "update profile")
}

// SetLanguage remembers the language a user chose with the switcher.
func (s *Store) SetLanguage(ctx context.Context, userID int64, lang string) error {
	_, err := s.pool.Exec(ctx, `UPDATE users SET language = $2, updated_at = now() WHERE id = $1`, userID, lang)
	return mapErr(err, "set language")
}

// CurrentTerms returns the newest published terms of use.
func (s *Store) CurrentTerms(ctx context.Context) (version int, bodyEN, bodyJA string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT version, body_en, body_ja FROM terms_versions
		WHERE published_at <= now() ORDER BY version DESC LIMIT 1`).Scan(&version, &bodyEN, &bodyJA)
	if err == pgx.ErrNoRows {
		return 0, "", "", nil
	}
	return version, bodyEN, bodyJA, mapErr(err, "current terms")
}

// AcceptTerms records that the user accepted terms version v.
func (s *Store) AcceptTerms(ctx context.Context, userID int64, v int, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET terms_version = $2, terms_accepted_at = now(), updated_at = now()
			WHERE id = $1`, userID, v); err != nil {
			return err
		}
		audit.TargetUserID = userID
		audit.Detail = map[string]any{"version": v}
		return insertAudit(ctx, tx, audit)
	}), "accept terms")
}

// SetContactRoles names or unnames a contact as approver and account
// administrator. The account must keep at least one active approver, or
// nobody could register: removing the approver role from the last active
// approver returns EINVALID with "contacts.last_approver". Returns ENOTFOUND
// if userID is not a contact of accountID.
func (s *Store) SetContactRoles(ctx context.Context, accountID, userID int64, approver, admin bool, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		// The account row is the lock for changes to its contacts' roles and
		// status, so two administrators cannot each remove a different last
		// approver.
		if err := lockAccount(ctx, tx, accountID); err != nil {
			return err
		}
		var wasApprover bool
		var status portal.UserStatus
		if err := tx.QueryRow(ctx, `SELECT is_approver, status FROM users WHERE id = $2 AND account_id = $1`,
			accountID, userID).Scan(&wasApprover, &status); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET is_approver = $3, is_account_admin = $4, updated_at = now()
			WHERE id = $2 AND account_id = $1`, accountID, userID, approver, admin); err != nil {
			return err
		}
		if wasApprover && !approver && status == portal.StatusActive {
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
		audit.Detail = map[string]any{"approver": approver, "account_admin": admin}
		return insertAudit(ctx, tx, audit)
	}), "set contact roles")
}

// AccountUsers lists the contacts of an account, by name.
func (s *Store) AccountUsers(ctx context.Context, accountID int64) ([]*portal.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+userFrom+` WHERE u.account_id = $1 ORDER BY u.name, u.id`, accountID)
	if err != nil {
		return nil, mapErr(err, "account users")
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*portal.User, error) { return scanUser(r) })
	return users, mapErr(err, "account users")
}

// Approvers lists the active registration approvers of accountID: the
// contacts who are e-mailed each registration request.
func (s *Store) Approvers(ctx context.Context, accountID int64) ([]*portal.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+userFrom+` WHERE u.account_id = $1
		AND u.status = 'active' AND u.is_approver ORDER BY u.id`, accountID)
	if err != nil {
		return nil, mapErr(err, "approvers")
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*portal.User, error) { return scanUser(r) })
	return users, mapErr(err, "approvers")
}
