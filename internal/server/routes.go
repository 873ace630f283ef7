package server

import (
	"io/fs"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"madoguchi/web"
)

// routes is the site map. Probes, metrics and static files sit outside the
// session middleware; everything else has a session, CSRF protection and
// security headers. Each area adds its routes in routes_<area>.go.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.observe, s.secureHeaders)

	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Ready(r.Context()); err != nil {
			s.logger.WarnContext(r.Context(), "not ready", "err", err)
			http.Error(w, "database unavailable\n", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	r.Handle("/metrics", promhttp.HandlerFor(s.registry(), promhttp.HandlerOpts{}))
	static, _ := fs.Sub(web.Static, "static")
	r.Handle("/static/*", http.StripPrefix("/static/", staticHandler(static)))

	r.Group(func(r chi.Router) {
		// The session loads first so that even a refused cross-site request
		// gets a translated error page.
		r.Use(s.sessions.LoadAndSave, s.crossOrigin, s.loadUser)

		r.Get("/", s.h(s.home))
		r.Post("/lang", s.h(s.langSwitch))
		if s.cfg.Dev {
			r.Get("/dev/mail", s.h(s.devMail))
		}

		s.signInRoutes(r)
		s.registrationRoutes(r)

		r.Group(func(r chi.Router) {
			r.Use(s.requireUser)
			s.accountRoutes(r)
			s.contactRoutes(r)
			s.caseListRoutes(r)
			s.caseRoutes(r)
			s.attachmentRoutes(r)
			s.queueRoutes(r)
			s.adminRoutes(r)
			s.catalogAdminRoutes(r)
			s.auditRoutes(r)
			s.liveRoutes(r)
			s.partnerRoutes(r)
		})
		r.NotFound(s.h(func(w http.ResponseWriter, r *http.Request) error { return notFound() }))
	})
	return r
}

func (s *Server) registry() prometheus.Gatherer { return s.gatherer }

// staticHandler serves embedded files with a validator so browsers revalidate
// cheaply after a deploy.
func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})
}
