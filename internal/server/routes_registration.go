package server

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
)

// registrationRoutes: registration, approval links and welcome links. These
// pages are public; the approval pages check who is signed in themselves, so
// that a signed-out approver following the mailed link comes back to it after
// signing in, and another organization's approver learns nothing.
func (s *Server) registrationRoutes(r chi.Router) {
	r.Get("/register", s.h(s.registerForm))
	r.Post("/register", s.h(s.register))
	r.Get("/register/sent", s.h(s.registerSent))

	r.Get("/approvals/{token}", s.h(s.approvalShow(approvalByToken)))
	r.Post("/approvals/{token}/approve", s.h(s.approvalDecide(approvalByToken, true)))
	r.Post("/approvals/{token}/reject", s.h(s.approvalDecide(approvalByToken, false)))
	// A signed-out approver who pressed a button signs in and is sent back
	// to the URL they posted to; a GET there shows the request again.
	r.Get("/approvals/{token}/approve", approvalBack)
	r.Get("/approvals/{token}/reject", approvalBack)

	r.Get("/welcome/{token}", s.h(s.welcomeForm))
	r.Post("/welcome/{token}", s.h(s.welcome))
}

// contactRoutes: the account administrator's contacts page. It sits inside
// the signed-in group; everyone else gets 403.
func (s *Server) contactRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireAccountAdmin)
		r.Get("/account/contacts", s.h(s.contacts))
		r.Post("/account/contacts/invite", s.h(s.contactInvite))
		r.Post("/account/contacts/{id}/disable", s.h(s.contactDisable))
		r.Post("/account/contacts/{id}/enable", s.h(s.contactEnable))
		r.Post("/account/contacts/{id}/reset-mfa", s.h(s.contactResetMFA))
		r.Post("/account/contacts/{id}/roles", s.h(s.contactRoles))
		r.Post("/account/contacts/{id}/resend", s.h(s.contactResend))
		// Registration requests reached from the contacts page, where the
		// mailed token is not known (only its hash is stored).
		r.Get("/account/contacts/requests/{id}", s.h(s.approvalShow(approvalByID)))
		r.Post("/account/contacts/requests/{id}/approve", s.h(s.approvalDecide(approvalByID, true)))
		r.Post("/account/contacts/requests/{id}/reject", s.h(s.approvalDecide(approvalByID, false)))
	})
}

// approvalBack sends a GET on a decision URL to the request's page.
func approvalBack(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/approvals/"+url.PathEscape(chi.URLParam(r, "token")), http.StatusSeeOther)
}
