package app

import (
	"context"

	"madoguchi/internal/store"
)

// invite is filled in once the server's invitation flow exists.
func (a *App) invite(ctx context.Context, nu store.NewUser) error {
	return errUsage
}
