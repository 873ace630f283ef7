package server

import (
	"github.com/go-chi/chi/v5"

	"madoguchi/internal/portal"
)

// adminRoutes adds staff administration of organizations, their contacts and 2FA policy (/admin, /admin/accounts...).
// Routes are added one by one inside a group rather than with r.Route("/admin"),
// because other areas add their own /admin/... pages to the same router.
func (s *Server) adminRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireRole(portal.RoleAdmin))
		r.Get("/admin", s.h(s.adminIndex))
		r.Get("/admin/accounts", s.h(s.adminAccounts))
		r.Post("/admin/accounts", s.h(s.adminAccountCreate))
		r.Get("/admin/accounts/{id}", s.h(s.adminAccountShow))
		r.Post("/admin/accounts/{id}/name", s.h(s.adminAccountRename))
		r.Post("/admin/accounts/{id}/mfa", s.h(s.adminAccountMFA))
		r.Post("/admin/accounts/{id}/partner", s.h(s.adminAccountPartner))
		r.Post("/admin/accounts/{id}/customers", s.h(s.adminAccountLink))
		r.Post("/admin/accounts/{id}/customers/{customer}/remove", s.h(s.adminAccountUnlink))
		r.Post("/admin/accounts/{id}/contacts/invite", s.h(s.adminContactInvite))
		r.Post("/admin/accounts/{id}/contacts/{user}/roles", s.h(s.adminContactRoles))
		r.Post("/admin/accounts/{id}/contacts/{user}/disable", s.h(s.adminContactStatus(portal.StatusDisabled)))
		r.Post("/admin/accounts/{id}/contacts/{user}/enable", s.h(s.adminContactStatus(portal.StatusActive)))
		// Registration requests, decided with the approvers' own page and rules.
		r.Get("/admin/accounts/{id}/requests/{reg}", s.h(s.approvalShow(approvalByStaff)))
		r.Post("/admin/accounts/{id}/requests/{reg}/approve", s.h(s.approvalDecide(approvalByStaff, true)))
		r.Post("/admin/accounts/{id}/requests/{reg}/reject", s.h(s.approvalDecide(approvalByStaff, false)))
	})
	// The account administrator's side of the 2FA policy, shown on /account/contacts.
	r.With(s.requireAccountAdmin).Post("/account/mfa-policy", s.h(s.accountMFAPolicy))
}
