package server

import "github.com/go-chi/chi/v5"

// caseListRoutes: my cases and creating a case (/cases, /cases/new).
func (s *Server) caseListRoutes(r chi.Router) {}

// caseRoutes: the case page and everything done on it (/cases/{number}…).
func (s *Server) caseRoutes(r chi.Router) {}

// attachmentRoutes: downloading a case's files.
func (s *Server) attachmentRoutes(r chi.Router) {}
