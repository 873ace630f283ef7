package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Live updates: every committed timeline entry is announced by PostgreSQL
// (migration 00011) to every `madoguchi serve` process; each process's hub
// passes it to the pages it streams to as server-sent events. An event says
// only which case changed: the page then fetches itself again, through the
// same access checks as any other request.

const (
	liveRetry   = 5 * time.Second // how soon a browser reconnects
	livePerUser = 8               // streams one person may hold (tabs)
	liveTotal   = 2000            // streams one process holds
	// liveResync is the data of an event that asks every page to look again:
	// changes may have gone unheard while the database connection was down.
	liveResync = "*"
)

// liveHeartbeat is how often a stream sends a comment, under the idle
// timeouts of common proxies, and looks whether its session still stands.
// Tests shorten it.
var liveHeartbeat atomic.Int64

func init() { liveHeartbeat.Store(int64(25 * time.Second)) }

// liveHub fans case changes out to the streams of this process.
type liveHub struct {
	mu      sync.Mutex
	subs    map[*liveSub]struct{}
	perUser map[int64]int
	closed  bool
	done    chan struct{} // closed when the server shuts down
}

// liveSub is one open stream. A change is sent without waiting: if one is
// already pending, the page will fetch itself anyway, so a full buffer loses
// nothing that matters.
type liveSub struct {
	userID   int64
	caseID   int64 // 0: every case (the queue)
	internal bool  // may hear of internal notes
	ch       chan string
}

func newLiveHub() *liveHub {
	return &liveHub{subs: map[*liveSub]struct{}{}, perUser: map[int64]int{}, done: make(chan struct{})}
}

// subscribe registers a stream; it fails with ETOOMANY past the caps and
// with errLiveClosed once the hub is closed.
func (h *liveHub) subscribe(userID, caseID int64, internal bool) (*liveSub, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, errLiveClosed
	case h.perUser[userID] >= livePerUser || len(h.subs) >= liveTotal:
		return nil, portal.Errorf(portal.ETOOMANY, "live.too_many_streams")
	}
	sub := &liveSub{userID: userID, caseID: caseID, internal: internal, ch: make(chan string, 1)}
	h.subs[sub] = struct{}{}
	h.perUser[userID]++
	return sub, nil
}

func (h *liveHub) unsubscribe(sub *liveSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub]; !ok {
		return
	}
	delete(h.subs, sub)
	if h.perUser[sub.userID]--; h.perUser[sub.userID] <= 0 {
		delete(h.perUser, sub.userID)
	}
}

// publish passes a change to the streams that may hear of it.
func (h *liveHub) publish(c store.CaseChange) {
	if c.Bulk {
		h.resync()
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		if (sub.caseID != 0 && sub.caseID != c.CaseID) || (c.Internal && !sub.internal) {
			continue
		}
		select {
		case sub.ch <- c.Number:
		default:
		}
	}
}

// resync asks every stream's page to look again.
func (h *liveHub) resync() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		select {
		case sub.ch <- liveResync:
		default:
		}
	}
}

// close ends every stream and refuses new ones.
func (h *liveHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// errLiveClosed refuses streams while the server shuts down.
var errLiveClosed = errors.New("live updates: shutting down")

// RunLive feeds the hub from the database until ctx ends: `serve` runs it
// beside the HTTP server.
func (s *Server) RunLive(ctx context.Context) error {
	l := s.store.NewListener(s.logger)
	err := l.Run(ctx, s.live.publish, func(first bool) {
		if !first {
			s.live.resync()
		}
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// EndStreams ends every event stream and refuses new ones, so that a
// graceful shutdown does not wait on connections that never go idle.
// Browsers reconnect to another instance after liveRetry.
func (s *Server) EndStreams() { s.live.close() }

// caseEvents streams "this case changed" to whoever may see the case; a
// customer never hears of internal notes.
func (s *Server) caseEvents(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	u := reqCtx(r).User
	return s.stream(w, r, c.ID, u.Role.Staff())
}

// queueEvents streams the number of every case that changes, for the agent
// queue (staff only, checked by the route).
func (s *Server) queueEvents(w http.ResponseWriter, r *http.Request) error {
	return s.stream(w, r, 0, true)
}

// stream holds a text/event-stream open until the client leaves, the server
// shuts down or the viewer's session ends.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, caseID int64, internal bool) error {
	u := reqCtx(r).User
	sub, err := s.live.subscribe(u.ID, caseID, internal)
	if errors.Is(err, errLiveClosed) {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return nil
	}
	if err != nil {
		return err
	}
	defer s.live.unsubscribe(sub)

	rc := http.NewResponseController(w)
	// A stream outlives any write timeout meant for pages.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would hold events back
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) bool {
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	beat := time.NewTicker(time.Duration(liveHeartbeat.Load()))
	defer beat.Stop()
	if !send("retry: %d\n: %s\n\n", liveRetry.Milliseconds(), "connected") {
		return nil
	}

	token := s.sessions.Token(r.Context())
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.live.done:
			return nil
		case number := <-sub.ch:
			if !send("data: %s\n\n", number) {
				return nil
			}
		case <-beat.C:
			if !s.sessionLive(token, u) {
				// The page stops listening; its next request meets the sign-in page.
				send("event: end\ndata: signed-out\n\n")
				return nil
			}
			if !send(": ping\n\n") {
				return nil
			}
		}
	}
}

// sessionLive reports whether the stream's session still stands: not signed
// out, not idle past sessionIdle, not voided by a password change or a
// disabled account. The session is read afresh from the store, since the
// person's other requests move its last-seen time.
func (s *Server) sessionLive(token string, u *portal.User) bool {
	if token == "" {
		return false
	}
	// Load reuses a session already in the context; start from a bare one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sctx, err := s.sessions.Load(ctx, token)
	if err != nil {
		// A database hiccup is not a sign-out; look again at the next beat.
		return true
	}
	if s.sessions.GetInt64(sctx, sessUserID) != u.ID {
		return false
	}
	if seen := s.sessions.GetInt64(sctx, sessSeen); seen != 0 && s.now().Unix()-seen > int64(sessionIdle/time.Second) {
		return false
	}
	fresh, err := s.store.UserByID(ctx, u.ID)
	switch {
	case portal.ErrorCode(err) == portal.ENOTFOUND:
		return false
	case err != nil:
		return true
	}
	return fresh.Status == portal.StatusActive && fresh.SessionEpoch == s.sessions.GetInt(sctx, sessEpoch)
}
