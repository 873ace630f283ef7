// Package server is Madoguchi's HTTP layer: it turns requests into calls on
// the store and the domain rules and renders the answers. It holds no SQL and
// no business rule.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"

	"madoguchi/internal/auth"
	"madoguchi/internal/blob"
	"madoguchi/internal/config"
	"madoguchi/internal/i18n"
	"madoguchi/internal/store"
)

// Server is the HTTP application.
type Server struct {
	cfg      config.Config
	store    *store.Store
	blob     blob.Store
	bundle   *i18n.Bundle
	tmpl     *templates
	mails    *mailTemplates
	devFS    fs.FS // the web/ folder on disk in --dev, for live template edits
	sessions *scs.SessionManager
	sstore   *pgxstore.PostgresStore
	hasher   auth.Hasher
	logger   *slog.Logger
	metrics  *metrics
	gatherer prometheus.Gatherer
	proxies  []netip.Prefix
	now      func() time.Time
	live     *liveHub // live updates (live.go)
}

// Options are the dependencies of a Server.
type Options struct {
	Config config.Config
	Store  *store.Store
	Blob   blob.Store // attachment bytes
	Bundle *i18n.Bundle
	Web    fs.FS // templates and static files (web.Templates and web.Static)
	DevFS  fs.FS // optional: web/ on disk, re-read per request in --dev
	Hasher auth.Hasher
	Logger *slog.Logger
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	Registry       *prometheus.Registry
}

// New builds the server; it fails if a template does not parse.
func New(o Options) (*Server, error) {
	tmpl, err := parseTemplates(o.Web)
	if err != nil {
		return nil, err
	}
	mails, err := parseMailTemplates(o.Web)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		cfg:      o.Config,
		store:    o.Store,
		blob:     o.Blob,
		bundle:   o.Bundle,
		tmpl:     tmpl,
		mails:    mails,
		devFS:    o.DevFS,
		hasher:   o.Hasher,
		logger:   o.Logger,
		metrics:  newMetrics(o.Registry),
		gatherer: o.Registry,
		proxies:  o.TrustedProxies,
		now:      o.Now,
		live:     newLiveHub(),
	}
	// Expired sessions are deleted by the hourly clean-up job; pgxstore's own
	// clean-up goroutine races with StopCleanup.
	s.sstore = pgxstore.NewWithCleanupInterval(o.Store.Pool(), 0)
	sm := scs.New()
	sm.Store = s.sstore
	// The idle timeout is kept by loadUser (sessSeen), not by scs: scs
	// would rewrite the session row on every request to move its expiry.
	sm.Lifetime = sessionLifetime
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	if o.Config.Secure() {
		// The __Host- prefix makes browsers refuse the cookie unless it is
		// Secure, host-only and Path=/, so a sibling subdomain cannot plant one.
		sm.Cookie.Name = "__Host-madoguchi"
		sm.Cookie.Secure = true
	} else {
		sm.Cookie.Name = "madoguchi"
	}
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.logger.ErrorContext(r.Context(), "session", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}
	s.sessions = sm
	return s, nil
}

// Close releases what the server holds beyond its Options.
func (s *Server) Close() {}

// Handler returns the site's root handler.
func (s *Server) Handler() http.Handler { return s.routes() }

// Ready checks the database, for /readyz.
func (s *Server) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.store.Ping(ctx)
}
