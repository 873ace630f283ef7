package app

import (
	"context"
	"errors"
	"fmt"

	"madoguchi/internal/config"
	mailpkg "madoguchi/internal/mail"
	"madoguchi/internal/portal"
	"madoguchi/internal/server"
	"madoguchi/internal/store"
)

// invite sends a welcome link instead of printing a temporary password: the
// person sets their own password. The mail is written to the outbox with its
// delivery job; a running `serve` delivers it.
func (a *App) invite(ctx context.Context, nu store.NewUser) error {
	cfg := config.FromEnv(a.getenv)
	// Writing to the outbox needs no SMTP server, only the links' BASE_URL.
	cfg.Dev = cfg.SMTPURL == ""
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	_, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rt, err := a.runtime(cfg, pool, mailpkg.DevSender{}, a.logger(true), nil)
	if err != nil {
		return err
	}
	defer rt.srv.Close()
	id, err := rt.srv.InviteUser(ctx, nil, server.InviteSpec{
		AccountID: nu.AccountID, Email: nu.Email, Name: nu.Name, Role: nu.Role,
		IsApprover: nu.IsApprover, IsAccountAdmin: nu.IsAccountAdmin, OTPMethod: nu.OTPMethod,
		Language: nu.Language, IP: "cli",
	})
	if fe, ok := portal.AsFieldErrors(err); ok {
		var errs []error
		for field, key := range fe {
			errs = append(errs, fmt.Errorf("--%s: %s", field, rt.bundle.Localizer("en").T(key)))
		}
		return errors.Join(errs...)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout(), "invited %s %s (id %d); the welcome link is valid for %s and goes out with the next running serve\n",
		nu.Role, nu.Email, id, portal.WelcomeTTL)
	return nil
}
