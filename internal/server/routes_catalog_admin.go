package server

import (
	"github.com/go-chi/chi/v5"

	"madoguchi/internal/portal"
)

// catalogAdminRoutes adds staff administration of products, categories and problems, agents and terms of use.
func (s *Server) catalogAdminRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireRole(portal.RoleAdmin))
		r.Get("/admin/products", s.h(s.adminProducts))
		r.Post("/admin/products", s.h(s.adminProductCreate))
		r.Get("/admin/products/{id}", s.h(s.adminProductEdit))
		r.Post("/admin/products/{id}", s.h(s.adminProductUpdate))

		r.Get("/admin/categories", s.h(s.adminCategories))
		r.Post("/admin/categories", s.h(s.adminCategoryCreate))
		r.Get("/admin/categories/{id}", s.h(s.adminCategoryEdit))
		r.Post("/admin/categories/{id}", s.h(s.adminCategoryUpdate))
		r.Post("/admin/categories/{id}/problems", s.h(s.adminProblemCreate))
		r.Get("/admin/problems/{id}", s.h(s.adminProblemEdit))
		r.Post("/admin/problems/{id}", s.h(s.adminProblemUpdate))

		r.Get("/admin/agents", s.h(s.adminAgents))
		r.Post("/admin/agents/invite", s.h(s.adminAgentInvite))
		r.Post("/admin/agents/{id}/disable", s.h(s.adminAgentStatus(portal.StatusDisabled)))
		r.Post("/admin/agents/{id}/enable", s.h(s.adminAgentStatus(portal.StatusActive)))
		r.Post("/admin/agents/{id}/role", s.h(s.adminAgentRole))
		r.Post("/admin/agents/{id}/resend", s.h(s.adminAgentResend))
		r.Get("/admin/users/{id}/password", s.h(s.adminPasswordConfirm))
		r.Post("/admin/users/{id}/password", s.h(s.adminPasswordReset))

		r.Get("/admin/terms", s.h(s.adminTerms))
		r.Post("/admin/terms/preview", s.h(s.adminTermsPreview))
		r.Post("/admin/terms", s.h(s.adminTermsPublish))
		r.Get("/admin/terms/{version}", s.h(s.adminTermsShow))
	})
}
