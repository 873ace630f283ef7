package app

import (
	"context"
	"fmt"
	"strings"

	"madoguchi/internal/config"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// DemoPassword is the password of every demo user. It is printed by seed demo
// and only ever set on a database that seed demo filled.
const DemoPassword = "madoguchi-demo-2026"

// DemoIdentifier is the demo organization's customer identifier, for trying
// the registration flow.
const DemoIdentifier = "DEMO0001"

type demoUser struct {
	email, name, role string
	approver, admin   bool
	lang              string
}

var demoUsers = []demoUser{
	{"yamada@demo.example", "山田 太郎", "customer", true, true, "ja"},
	{"sato@demo.example", "佐藤 花子", "customer", false, false, "ja"},
	{"agent@madoguchi.example", "Suzuki Ichiro", "agent", false, false, "en"},
	{"admin@madoguchi.example", "Tanaka Kei", "admin", false, false, "en"},
}

// seedDemo fills an empty database with a demo organization and its people.
// On a database that already has data it only prints how to sign in.
func (a *App) seedDemo(ctx context.Context, args []string) error {
	if err := parse(a.flags("seed demo"), args); err != nil {
		return err
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := st.CountAccounts(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		if err := a.fillDemo(ctx, st); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stdout(), "The database already has data; demo not seeded again.")
	}
	base := config.FromEnv(a.getenv).BaseURL
	if base == "" {
		base = "http://localhost:8080"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nSign in at %s/login with one of these (password %q for all):\n", base, DemoPassword)
	for _, u := range demoUsers {
		role := u.role
		if u.admin {
			role += ", account administrator and registration approver"
		}
		fmt.Fprintf(&b, "  %-26s %s (%s)\n", u.email, u.name, role)
	}
	fmt.Fprintf(&b, "One-time codes are e-mailed: with serve --dev they appear in the dev mailbox at %s/dev/mail.\n", base)
	fmt.Fprintf(&b, "To try registration, use customer identifier %s at %s/register; yamada@demo.example approves.\n", DemoIdentifier, base)
	fmt.Fprint(a.stdout(), b.String())
	return nil
}

func (a *App) fillDemo(ctx context.Context, st *store.Store) error {
	acc, err := st.CreateAccount(ctx, "デモ株式会社 (Demo Corporation)", DemoIdentifier)
	if err != nil {
		return err
	}
	hash, err := a.hasher().Hash(DemoPassword)
	if err != nil {
		return err
	}
	for _, du := range demoUsers {
		nu := store.NewUser{
			Email: du.email, Name: du.name, Role: portal.Role(du.role), IsApprover: du.approver,
			IsAccountAdmin: du.admin, PasswordHash: hash, OTPMethod: portal.OTPEmail,
			TimeZone: "Asia/Tokyo", Language: du.lang, CountryCode: "JP", Phone: "03-1234-5678",
		}
		if nu.Role == portal.RoleCustomer {
			nu.AccountID = acc.ID
		}
		if _, err := st.CreateUser(ctx, nu); err != nil {
			return fmt.Errorf("seed %s: %w", du.email, err)
		}
	}
	if err := fillDemoCatalog(ctx, st); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout(), "Seeded the demo organization %q (customer identifier %s).\n", acc.Name, acc.Identifier)
	fmt.Fprintf(a.stdout(), "Seeded %d products and %d categories of problems.\n", len(demoProducts), len(demoCategories))
	return nil
}
