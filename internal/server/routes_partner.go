package server

import (
	"github.com/go-chi/chi/v5"
)

// partnerRoutes adds what partner organizations' contacts do for the customers they serve.
func (s *Server) partnerRoutes(r chi.Router) {
}
