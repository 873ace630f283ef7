// Package app holds Madoguchi's subcommands and wires the packages together.
// Tests start the whole application through it.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"madoguchi/internal/auth"
	"madoguchi/internal/config"
	"madoguchi/internal/server"
	"madoguchi/internal/store"
)

// App is one run of the binary. The zero value reads the process's
// environment and standard streams; tests fill the fields.
type App struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Listener, if set, is served instead of LISTEN_ADDR (tests use port 0).
	Listener net.Listener
	// Hasher overrides the password hashing cost (tests make it cheap).
	Hasher *auth.Hasher
	// Serving, if set, is called once serve accepts requests.
	Serving func()
	// Now, if set, is the web server's clock (tests move it forward).
	Now func() time.Time
}

// Main runs the subcommand in args and returns the process exit code.
func Main(ctx context.Context, args []string) int {
	a := &App{}
	if err := a.Run(ctx, args); err != nil {
		fmt.Fprintln(a.stderr(), "madoguchi:", err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

const usage = `usage:
  madoguchi serve [--dev] [--listen ADDR] [--base-url URL]
  madoguchi migrate
  madoguchi account create --name NAME [--identifier ID]
  madoguchi user create --email E --name N --role customer|agent|admin [--account ID] [--approver] [--account-admin] [--otp app|email]
  madoguchi user invite --email E --name N --role customer|agent|admin [--account ID] [--approver] [--account-admin] [--otp app|email]
  madoguchi user password --email E
  madoguchi product create --name NAME [--versions "1.0,2.0"] [--os "Windows 11,Linux"]
  madoguchi category create --en NAME --ja NAME
  madoguchi problem create --category ID --en NAME --ja NAME
  madoguchi catalog
  madoguchi seed demo
  madoguchi seed bulk --cases N [--batch N] [--seed N]

Configuration comes from DATABASE_URL, LISTEN_ADDR, BASE_URL, SMTP_URL, MAIL_FROM,
DATA_DIR, STORAGE_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, MAX_UPLOAD_SIZE,
AUTO_CLOSE_AFTER, REOPEN_WINDOW and TRUSTED_PROXIES (see README.md).`

// Run runs one subcommand.
func (a *App) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(a.stderr(), usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return a.serve(ctx, rest)
	case "migrate":
		return a.migrate(ctx, rest)
	case "account create":
		return a.accountCreate(ctx, rest)
	case "user create":
		return a.userCreate(ctx, rest, false)
	case "user invite":
		return a.userCreate(ctx, rest, true)
	case "user password":
		return a.userPassword(ctx, rest)
	case "product create":
		return a.productCreate(ctx, rest)
	case "category create":
		return a.categoryCreate(ctx, rest)
	case "problem create":
		return a.problemCreate(ctx, rest)
	case "catalog":
		return a.catalog(ctx, rest)
	case "seed demo":
		return a.seedDemo(ctx, rest)
	case "seed bulk":
		return a.seedBulk(ctx, rest)
	case "help", "-h", "--help":
		fmt.Fprintln(a.stdout(), usage)
		return nil
	}
	fmt.Fprintf(a.stderr(), "unknown command %q\n\n%s\n", cmd, usage)
	return errUsage
}

func (a *App) getenv(k string) string {
	if a.Getenv != nil {
		return a.Getenv(k)
	}
	return os.Getenv(k)
}

func (a *App) stdout() io.Writer {
	if a.Stdout != nil {
		return a.Stdout
	}
	return os.Stdout
}

func (a *App) stderr() io.Writer {
	if a.Stderr != nil {
		return a.Stderr
	}
	return os.Stderr
}

func (a *App) hasher() auth.Hasher {
	if a.Hasher != nil {
		return *a.Hasher
	}
	return auth.Hasher{Params: auth.DefaultParams}
}

func (a *App) logger(dev bool) *slog.Logger {
	var h slog.Handler
	if dev {
		h = slog.NewTextHandler(a.stderr(), &slog.HandlerOptions{Level: slog.LevelInfo})
	} else {
		h = slog.NewJSONHandler(a.stderr(), &slog.HandlerOptions{Level: slog.LevelInfo})
	}
	return slog.New(server.LogHandler{Handler: h})
}

// flags returns a FlagSet that reports errors as usage errors.
func (a *App) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr())
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// database opens the store for a command that needs only DATABASE_URL.
func (a *App) database(ctx context.Context) (*store.Store, *pgxpool.Pool, error) {
	dsn := a.getenv("DATABASE_URL")
	if dsn == "" {
		return nil, nil, errors.New("DATABASE_URL is not set")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	pool, err := store.Connect(ctx, dsn, 4)
	if err != nil {
		return nil, nil, err
	}
	return store.New(pool, nil), pool, nil
}

func (a *App) migrate(ctx context.Context, args []string) error {
	if err := parse(a.flags("migrate"), args); err != nil {
		return err
	}
	_, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, a.logger(true)); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout(), "database is up to date")
	return nil
}

var _ = config.FromEnv
