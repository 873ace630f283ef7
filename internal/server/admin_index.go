package server

import "net/http"

type adminIndexPage struct {
	Base
	Sections []adminSection
}

type adminSection struct {
	Link  string
	Title string // message keys
	Lead  string
}

// adminSections are the staff administration pages, in the order staff
// usually need them.
var adminSections = []adminSection{
	{"/admin/accounts", "admin.section_accounts", "admin.section_accounts_lead"},
	{"/admin/products", "admin.section_products", "admin.section_products_lead"},
	{"/admin/categories", "admin.section_categories", "admin.section_categories_lead"},
	{"/admin/agents", "admin.section_agents", "admin.section_agents_lead"},
	{"/admin/terms", "admin.section_terms", "admin.section_terms_lead"},
	{"/admin/audit", "admin.section_audit", "admin.section_audit_lead"},
}

// adminIndex is the staff administration start page.
func (s *Server) adminIndex(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "admin_index", adminIndexPage{Base: s.base(r), Sections: adminSections})
}
