package server

import (
	"github.com/go-chi/chi/v5"
)

// auditRoutes adds the audit log (/admin/audit, /account/audit) and agents' second-factor resets (/agent/users...).
func (s *Server) auditRoutes(r chi.Router) {
}
