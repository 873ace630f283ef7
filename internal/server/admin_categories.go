package server

import (
	"net/http"
	"strconv"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

var catalogEntryFields = []string{"name_en", "name_ja", "sort", "active"}

type adminCategoriesPage struct {
	Base
	Categories []adminCategoryRow
	Form       Form // a new category
	// ProblemForm is a new problem of category ProblemFor that was refused.
	ProblemFor  int64
	ProblemForm Form
}

type adminCategoryRow struct {
	ID       int64
	NameEN   string
	NameJA   string
	Sort     int
	Active   bool
	Problems []adminProblemRow
	Form     Form // the add-a-problem form of this category
}

type adminProblemRow struct {
	ID     int64
	NameEN string
	NameJA string
	Sort   int
	Active bool
}

type adminCategoryEditPage struct {
	Base
	ID       int64
	Title    string // the saved name in the page's language
	Category string // for a problem: its category's name
	Action   string
	Back     string
	Form     Form
}

// adminCategories lists every category with its problems in sort order,
// retired ones too, with the forms to add categories and problems.
func (s *Server) adminCategories(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminCategories(w, r, http.StatusOK, Form{}, 0, Form{})
}

func (s *Server) renderAdminCategories(w http.ResponseWriter, r *http.Request, status int, form Form, problemFor int64, problemForm Form) error {
	ctx := r.Context()
	cats, err := s.store.CatalogCategories(ctx)
	if err != nil {
		return err
	}
	problems, err := s.store.CatalogProblems(ctx)
	if err != nil {
		return err
	}
	page := adminCategoriesPage{Base: s.base(r), Form: form, ProblemFor: problemFor, ProblemForm: problemForm}
	index := make(map[int64]int, len(cats))
	for _, c := range cats {
		index[c.ID] = len(page.Categories)
		row := adminCategoryRow{ID: c.ID, NameEN: c.NameEN, NameJA: c.NameJA, Sort: c.Sort, Active: c.Active}
		if c.ID == problemFor {
			row.Form = problemForm
		}
		page.Categories = append(page.Categories, row)
	}
	for _, p := range problems {
		if i, ok := index[p.CategoryID]; ok {
			page.Categories[i].Problems = append(page.Categories[i].Problems,
				adminProblemRow{ID: p.ID, NameEN: p.NameEN, NameJA: p.NameJA, Sort: p.Sort, Active: p.Active})
		}
	}
	return s.render(w, r, status, "admin_categories", page)
}

// catalogEntryInput validates the names and sort position of a category or
// problem.
func catalogEntryInput(form Form) (nameEN, nameJA string, sort int, fe portal.FieldErrors) {
	nameEN = caName(&fe, "name_en", form.Get("name_en"))
	nameJA = caName(&fe, "name_ja", form.Get("name_ja"))
	sort = caSort(&fe, "sort", form.Get("sort"))
	return nameEN, nameJA, sort, fe
}

// caFieldErrors returns the field messages of a store error, or the error
// itself when it is not about fields.
func caFieldErrors(err error) (portal.FieldErrors, error) {
	if err == nil {
		return nil, nil
	}
	if fe, ok := portal.AsFieldErrors(err); ok {
		return fe, nil
	}
	return nil, err
}

// adminCategoryCreate adds a category of problems.
func (s *Server) adminCategoryCreate(w http.ResponseWriter, r *http.Request) error {
	form, err := caParse(w, r, caFormMax, catalogEntryFields...)
	if err != nil {
		return err
	}
	en, ja, sort, fe := catalogEntryInput(form)
	if fe == nil {
		_, err := s.store.AddCategory(r.Context(), en, ja, sort, caAudit(r, "catalog.category_create"))
		if fe, err = caFieldErrors(err); err != nil {
			return err
		}
	}
	if fe != nil {
		form.Errors = fe
		return s.renderAdminCategories(w, r, http.StatusUnprocessableEntity, form, 0, Form{})
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.category_created")
	return seeOther(w, r, "/admin/categories")
}

func entryForm(nameEN, nameJA string, sort int, active bool) Form {
	f := Form{Values: map[string]string{"name_en": nameEN, "name_ja": nameJA, "sort": strconv.Itoa(sort)}}
	if active {
		f.Values["active"] = "1"
	}
	return f
}

func (s *Server) categoryEditPage(r *http.Request, c *store.CatalogCategory, form Form) adminCategoryEditPage {
	b := s.base(r)
	return adminCategoryEditPage{Base: b, ID: c.ID, Title: c.Name(b.Lang), Form: form,
		Action: "/admin/categories/" + itoa(c.ID), Back: "/admin/categories#category-" + itoa(c.ID)}
}

// adminCategoryEdit shows a category's form.
func (s *Server) adminCategoryEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := caID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.CatalogCategory(r.Context(), id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_categories_edit",
		s.categoryEditPage(r, c, entryForm(c.NameEN, c.NameJA, c.Sort, c.Active)))
}

// adminCategoryUpdate renames, reorders, retires or restores a category.
func (s *Server) adminCategoryUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := caID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.CatalogCategory(r.Context(), id)
	if err != nil {
		return err
	}
	form, err := caParse(w, r, caFormMax, catalogEntryFields...)
	if err != nil {
		return err
	}
	en, ja, sort, fe := catalogEntryInput(form)
	if fe == nil {
		err := s.store.UpdateCategory(r.Context(), id, en, ja, sort, form.Get("active") == "1", caAudit(r, "catalog.category_update"))
		if fe, err = caFieldErrors(err); err != nil {
			return err
		}
	}
	if fe != nil {
		form.Errors = fe
		return s.render(w, r, http.StatusUnprocessableEntity, "admin_categories_edit", s.categoryEditPage(r, c, form))
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.category_saved")
	return seeOther(w, r, "/admin/categories#category-"+itoa(id))
}

// adminProblemCreate adds a problem to a category.
func (s *Server) adminProblemCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := caID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.CatalogCategory(r.Context(), id); err != nil {
		return err
	}
	form, err := caParse(w, r, caFormMax, catalogEntryFields...)
	if err != nil {
		return err
	}
	en, ja, sort, fe := catalogEntryInput(form)
	if fe == nil {
		_, err := s.store.AddProblem(r.Context(), id, en, ja, sort, caAudit(r, "catalog.problem_create"))
		if fe, err = caFieldErrors(err); err != nil {
			return err
		}
	}
	if fe != nil {
		form.Errors = fe
		return s.renderAdminCategories(w, r, http.StatusUnprocessableEntity, Form{}, id, form)
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.problem_created")
	return seeOther(w, r, "/admin/categories#category-"+itoa(id))
}

func (s *Server) problemEditPage(r *http.Request, p *store.CatalogProblem, c *store.CatalogCategory, form Form) adminCategoryEditPage {
	b := s.base(r)
	return adminCategoryEditPage{Base: b, ID: p.ID, Title: p.Name(b.Lang), Category: c.Name(b.Lang), Form: form,
		Action: "/admin/problems/" + itoa(p.ID), Back: "/admin/categories#category-" + itoa(c.ID)}
}

// problemOf returns the problem in the URL and its category.
func (s *Server) problemOf(r *http.Request) (*store.CatalogProblem, *store.CatalogCategory, error) {
	id, err := caID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	p, err := s.store.CatalogProblem(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.store.CatalogCategory(r.Context(), p.CategoryID)
	return p, c, err
}

// adminProblemEdit shows a problem's form.
func (s *Server) adminProblemEdit(w http.ResponseWriter, r *http.Request) error {
	p, c, err := s.problemOf(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_categories_problem",
		s.problemEditPage(r, p, c, entryForm(p.NameEN, p.NameJA, p.Sort, p.Active)))
}

// adminProblemUpdate renames, reorders, retires or restores a problem.
func (s *Server) adminProblemUpdate(w http.ResponseWriter, r *http.Request) error {
	p, c, err := s.problemOf(r)
	if err != nil {
		return err
	}
	form, err := caParse(w, r, caFormMax, catalogEntryFields...)
	if err != nil {
		return err
	}
	en, ja, sort, fe := catalogEntryInput(form)
	if fe == nil {
		err := s.store.UpdateProblem(r.Context(), p.ID, en, ja, sort, form.Get("active") == "1", caAudit(r, "catalog.problem_update"))
		if fe, err = caFieldErrors(err); err != nil {
			return err
		}
	}
	if fe != nil {
		form.Errors = fe
		return s.render(w, r, http.StatusUnprocessableEntity, "admin_categories_problem", s.problemEditPage(r, p, c, form))
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.problem_saved")
	return seeOther(w, r, "/admin/categories#category-"+itoa(c.ID))
}
