package server

import (
	"github.com/go-chi/chi/v5"

	"madoguchi/internal/portal"
)

// queueRoutes adds the agent queue (/agent/queue) and assignment from it.
func (s *Server) queueRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireRole(portal.RoleAgent, portal.RoleAdmin))
		r.Get("/agent/queue", s.h(s.agentQueue))
		r.Post("/agent/queue/assign", s.h(s.queueAssign))
	})
}
