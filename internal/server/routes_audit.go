package server

import (
	"github.com/go-chi/chi/v5"

	"madoguchi/internal/portal"
)

// auditRoutes adds the audit log (/admin/audit, /account/audit) and agents' second-factor resets (/agent/users...).
func (s *Server) auditRoutes(r chi.Router) {
	r.With(s.requireRole(portal.RoleAdmin)).Get("/admin/audit", s.h(s.adminAudit))
	r.With(s.requireAccountAdmin).Get("/account/audit", s.h(s.accountAudit))
	r.Group(func(r chi.Router) {
		r.Use(s.requireRole(portal.RoleAgent, portal.RoleAdmin))
		r.Get("/agent/users", s.h(s.agentUsers))
		r.Get("/agent/users/{id}", s.h(s.agentUser))
		r.Post("/agent/users/{id}/reset-mfa", s.h(s.agentUserResetMFA))
	})
}
