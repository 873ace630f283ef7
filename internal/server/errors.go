package server

import (
	"errors"
	"net/http"
	"net/url"

	"madoguchi/internal/portal"
)

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

var codeStatus = map[string]int{
	portal.EINVALID:         http.StatusUnprocessableEntity,
	portal.ENOTFOUND:        http.StatusNotFound,
	portal.EFORBIDDEN:       http.StatusForbidden,
	portal.EUNAUTHENTICATED: http.StatusUnauthorized,
	portal.ETOOMANY:         http.StatusTooManyRequests,
	portal.ECONFLICT:        http.StatusConflict,
	portal.EGONE:            http.StatusGone,
	portal.EINTERNAL:        http.StatusInternalServerError,
}

type errorPage struct {
	Base
	Status  int
	Message string
}

// h adapts a handlerFunc: a returned error becomes the page for its code,
// translated; only internal errors are logged as errors.
func (s *Server) h(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := portal.ErrorCode(err)
	if code == portal.EUNAUTHENTICATED {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	status := codeStatus[code]
	msg := portal.ErrorMessage(err)
	if code == portal.EINTERNAL {
		s.logger.ErrorContext(r.Context(), "request failed", "err", err)
		msg = "error.internal"
	}
	var pe *portal.Error
	data := errorPage{Base: s.base(r), Status: status}
	if errors.As(err, &pe) && pe.Data != nil {
		data.Message = data.L.TMap(msg, pe.Data)
	} else {
		data.Message = data.L.T(msg)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	if rerr := s.render(w, r, status, "error", data); rerr != nil {
		s.logger.ErrorContext(r.Context(), "render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

func notFound() error  { return portal.Errorf(portal.ENOTFOUND, "error.not_found") }
func forbidden() error { return portal.Errorf(portal.EFORBIDDEN, "error.forbidden") }

// seeOther answers a successful POST with the page that shows its result.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
