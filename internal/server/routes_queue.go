package server

import (
	"github.com/go-chi/chi/v5"

	"madoguchi/internal/portal"
)

// queueRoutes adds the agent queue (/agent/queue) and assignment from it.
func (s *Server) queueRoutes(r chi.Router) {
	r.With(s.requireRole(portal.RoleAgent, portal.RoleAdmin)).Get("/agent/queue", s.h(s.agentQueue))
}
