package server

import "net/http"

type worklistPage struct {
	Base
}

// caseList is a customer's landing page. Cases themselves arrive with the
// case lifecycle; until then the list is honestly empty.
func (s *Server) caseList(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "cases", worklistPage{Base: s.base(r)})
}

// agentQueue is staff's landing page; the queue arrives with the agent console.
func (s *Server) agentQueue(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "agent_queue", worklistPage{Base: s.base(r)})
}
