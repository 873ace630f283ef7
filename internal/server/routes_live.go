package server

import (
	"github.com/go-chi/chi/v5"
)

// liveRoutes adds server-sent events for live updates of the queue and case pages.
func (s *Server) liveRoutes(r chi.Router) {
}
