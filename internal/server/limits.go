package server

import (
	"net/http"
	"time"

	"madoguchi/internal/portal"
)

// limit counts one attempt against key and refuses with ETOOMANY, saying
// when to retry in the person's time zone, once more than max were made in
// the current window. Keys name what is limited: "login:ip:203.0.113.9",
// "forgot:addr:taro@example.com".
func (s *Server) limit(r *http.Request, key string, window time.Duration, max int) error {
	ok, until, err := s.store.Hit(r.Context(), key, window, max)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	return s.tooMany(r, until)
}

// tooMany is the ETOOMANY error for a lock that ends at until.
func (s *Server) tooMany(r *http.Request, until time.Time) error {
	rc := reqCtx(r)
	tz := "Asia/Tokyo"
	if rc.sessionUser != nil {
		tz = rc.sessionUser.TimeZone
	}
	return &portal.Error{Code: portal.ETOOMANY, Message: "error.retry_at",
		Data: map[string]any{"Time": rc.L.Time(until, s.now(), tz)}}
}
