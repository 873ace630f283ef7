package server

import "net/http"

type worklistPage struct {
	Base
}

// agentQueue is staff's landing page; the queue arrives with the agent console.
func (s *Server) agentQueue(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "agent_queue", worklistPage{Base: s.base(r)})
}
