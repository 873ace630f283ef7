package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"madoguchi/internal/blob"
	"madoguchi/internal/config"
	"madoguchi/internal/i18n"
	"madoguchi/internal/jobs"
	mailpkg "madoguchi/internal/mail"
	"madoguchi/internal/server"
	"madoguchi/internal/store"
	"madoguchi/locales"
	"madoguchi/web"
)

func (a *App) serve(ctx context.Context, args []string) error {
	cfg := config.FromEnv(a.getenv)
	fset := a.flags("serve")
	fset.BoolVar(&cfg.Dev, "dev", false, "development mode: dev mailbox at /dev/mail, templates re-read from ./web")
	fset.StringVar(&cfg.ListenAddr, "listen", cfg.ListenAddr, "address to listen on (LISTEN_ADDR)")
	fset.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public URL of the portal (BASE_URL)")
	if err := parse(fset, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	proxies, err := parseProxies(a.getenv("TRUSTED_PROXIES"))
	if err != nil {
		return err
	}
	var sender mailpkg.Sender = mailpkg.DevSender{}
	if cfg.SMTPURL != "" {
		if sender, err = mailpkg.NewSMTPSender(cfg.SMTPURL); err != nil {
			return err
		}
	}
	logger := a.logger(cfg.Dev)
	logger.Info("starting", "config", cfg.String())

	pool, err := store.Connect(ctx, cfg.DatabaseURL, 0)
	if err != nil {
		return err
	}
	defer pool.Close()

	rt, err := a.runtime(cfg, pool, sender, logger, proxies)
	if err != nil {
		return err
	}
	defer rt.srv.Close()

	ln := a.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			return fmt.Errorf("LISTEN_ADDR: %w", err)
		}
	}
	httpServer := &http.Server{
		Handler:           rt.srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if err := rt.jobs.Start(ctx); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	// Live updates: event streams never go idle, so Shutdown ends them
	// first; the database listener stops with serve.
	httpServer.RegisterOnShutdown(rt.srv.EndStreams)
	liveCtx, stopLive := context.WithCancel(ctx)
	liveDone := make(chan struct{})
	go func() {
		defer close(liveDone)
		if err := rt.srv.RunLive(liveCtx); err != nil {
			logger.Error("live updates stopped", "err", err)
		}
	}()
	defer func() { stopLive(); <-liveDone }()
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	fmt.Fprintf(a.stdout(), "Madoguchi is serving %s (listening on %s)\n", cfg.BaseURL, ln.Addr())
	if cfg.Dev {
		fmt.Fprintf(a.stdout(), "Dev mailbox: %s/dev/mail\n", cfg.BaseURL)
	}
	if a.Serving != nil {
		a.Serving()
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
		logger.Info("shutting down")
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		err = httpServer.Shutdown(shutdown)
		if jerr := rt.jobs.Stop(shutdown); jerr != nil && !errors.Is(jerr, context.Canceled) {
			logger.Warn("stopping jobs", "err", jerr)
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// runtime is the wired application: the HTTP server and the job client.
type runtime struct {
	store  *store.Store
	bundle *i18n.Bundle
	srv    *server.Server
	jobs   *river.Client[pgx.Tx]
}

// runtime wires store, jobs and server on pool; mail goes out through
// sender (with --dev and no SMTP_URL it stays in the outbox for the dev
// mailbox).
func (a *App) runtime(cfg config.Config, pool *pgxpool.Pool, sender mailpkg.Sender, logger *slog.Logger, proxies []netip.Prefix) (*runtime, error) {
	from, err := mail.ParseAddress(cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM: %w", err)
	}

	rt := &runtime{}
	rt.store = store.New(pool, func(ctx context.Context, tx pgx.Tx, id int64) error {
		_, err := rt.jobs.InsertTx(ctx, tx, mailpkg.DeliverArgs{MessageID: id}, nil)
		return err
	})
	// Validate built the policy; a Config that skipped it keeps the default.
	if cfg.SLA.Calendar.Loc != nil {
		rt.store.SetSLAPolicy(cfg.SLA)
	}
	if a.Now != nil {
		// Response targets are computed by the store: tests that move the
		// server's clock move the store's with it.
		rt.store.SetNow(a.Now)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &mailpkg.Worker{
		Outbox: outbox{rt.store}, Sender: sender, From: mailpkg.Address{Name: from.Name, Email: from.Address}, Logger: logger,
	})
	river.AddWorker(workers, &jobs.CleanupWorker{Cleaner: rt.store})
	// The auto-close job renders its mails with the server's templates; the
	// server is built below, before the job client starts.
	autoClose := &jobs.AutoCloseWorker{Store: rt.store, After: cfg.AutoCloseAfter, Logger: logger}
	river.AddWorker(workers, autoClose)
	responseWarn := &jobs.ResponseWarnWorker{Store: rt.store, Before: cfg.ResponseWarnBefore, Now: a.Now, Logger: logger}
	river.AddWorker(workers, responseWarn)
	rt.jobs, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 2},
			mailpkg.Queue:      {MaxWorkers: 4},
		},
		Workers:           workers,
		PeriodicJobs:      append(jobs.Periodic(), jobs.ResponseWarnPeriodic()),
		Logger:            quietLogger(logger),
		FetchPollInterval: 500 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}

	bundle, err := i18n.New(locales.FS)
	if err != nil {
		return nil, err
	}
	rt.bundle = bundle
	files, err := blob.Open(cfg.StorageURL, cfg.DataDir, blob.Credentials{AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey})
	if err != nil {
		return nil, err
	}
	if bucket, ok := files.(*blob.S3); ok {
		// Said at start-up rather than at the first upload; not fatal, as
		// the bucket may come up after the portal.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := bucket.Check(ctx); err != nil {
			logger.Warn("attachment storage is not reachable", "err", err)
		}
		cancel()
	}
	var devFS fs.FS
	if cfg.Dev {
		// Edit-and-reload for templates when run from the source tree.
		if st, err := os.Stat("web/templates"); err == nil && st.IsDir() {
			devFS = os.DirFS("web")
		}
	}
	rt.srv, err = server.New(server.Options{
		Config: cfg, Store: rt.store, Blob: files, Bundle: bundle, Web: web.Templates, DevFS: devFS,
		Hasher: a.hasher(), Logger: logger, TrustedProxies: proxies, Registry: prometheus.NewRegistry(),
		Now: a.Now,
	})
	if err != nil {
		return nil, err
	}
	autoClose.Mailer = rt.srv
	responseWarn.Mailer = rt.srv
	return rt, nil
}

// outbox adapts the store to what the mail worker reads.
type outbox struct{ s *store.Store }

func (o outbox) OutboxMessage(ctx context.Context, id int64) (mailpkg.Message, error) {
	m, err := o.s.OutboxMessage(ctx, id)
	if err != nil {
		return mailpkg.Message{}, err
	}
	return mailpkg.Message{ID: m.ID, To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		CreatedAt: m.CreatedAt, SentAt: m.SentAt, Attempts: m.Attempts, LastError: m.LastError}, nil
}

func (o outbox) MarkOutboxSent(ctx context.Context, id int64, at time.Time) error {
	return o.s.MarkOutboxSent(ctx, id, at)
}

func (o outbox) MarkOutboxFailed(ctx context.Context, id int64, errText string) error {
	return o.s.MarkOutboxFailed(ctx, id, errText)
}

// quietLogger keeps the job queue's own logging to warnings and errors.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{l.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// parseProxies reads TRUSTED_PROXIES: comma-separated addresses or CIDR
// prefixes of the load balancers whose X-Forwarded-For is believed.
func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not an address or prefix", f)
		}
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}
