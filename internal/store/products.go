package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// The product catalog: products with their versions and operating systems,
// and the categories of problems a case is filed under. It is small (tens of
// rows) and read whole by the create-case form.

const productColumns = `id, name, versions, oses, active`

func scanProduct(row pgx.Row) (*portal.Product, error) {
	var p portal.Product
	if err := row.Scan(&p.ID, &p.Name, &p.Versions, &p.OSes, &p.Active); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateProduct adds an active product with its versions and operating
// systems, kept in the order given. Returns ECONFLICT if a product of that
// name exists.
func (s *Store) CreateProduct(ctx context.Context, name string, versions, oses []string) (*portal.Product, error) {
	if versions == nil {
		versions = []string{}
	}
	if oses == nil {
		oses = []string{}
	}
	p, err := scanProduct(s.pool.QueryRow(ctx, `INSERT INTO products (name, versions, oses) VALUES ($1, $2, $3)
		RETURNING `+productColumns, name, versions, oses))
	return p, mapErr(err, "create product "+name)
}

// Products returns the active products by name.
func (s *Store) Products(ctx context.Context) ([]portal.Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productColumns+` FROM products WHERE active ORDER BY name, id`)
	if err != nil {
		return nil, mapErr(err, "products")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (portal.Product, error) {
		p, err := scanProduct(row)
		if err != nil {
			return portal.Product{}, err
		}
		return *p, nil
	})
	return out, mapErr(err, "products")
}

// ProductByID returns a product, active or not. Returns ENOTFOUND if there is
// none.
func (s *Store) ProductByID(ctx context.Context, id int64) (*portal.Product, error) {
	p, err := scanProduct(s.pool.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	return p, mapErr(err, fmt.Sprintf("product %d", id))
}

// CreateCategory adds a category of problems; sort orders categories in
// lists (then the id).
func (s *Store) CreateCategory(ctx context.Context, nameEN, nameJA string, sort int) (*portal.Category, error) {
	c := portal.Category{NameEN: nameEN, NameJA: nameJA}
	err := s.pool.QueryRow(ctx, `INSERT INTO categories (name_en, name_ja, sort) VALUES ($1, $2, $3) RETURNING id`,
		nameEN, nameJA, sort).Scan(&c.ID)
	if err != nil {
		return nil, mapErr(err, "create category "+nameEN)
	}
	return &c, nil
}

// CreateProblem adds a problem to a category; sort orders the problems of a
// category. Returns ENOTFOUND if the category does not exist.
func (s *Store) CreateProblem(ctx context.Context, categoryID int64, nameEN, nameJA string, sort int) (*portal.Problem, error) {
	p := portal.Problem{CategoryID: categoryID, NameEN: nameEN, NameJA: nameJA}
	err := s.pool.QueryRow(ctx, `INSERT INTO problems (category_id, name_en, name_ja, sort)
		SELECT id, $2, $3, $4 FROM categories WHERE id = $1 RETURNING id`, categoryID, nameEN, nameJA, sort).Scan(&p.ID)
	if err != nil {
		return nil, mapErr(err, "create problem "+nameEN)
	}
	return &p, nil
}

// Categories returns the categories offered for new cases (not retired), in
// their sort order.
func (s *Store) Categories(ctx context.Context) ([]portal.Category, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name_en, name_ja FROM categories WHERE active ORDER BY sort, id`)
	if err != nil {
		return nil, mapErr(err, "categories")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (portal.Category, error) {
		var c portal.Category
		err := row.Scan(&c.ID, &c.NameEN, &c.NameJA)
		return c, err
	})
	return out, mapErr(err, "categories")
}

// Problems returns the problems offered for new cases (neither they nor their
// category retired), grouped by category in the categories' order, each
// group in its own sort order.
func (s *Store) Problems(ctx context.Context) ([]portal.Problem, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.category_id, p.name_en, p.name_ja
		FROM problems p JOIN categories c ON c.id = p.category_id
		WHERE p.active AND c.active
		ORDER BY c.sort, c.id, p.sort, p.id`)
	if err != nil {
		return nil, mapErr(err, "problems")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (portal.Problem, error) {
		var p portal.Problem
		err := row.Scan(&p.ID, &p.CategoryID, &p.NameEN, &p.NameJA)
		return p, err
	})
	return out, mapErr(err, "problems")
}
