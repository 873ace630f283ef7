package server

import (
	"github.com/go-chi/chi/v5"
)

// adminRoutes adds staff administration of organizations, their contacts and 2FA policy (/admin, /admin/accounts...).
func (s *Server) adminRoutes(r chi.Router) {
}
