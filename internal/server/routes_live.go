package server

import (
	"github.com/go-chi/chi/v5"

	"madoguchi/internal/portal"
)

// liveRoutes adds server-sent events for live updates of the queue and case
// pages (live.go). The case stream admits whoever may see the case.
func (s *Server) liveRoutes(r chi.Router) {
	r.Get("/cases/{number}/events", s.h(s.caseEvents))
	r.With(s.requireRole(portal.RoleAgent, portal.RoleAdmin)).Get("/agent/queue/events", s.h(s.queueEvents))
}
