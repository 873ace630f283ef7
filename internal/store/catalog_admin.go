package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"madoguchi/internal/portal"
)

// Staff administration: the catalog as administrators edit it (retired
// entries included), staff users, and the versions of the terms of use.
// Every change writes its audit entry in the same transaction.

// conflictOn turns a unique violation of one of the named indexes into an
// ECONFLICT for the form field beside it, so the message can be shown there.
func conflictOn(err error, fields map[string]string, message string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		if f, ok := fields[pgErr.ConstraintName]; ok {
			return &portal.Error{Code: portal.ECONFLICT, Field: f, Message: message}
		}
	}
	return err
}

// AllProducts returns every product, retired ones too, by name.
func (s *Store) AllProducts(ctx context.Context) ([]portal.Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productColumns+` FROM products ORDER BY name, id`)
	if err != nil {
		return nil, mapErr(err, "all products")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (portal.Product, error) {
		p, err := scanProduct(row)
		if err != nil {
			return portal.Product{}, err
		}
		return *p, nil
	})
	return out, mapErr(err, "all products")
}

var productNameKey = map[string]string{"products_name_key": "name"}

// AddProduct adds an active product and records "catalog.product_create".
// Returns ECONFLICT for the field "name" ("catalog_admin.product_name_taken")
// if a product of that name exists.
func (s *Store) AddProduct(ctx context.Context, name string, versions, oses []string, audit Audit) (*portal.Product, error) {
	versions, oses = nonNil(versions), nonNil(oses)
	var p *portal.Product
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = scanProduct(tx.QueryRow(ctx, `INSERT INTO products (name, versions, oses) VALUES ($1, $2, $3)
			RETURNING `+productColumns, name, versions, oses))
		if err != nil {
			return conflictOn(err, productNameKey, "catalog_admin.product_name_taken")
		}
		audit.Detail = map[string]any{"product_id": p.ID, "name": name, "versions": versions, "os": oses}
		return insertAudit(ctx, tx, audit)
	})
	return p, mapErr(err, "add product")
}

// UpdateProduct renames a product, replaces its versions and operating
// systems and sets whether new cases may be filed for it; cases already
// filed keep their product, version and OS. Records "catalog.product_update"
// with what changed. Returns ENOTFOUND for an unknown product and ECONFLICT
// for the field "name" if another product has the name.
func (s *Store) UpdateProduct(ctx context.Context, id int64, name string, versions, oses []string, active bool, audit Audit) error {
	versions, oses = nonNil(versions), nonNil(oses)
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanProduct(tx.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE products SET name = $2, versions = $3, oses = $4, active = $5 WHERE id = $1`,
			id, name, versions, oses, active); err != nil {
			return conflictOn(err, productNameKey, "catalog_admin.product_name_taken")
		}
		detail := map[string]any{"product_id": id, "name": name}
		if old.Name != name {
			detail["old_name"] = old.Name
		}
		if !equalStrings(old.Versions, versions) {
			detail["versions"] = versions
		}
		if !equalStrings(old.OSes, oses) {
			detail["os"] = oses
		}
		if old.Active != active {
			detail["active"] = active
		}
		audit.Detail = detail
		return insertAudit(ctx, tx, audit)
	}), fmt.Sprintf("update product %d", id))
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// CatalogCategory is a category as administrators see it.
type CatalogCategory struct {
	portal.Category
	Sort   int
	Active bool
}

// CatalogProblem is a problem as administrators see it.
type CatalogProblem struct {
	portal.Problem
	Sort   int
	Active bool
}

// CatalogCategories returns every category, retired ones too, in sort order.
func (s *Store) CatalogCategories(ctx context.Context) ([]CatalogCategory, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name_en, name_ja, sort, active FROM categories ORDER BY sort, id`)
	if err != nil {
		return nil, mapErr(err, "catalog categories")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CatalogCategory, error) {
		var c CatalogCategory
		err := row.Scan(&c.ID, &c.NameEN, &c.NameJA, &c.Sort, &c.Active)
		return c, err
	})
	return out, mapErr(err, "catalog categories")
}

// CatalogCategory returns one category. Returns ENOTFOUND if there is none.
func (s *Store) CatalogCategory(ctx context.Context, id int64) (*CatalogCategory, error) {
	var c CatalogCategory
	err := s.pool.QueryRow(ctx, `SELECT id, name_en, name_ja, sort, active FROM categories WHERE id = $1`, id).
		Scan(&c.ID, &c.NameEN, &c.NameJA, &c.Sort, &c.Active)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("category %d", id))
	}
	return &c, nil
}

// CatalogProblems returns every problem, retired ones too, grouped by
// category in the categories' order, each group in its sort order.
func (s *Store) CatalogProblems(ctx context.Context) ([]CatalogProblem, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.category_id, p.name_en, p.name_ja, p.sort, p.active
		FROM problems p JOIN categories c ON c.id = p.category_id
		ORDER BY c.sort, c.id, p.sort, p.id`)
	if err != nil {
		return nil, mapErr(err, "catalog problems")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CatalogProblem, error) {
		var p CatalogProblem
		err := row.Scan(&p.ID, &p.CategoryID, &p.NameEN, &p.NameJA, &p.Sort, &p.Active)
		return p, err
	})
	return out, mapErr(err, "catalog problems")
}

// CatalogProblem returns one problem. Returns ENOTFOUND if there is none.
func (s *Store) CatalogProblem(ctx context.Context, id int64) (*CatalogProblem, error) {
	var p CatalogProblem
	err := s.pool.QueryRow(ctx, `SELECT id, category_id, name_en, name_ja, sort, active FROM problems WHERE id = $1`, id).
		Scan(&p.ID, &p.CategoryID, &p.NameEN, &p.NameJA, &p.Sort, &p.Active)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("problem %d", id))
	}
	return &p, nil
}

var (
	categoryNameKeys = map[string]string{"categories_name_en_key": "name_en", "categories_name_ja_key": "name_ja"}
	problemNameKeys  = map[string]string{"problems_name_en_key": "name_en", "problems_name_ja_key": "name_ja"}
)

// AddCategory adds an active category and records "catalog.category_create".
// Returns ECONFLICT for the field "name_en" or "name_ja" if another category
// has that name.
func (s *Store) AddCategory(ctx context.Context, nameEN, nameJA string, sort int, audit Audit) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO categories (name_en, name_ja, sort) VALUES ($1, $2, $3) RETURNING id`,
			nameEN, nameJA, sort).Scan(&id); err != nil {
			return conflictOn(err, categoryNameKeys, "catalog_admin.category_name_taken")
		}
		audit.Detail = map[string]any{"category_id": id, "name_en": nameEN, "name_ja": nameJA, "sort": sort}
		return insertAudit(ctx, tx, audit)
	})
	return id, mapErr(err, "add category")
}

// UpdateCategory renames, reorders, retires or restores a category and
// records "catalog.category_update". A retired category and its problems are
// no longer offered for new cases; existing cases keep them. Returns
// ENOTFOUND for an unknown category and ECONFLICT for "name_en" or "name_ja".
func (s *Store) UpdateCategory(ctx context.Context, id int64, nameEN, nameJA string, sort int, active bool, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE categories SET name_en = $2, name_ja = $3, sort = $4, active = $5 WHERE id = $1`,
			id, nameEN, nameJA, sort, active)
		if err != nil {
			return conflictOn(err, categoryNameKeys, "catalog_admin.category_name_taken")
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		audit.Detail = map[string]any{"category_id": id, "name_en": nameEN, "name_ja": nameJA, "sort": sort, "active": active}
		return insertAudit(ctx, tx, audit)
	}), fmt.Sprintf("update category %d", id))
}

// AddProblem adds an active problem to a category and records
// "catalog.problem_create". Returns ENOTFOUND if the category does not exist
// and ECONFLICT for "name_en" or "name_ja" if the category has a problem of
// that name.
func (s *Store) AddProblem(ctx context.Context, categoryID int64, nameEN, nameJA string, sort int, audit Audit) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO problems (category_id, name_en, name_ja, sort)
			SELECT id, $2, $3, $4 FROM categories WHERE id = $1 RETURNING id`,
			categoryID, nameEN, nameJA, sort).Scan(&id); err != nil {
			return conflictOn(err, problemNameKeys, "catalog_admin.problem_name_taken")
		}
		audit.Detail = map[string]any{"category_id": categoryID, "problem_id": id, "name_en": nameEN, "name_ja": nameJA, "sort": sort}
		return insertAudit(ctx, tx, audit)
	})
	return id, mapErr(err, "add problem")
}

// UpdateProblem renames, reorders, retires or restores a problem and records
// "catalog.problem_update". Returns ENOTFOUND for an unknown problem and
// ECONFLICT for "name_en" or "name_ja".
func (s *Store) UpdateProblem(ctx context.Context, id int64, nameEN, nameJA string, sort int, active bool, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		var categoryID int64
		err := tx.QueryRow(ctx, `UPDATE problems SET name_en = $2, name_ja = $3, sort = $4, active = $5 WHERE id = $1
			RETURNING category_id`, id, nameEN, nameJA, sort, active).Scan(&categoryID)
		if err != nil {
			return conflictOn(err, problemNameKeys, "catalog_admin.problem_name_taken")
		}
		audit.Detail = map[string]any{"category_id": categoryID, "problem_id": id, "name_en": nameEN, "name_ja": nameJA,
			"sort": sort, "active": active}
		return insertAudit(ctx, tx, audit)
	}), fmt.Sprintf("update problem %d", id))
}

// StaffMember is an agent or administrator as the staff page lists them.
type StaffMember struct {
	ID         int64
	Name       string
	Email      string
	Role       portal.Role
	Status     portal.UserStatus
	OTPMethod  portal.OTPMethod
	MFAPaired  bool
	MustChange bool
	CreatedAt  time.Time
}

// maxStaffListed bounds the staff page; a vendor's support team is far
// smaller.
const maxStaffListed = 500

// StaffMembers lists agents and administrators by name, at most 500.
func (s *Store) StaffMembers(ctx context.Context) ([]StaffMember, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, email, role, status, otp_method, mfa_enrolled_at IS NOT NULL,
			must_change_password, created_at
		FROM users WHERE role <> 'customer' ORDER BY name, id LIMIT $1`, maxStaffListed)
	if err != nil {
		return nil, mapErr(err, "staff members")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (StaffMember, error) {
		var m StaffMember
		err := row.Scan(&m.ID, &m.Name, &m.Email, &m.Role, &m.Status, &m.OTPMethod, &m.MFAPaired, &m.MustChange, &m.CreatedAt)
		return m, err
	})
	return out, mapErr(err, "staff members")
}

// lockStaff serializes changes to staff roles and status, so that two
// administrators cannot each demote or disable a different last admin.
func lockStaff(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('madoguchi.staff'))`)
	return err
}

func activeAdmins(ctx context.Context, db dbtx) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active'`).Scan(&n)
	return n, err
}

// staffFor locks a staff member's row; a customer contact is not found.
func staffFor(ctx context.Context, tx pgx.Tx, userID int64) (portal.Role, portal.UserStatus, error) {
	var role portal.Role
	var status portal.UserStatus
	err := tx.QueryRow(ctx, `SELECT role, status FROM users WHERE id = $1 AND role <> 'customer' FOR UPDATE`, userID).
		Scan(&role, &status)
	return role, status, err
}

// SetStaffStatus disables or re-enables an agent or administrator. Disabling
// ends their sessions at once (the session epoch moves on). Returns
// ENOTFOUND if userID is not staff, EINVALID with "catalog_admin.invited" for
// someone who has not used their welcome link, and EINVALID with
// "catalog_admin.last_admin" when it would leave no active administrator.
func (s *Store) SetStaffStatus(ctx context.Context, userID int64, status portal.UserStatus, audit Audit) error {
	if status != portal.StatusActive && status != portal.StatusDisabled {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockStaff(ctx, tx); err != nil {
			return err
		}
		role, current, err := staffFor(ctx, tx, userID)
		if err != nil {
			return err
		}
		if current == portal.StatusInvited {
			return portal.Errorf(portal.EINVALID, "catalog_admin.invited")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET status = $2, session_epoch = session_epoch + 1, updated_at = now()
			WHERE id = $1`, userID, status); err != nil {
			return err
		}
		if role == portal.RoleAdmin && status == portal.StatusDisabled {
			if n, err := activeAdmins(ctx, tx); err != nil {
				return err
			} else if n == 0 {
				return portal.Errorf(portal.EINVALID, "catalog_admin.last_admin")
			}
		}
		audit.TargetUserID = userID
		audit.Detail = map[string]any{"status": status, "role": role}
		return insertAudit(ctx, tx, audit)
	}), "set staff status")
}

// SetStaffRole makes a staff member an agent or an administrator and
// records "user.role". The role is read with the user on every request, so
// it takes effect at their next page without ending their sessions. Returns ENOTFOUND if
// userID is not staff and EINVALID with "catalog_admin.last_admin" when it
// would leave no active administrator.
func (s *Store) SetStaffRole(ctx context.Context, userID int64, role portal.Role, audit Audit) error {
	if !role.Staff() {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockStaff(ctx, tx); err != nil {
			return err
		}
		old, _, err := staffFor(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old == role {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, userID, role); err != nil {
			return err
		}
		if n, err := activeAdmins(ctx, tx); err != nil {
			return err
		} else if n == 0 {
			return portal.Errorf(portal.EINVALID, "catalog_admin.last_admin")
		}
		audit.TargetUserID = userID
		audit.Detail = map[string]any{"from": old, "to": role}
		return insertAudit(ctx, tx, audit)
	}), "set staff role")
}

// TermsVersion is one published version of the terms of use.
type TermsVersion struct {
	Version     int
	PublishedAt time.Time
	BodyEN      string
	BodyJA      string
}

// maxTermsListed bounds the terms page; versions are published a few times a
// year at most.
const maxTermsListed = 200

// TermsVersions lists the versions of the terms of use, newest first,
// without their text.
func (s *Store) TermsVersions(ctx context.Context) ([]TermsVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, published_at FROM terms_versions
		ORDER BY version DESC LIMIT $1`, maxTermsListed)
	if err != nil {
		return nil, mapErr(err, "terms versions")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TermsVersion, error) {
		var v TermsVersion
		err := row.Scan(&v.Version, &v.PublishedAt)
		return v, err
	})
	return out, mapErr(err, "terms versions")
}

// TermsByVersion returns one version with its text. Returns ENOTFOUND if
// there is none.
func (s *Store) TermsByVersion(ctx context.Context, version int) (*TermsVersion, error) {
	var v TermsVersion
	err := s.pool.QueryRow(ctx, `SELECT version, published_at, body_en, body_ja FROM terms_versions WHERE version = $1`,
		version).Scan(&v.Version, &v.PublishedAt, &v.BodyEN, &v.BodyJA)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("terms %d", version))
	}
	return &v, nil
}

// PublishTerms publishes a new version of the terms of use, numbered after
// the newest, and records "terms.publish". Everyone who has accepted an
// older version is asked to accept it at their next request (the sign-in
// steps compare each user's accepted version with the newest).
func (s *Store) PublishTerms(ctx context.Context, bodyEN, bodyJA string, audit Audit) (int, error) {
	var version int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Two administrators publishing at once get consecutive versions
		// rather than a conflict on the number.
		if _, err := tx.Exec(ctx, `LOCK TABLE terms_versions IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		// published_at is the database's clock, which the sign-in steps
		// compare it with.
		if err := tx.QueryRow(ctx, `INSERT INTO terms_versions (version, body_en, body_ja)
			SELECT coalesce(max(version), 0) + 1, $1, $2 FROM terms_versions RETURNING version`,
			bodyEN, bodyJA).Scan(&version); err != nil {
			return err
		}
		audit.Detail = map[string]any{"version": version}
		return insertAudit(ctx, tx, audit)
	})
	return version, mapErr(err, "publish terms")
}

// ResendStaffInvitation replaces the welcome link of an agent or
// administrator who has not used theirs yet, writes the new mail and records
// the audit entry. Returns ENOTFOUND if userID is not staff and EINVALID with
// "catalog_admin.not_invited" if they have already set a password.
func (s *Store) ResendStaffInvitation(ctx context.Context, userID int64, hash []byte, expires time.Time, mail Mail, audit Audit) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error {
		_, status, err := staffFor(ctx, tx, userID)
		if err != nil {
			return err
		}
		if status != portal.StatusInvited {
			return portal.Errorf(portal.EINVALID, "catalog_admin.not_invited")
		}
		if err := insertToken(ctx, tx, userID, portal.TokenWelcome, hash, expires); err != nil {
			return err
		}
		audit.TargetUserID = userID
		if err := insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mail)
	}), "resend staff invitation")
}
