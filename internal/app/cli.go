package app

import (
	"context"
	"errors"
	"fmt"

	"madoguchi/internal/auth"
	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

func (a *App) accountCreate(ctx context.Context, args []string) error {
	fs := a.flags("account create")
	name := fs.String("name", "", "organization name (required)")
	identifier := fs.String("identifier", "", "customer identifier (generated when omitted)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if norm.Text(*name) == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	acc, err := st.CreateAccount(ctx, norm.Text(*name), norm.Identifier(*identifier))
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return fmt.Errorf("customer identifier %q is already used", norm.Identifier(*identifier))
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout(), acc.Identifier)
	return nil
}

// userSpec is what user create and user invite read from their flags.
type userSpec struct {
	email, name, role, account, otp, lang string
	approver, accountAdmin                bool
}

func (a *App) userCreate(ctx context.Context, args []string, invite bool) error {
	name := "user create"
	if invite {
		name = "user invite"
	}
	fs := a.flags(name)
	var sp userSpec
	fs.StringVar(&sp.email, "email", "", "e-mail address (required)")
	fs.StringVar(&sp.name, "name", "", "name as it is shown (required)")
	fs.StringVar(&sp.role, "role", "", "customer, agent or admin (required)")
	fs.StringVar(&sp.account, "account", "", "customer identifier of the organization (customers only)")
	fs.BoolVar(&sp.approver, "approver", false, "registration approver of the organization")
	fs.BoolVar(&sp.accountAdmin, "account-admin", false, "account administrator of the organization")
	fs.StringVar(&sp.otp, "otp", "email", "second factor: app or email")
	fs.StringVar(&sp.lang, "lang", "ja", "language of the user's pages and e-mails: ja or en")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	nu, err := a.newUser(ctx, st, sp)
	if err != nil {
		return err
	}
	if invite {
		return a.invite(ctx, nu)
	}
	password := auth.NewTemporaryPassword()
	if nu.PasswordHash, err = a.hasher().Hash(password); err != nil {
		return err
	}
	nu.MustChangePassword = true
	u, err := st.CreateUser(ctx, nu)
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return fmt.Errorf("%s is already registered", nu.Email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout(), "created %s %s (id %d); temporary password, to be changed at first sign-in:\n", u.Role, u.Email, u.ID)
	fmt.Fprintln(a.stdout(), password)
	return nil
}

// newUser validates a userSpec into a store.NewUser.
func (a *App) newUser(ctx context.Context, st *store.Store, sp userSpec) (store.NewUser, error) {
	nu := store.NewUser{
		Email: norm.Email(sp.email), Name: norm.Text(sp.name), Role: portal.Role(sp.role),
		IsApprover: sp.approver, IsAccountAdmin: sp.accountAdmin, OTPMethod: portal.OTPMethod(sp.otp),
		Language: sp.lang,
	}
	var errs []error
	if !norm.ValidEmail(nu.Email) {
		errs = append(errs, fmt.Errorf("--email %q is not an e-mail address", sp.email))
	}
	if nu.Name == "" {
		errs = append(errs, errors.New("--name is required"))
	}
	if !nu.Role.Valid() {
		errs = append(errs, errors.New("--role must be customer, agent or admin"))
	}
	if !nu.OTPMethod.Valid() {
		errs = append(errs, errors.New("--otp must be app or email"))
	}
	if !i18n.Supported(nu.Language) {
		errs = append(errs, errors.New("--lang must be ja or en"))
	}
	switch {
	case nu.Role == portal.RoleCustomer && sp.account == "":
		errs = append(errs, errors.New("--account is required for customers"))
	case nu.Role == portal.RoleCustomer:
		acc, err := st.AccountByIdentifier(ctx, norm.Identifier(sp.account))
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			errs = append(errs, fmt.Errorf("no organization has the customer identifier %q", sp.account))
		} else if err != nil {
			return nu, err
		} else {
			nu.AccountID = acc.ID
		}
	case sp.account != "" || sp.approver || sp.accountAdmin:
		errs = append(errs, errors.New("--account, --approver and --account-admin are for customers only"))
	}
	if len(errs) > 0 {
		return nu, fmt.Errorf("%w: %w", errUsage, errors.Join(errs...))
	}
	return nu, nil
}

func (a *App) userPassword(ctx context.Context, args []string) error {
	fs := a.flags("user password")
	email := fs.String("email", "", "e-mail address of the user (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	u, err := st.UserByEmail(ctx, norm.Email(*email))
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return fmt.Errorf("no user has the e-mail address %q", *email)
	}
	if err != nil {
		return err
	}
	password := auth.NewTemporaryPassword()
	hash, err := a.hasher().Hash(password)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, u.ID, hash, true, store.Audit{AccountID: u.AccountID, Action: "password.cli_reset", IP: "cli"}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout(), "new temporary password for %s (their sessions have ended):\n", u.Email)
	fmt.Fprintln(a.stdout(), password)
	return nil
}
