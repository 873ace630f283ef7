package server

import (
	"github.com/go-chi/chi/v5"
)

// catalogAdminRoutes adds staff administration of products, categories and problems, agents and terms of use.
func (s *Server) catalogAdminRoutes(r chi.Router) {
}
