package server

import "github.com/go-chi/chi/v5"

// caseListRoutes: my cases and creating a case (/cases, /cases/new).
// Customers only: staff have the queue.
func (s *Server) caseListRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.onlyCustomers)
		r.Get("/cases", s.h(s.caseList))
		r.Get("/cases/new", s.h(s.caseNewForm))
		r.Post("/cases/new", s.h(s.caseCreate))
	})
}

// caseRoutes: the case page and everything done on it (/cases/{number}…).
// Whoever may see the case may enter; the state machine decides what each
// may do, and a case one may not see is not found.
func (s *Server) caseRoutes(r chi.Router) {
	r.Get("/cases/{number}", s.h(s.caseShow))
	r.Post("/cases/{number}/comments", s.h(s.caseComment))
	r.Post("/cases/{number}/fields", s.h(s.caseFields))
	r.Post("/cases/{number}/accept-solution", s.h(s.caseAct(caseAccept)))
	r.Post("/cases/{number}/reject-solution", s.h(s.caseAct(caseReject)))
	r.Post("/cases/{number}/close", s.h(s.caseAct(caseClose)))
	r.Post("/cases/{number}/reopen", s.h(s.caseAct(caseReopen)))
	r.Post("/cases/{number}/status", s.h(s.caseAct(caseStatus)))
	r.Post("/cases/{number}/propose-solution", s.h(s.caseAct(casePropose)))
	r.Post("/cases/{number}/assign", s.h(s.caseAssign))
	r.Post("/cases/{number}/survey", s.h(s.caseSurvey))
}

// attachmentRoutes: downloading a case's files.
func (s *Server) attachmentRoutes(r chi.Router) {
	r.Get("/cases/{number}/attachments/{id}", s.h(s.attachmentDownload))
}
