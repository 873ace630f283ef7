package server

import "github.com/go-chi/chi/v5"

// registrationRoutes: registration, approval links and welcome links.
func (s *Server) registrationRoutes(r chi.Router) {}

// contactRoutes: the account administrator's contacts page.
func (s *Server) contactRoutes(r chi.Router) {}
