package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// requestContext is what the middleware learns about a request; handlers
// read it with reqCtx.
type requestContext struct {
	ID    string
	Nonce string
	IP    string
	L     *i18n.Localizer
	// sessionUser has a session, possibly still mid sign-in; User is set only
	// once every sign-in step is done.
	sessionUser *portal.User
	User        *portal.User
	Step        portal.SignInStep
}

type ctxKey struct{}

func reqCtx(r *http.Request) *requestContext {
	if rc, ok := r.Context().Value(ctxKey{}).(*requestContext); ok {
		return rc
	}
	return &requestContext{}
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// statusWriter remembers the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id, a CSP nonce and its client address, logs
// it, counts it, and turns a panic into a 500.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rc := &requestContext{
			ID:    randomString(9),
			Nonce: randomString(16),
			IP:    s.clientIP(r),
			L:     s.bundle.Localizer(s.bundle.Match(r.Header.Get("Accept-Language"))),
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, rc)
		ctx = withLogAttrs(ctx, slog.String("request_id", rc.ID))
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", rc.ID)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" {
				route = "other"
			}
			elapsed := time.Since(start)
			s.metrics.observe(r.Method, route, sw.status, elapsed)
			s.logger.InfoContext(ctx, "request", "method", r.Method, "route", route, "status", sw.status,
				"bytes", sw.bytes, "duration_ms", elapsed.Milliseconds(), "ip", rc.IP)
		}()
		next.ServeHTTP(sw, r)
	})
}

// clientIP is the connection's address, or the X-Forwarded-For entry added by
// the nearest untrusted hop when the connection comes from a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(addr) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop.String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// secureHeaders sets a strict CSP with the request's nonce and the other
// headers every answer carries.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := reqCtx(r).Nonce
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+n+"'; style-src 'self'; "+
			"img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "+
			"base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.cfg.Secure() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests from other sites with 403: the
// browser's Sec-Fetch-Site and Origin headers tell us where a form came from.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(s.cfg.BaseURL); err != nil {
		s.logger.Warn("csrf: BASE_URL is not an origin", "err", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, portal.Errorf(portal.EFORBIDDEN, "error.cross_site"))
	}))
	return cop.Handler(next)
}

// Session keys.
const (
	sessUserID      = "uid"
	sessEpoch       = "epoch"
	sessSecondDone  = "mfa"
	sessRecovery    = "recovery_codes"
	sessPendingTOTP = "totp_secret"
	sessNext        = "next"
	sessReauthAt    = "reauth_at"
	sessSeen        = "seen" // unix seconds of a recent request (see sessionTouch)
)

// Session timeouts: idle and absolute. The last-seen time is written back
// at most once per sessionTouch, so that a busy person's requests do not
// each rewrite their session row.
const (
	sessionIdle     = 30 * time.Minute
	sessionLifetime = 12 * time.Hour
	sessionTouch    = time.Minute
)

// loadUser reads the session's user, ends sessions that a password change,
// reset or disable has voided, works out the next sign-in step and the
// person's language.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		rc := reqCtx(r)
		if c, err := r.Cookie("lang"); err == nil && i18n.Supported(c.Value) {
			rc.L = s.bundle.Localizer(c.Value)
		}
		if id := s.sessions.GetInt64(ctx, sessUserID); id != 0 && s.idleSession(ctx, passiveRequest(r)) {
			if err := s.sessions.Destroy(ctx); err != nil {
				s.fail(w, r, err)
				return
			}
		} else if id != 0 {
			u, err := s.store.UserByID(ctx, id)
			switch {
			case portal.ErrorCode(err) == portal.ENOTFOUND:
				s.sessions.Destroy(ctx)
			case err != nil:
				s.fail(w, r, err)
				return
			case u.Status != portal.StatusActive || u.SessionEpoch != s.sessions.GetInt(ctx, sessEpoch):
				if err := s.sessions.Destroy(ctx); err != nil {
					s.fail(w, r, err)
					return
				}
			default:
				rc.sessionUser = u
				rc.Step = portal.NextSignInStep(u, s.signInState(ctx), u.CurrentTerms)
				if rc.Step == portal.StepDone {
					rc.User = u
				}
				if i18n.Supported(u.Language) {
					rc.L = s.bundle.Localizer(u.Language)
				}
				ctx = withLogAttrs(ctx, slog.Int64("user_id", u.ID))
				// Pages of a signed-in person are theirs alone.
				w.Header().Set("Cache-Control", "no-store")
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// idleSession reports whether the session has been idle past sessionIdle;
// otherwise it records this request as the last one seen, when the one
// recorded is sessionTouch old and the request is not passive.
func (s *Server) idleSession(ctx context.Context, passive bool) bool {
	now := s.now().Unix()
	seen := s.sessions.GetInt64(ctx, sessSeen)
	if seen != 0 && now-seen > int64(sessionIdle/time.Second) {
		return true
	}
	if !passive && now-seen >= int64(sessionTouch/time.Second) {
		s.sessions.Put(ctx, sessSeen, now)
	}
	return false
}

// passiveRequest tells requests a page makes by itself, without the person
// doing anything (live updates: the event stream and the refetch live.js
// marks), which must not keep an unattended session alive.
func passiveRequest(r *http.Request) bool {
	return r.Header.Get("X-Live-Refresh") != "" || strings.HasPrefix(r.Header.Get("Accept"), "text/event-stream")
}

func (s *Server) signInState(ctx context.Context) portal.SignInState {
	return portal.SignInState{
		SecondFactorDone:     s.sessions.GetBool(ctx, sessSecondDone),
		RecoveryCodesPending: s.sessions.Exists(ctx, sessRecovery),
	}
}

// requireUser lets through only people who finished signing in; others go to
// the sign-in page (or the step they are on), coming back afterwards.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		switch {
		case rc.User != nil:
			next.ServeHTTP(w, r)
		case rc.sessionUser != nil:
			if r.Method == http.MethodGet {
				s.sessions.Put(r.Context(), sessNext, r.URL.RequestURI())
			}
			http.Redirect(w, r, rc.Step.Path(), http.StatusSeeOther)
		default:
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		}
	})
}

// requireRole answers 403 to signed-in people without one of roles.
func (s *Server) requireRole(roles ...portal.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u := reqCtx(r).User
			for _, role := range roles {
				if u != nil && u.Role == role {
					next.ServeHTTP(w, r)
					return
				}
			}
			s.fail(w, r, forbidden())
		})
	}
}

// requireStep lets through a person whose next sign-in step is step, or who
// is fully signed in when also is true (changing a password or re-pairing
// from the account page).
func (s *Server) requireStep(step portal.SignInStep, alsoSignedIn bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := reqCtx(r)
			switch {
			case rc.sessionUser == nil:
				http.Redirect(w, r, "/login", http.StatusSeeOther)
			case rc.Step == step || (alsoSignedIn && rc.User != nil):
				next.ServeHTTP(w, r)
			case rc.Step == portal.StepDone:
				http.Redirect(w, r, s.landing(r, rc.User), http.StatusSeeOther)
			default:
				http.Redirect(w, r, rc.Step.Path(), http.StatusSeeOther)
			}
		})
	}
}

type logAttrsKey struct{}

func withLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(logAttrsKey{}).([]slog.Attr)
	return context.WithValue(ctx, logAttrsKey{}, append(append([]slog.Attr{}, prev...), attrs...))
}

// LogHandler adds the request id and user id kept in the context to every
// record logged with that context.
type LogHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs, ok := ctx.Value(logAttrsKey{}).([]slog.Attr); ok {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
