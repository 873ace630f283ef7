package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Limits of the catalog forms: names as the CLI takes them, and short lists.
const (
	caNameMax    = 100 // characters in a product, version, OS, category or problem name
	caListMax    = 100 // versions or operating systems of one product
	caFormMax    = 64 << 10
	caSortLimit  = 1_000_000
	caTermsMax   = 100_000 // characters of one language's terms of use
	caFormMaxBig = 512 << 10
)

// caAudit is the audit entry of an administrator's act.
func caAudit(r *http.Request, action string) store.Audit {
	rc := reqCtx(r)
	return store.Audit{ActorID: rc.User.ID, Action: action, IP: rc.IP}
}

// caID reads the numeric id in the URL; anything else is not found.
func caID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound()
	}
	return id, nil
}

// caParse reads a form body of at most limit bytes into a Form of fields.
func caParse(w http.ResponseWriter, r *http.Request, limit int64, fields ...string) (Form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return Form{}, portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	form := Form{Values: map[string]string{}}
	for _, f := range fields {
		form.Values[f] = r.PostForm.Get(f)
	}
	return form, nil
}

// caName checks one catalog name: required, one line, at most caNameMax
// characters (the CLI's rule).
func caName(fe *portal.FieldErrors, field, v string) string {
	n := norm.Text(v)
	switch {
	case n == "":
		fe.Add(field, "catalog_admin.name_required")
	case utf8.RuneCountInString(n) > caNameMax || strings.ContainsAny(n, "\n\t"):
		fe.Add(field, "catalog_admin.name_too_long")
	}
	return n
}

// caList splits versions or operating systems typed one per line or
// separated by commas (a Japanese comma works too), as the CLI's flags are:
// entries trimmed, empty and repeated ones dropped, order kept.
func caList(fe *portal.FieldErrors, field, s string) []string {
	s = strings.NewReplacer("、", ",", "，", ",", "\r\n", ",", "\n", ",", "\r", ",").Replace(s)
	var out []string
	for _, part := range strings.Split(s, ",") {
		v := norm.Text(part)
		if v == "" || slices.Contains(out, v) {
			continue
		}
		if utf8.RuneCountInString(v) > caNameMax || strings.ContainsAny(v, "\t") {
			fe.Add(field, "catalog_admin.entry_too_long")
		}
		out = append(out, v)
	}
	if len(out) > caListMax {
		fe.Add(field, "catalog_admin.list_too_long")
	}
	return out
}

// caSort reads a sort position: empty is 0. Digits typed with the IME on
// (full width) count as digits.
func caSort(fe *portal.FieldErrors, field, v string) int {
	v = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '－' || r == '−' || r == 'ー':
			return '-'
		}
		return r
	}, norm.Text(v))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
	if err != nil || n < -caSortLimit || n > caSortLimit {
		fe.Add(field, "catalog_admin.sort_invalid")
	}
	return n
}

var productFields = []string{"name", "versions", "os", "active"}

type adminProductsPage struct {
	Base
	Products []adminProductRow
	Form     Form
}

type adminProductRow struct {
	ID       int64
	Name     string
	Versions string
	OSes     string
	Active   bool
}

type adminProductEditPage struct {
	Base
	ID   int64
	Name string // as saved, for the heading
	Form Form
}

// adminProducts lists every product, retired ones too, with the form to add one.
func (s *Server) adminProducts(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminProducts(w, r, http.StatusOK, Form{})
}

func (s *Server) renderAdminProducts(w http.ResponseWriter, r *http.Request, status int, form Form) error {
	products, err := s.store.AllProducts(r.Context())
	if err != nil {
		return err
	}
	page := adminProductsPage{Base: s.base(r), Form: form}
	l := page.L
	none := l.T("catalog_admin.none")
	for _, p := range products {
		row := adminProductRow{ID: p.ID, Name: p.Name, Versions: none, OSes: none, Active: p.Active}
		if len(p.Versions) > 0 {
			row.Versions = strings.Join(p.Versions, ", ")
		}
		if len(p.OSes) > 0 {
			row.OSes = strings.Join(p.OSes, ", ")
		}
		page.Products = append(page.Products, row)
	}
	return s.render(w, r, status, "admin_products", page)
}

// productInput validates a product form.
func productInput(form Form) (name string, versions, oses []string, fe portal.FieldErrors) {
	name = caName(&fe, "name", form.Get("name"))
	versions = caList(&fe, "versions", form.Get("versions"))
	oses = caList(&fe, "os", form.Get("os"))
	return name, versions, oses, fe
}

// adminProductCreate adds a product; its versions and operating systems are
// offered on the create-case form at once.
func (s *Server) adminProductCreate(w http.ResponseWriter, r *http.Request) error {
	form, err := caParse(w, r, caFormMax, productFields...)
	if err != nil {
		return err
	}
	name, versions, oses, fe := productInput(form)
	if fe == nil {
		_, err := s.store.AddProduct(r.Context(), name, versions, oses, caAudit(r, "catalog.product_create"))
		if fe, err = caFieldErrors(err); err != nil {
			return err
		}
	}
	if fe != nil {
		form.Errors = fe
		return s.renderAdminProducts(w, r, http.StatusUnprocessableEntity, form)
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.product_created")
	return seeOther(w, r, "/admin/products")
}

// adminProductEdit shows a product's form.
func (s *Server) adminProductEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := caID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.store.ProductByID(r.Context(), id)
	if err != nil {
		return err
	}
	form := Form{Values: map[string]string{
		"name": p.Name, "versions": strings.Join(p.Versions, "\n"), "os": strings.Join(p.OSes, "\n"),
	}}
	if p.Active {
		form.Values["active"] = "1"
	}
	return s.render(w, r, http.StatusOK, "admin_products_edit", adminProductEditPage{Base: s.base(r), ID: p.ID, Name: p.Name, Form: form})
}

// adminProductUpdate saves a product. Versions and operating systems removed
// from its lists stay on the cases filed with them, and a retired product is
// no longer offered for new cases while its cases keep it.
func (s *Server) adminProductUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := caID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.store.ProductByID(r.Context(), id)
	if err != nil {
		return err
	}
	form, err := caParse(w, r, caFormMax, productFields...)
	if err != nil {
		return err
	}
	name, versions, oses, fe := productInput(form)
	if fe == nil {
		err := s.store.UpdateProduct(r.Context(), id, name, versions, oses, form.Get("active") == "1", caAudit(r, "catalog.product_update"))
		if fe, err = caFieldErrors(err); err != nil {
			return err
		}
	}
	if fe != nil {
		form.Errors = fe
		return s.render(w, r, http.StatusUnprocessableEntity, "admin_products_edit",
			adminProductEditPage{Base: s.base(r), ID: p.ID, Name: p.Name, Form: form})
	}
	s.sessions.Put(r.Context(), "flash", "catalog_admin.product_saved")
	return seeOther(w, r, "/admin/products")
}
