package server

import "github.com/go-chi/chi/v5"

// signInRoutes: sign-in, second factor, terms, password change, forgot and
// reset password.
func (s *Server) signInRoutes(r chi.Router) {}

// accountRoutes: the signed-in person's own account page.
func (s *Server) accountRoutes(r chi.Router) {}
