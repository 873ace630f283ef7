package app_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app"
	"madoguchi/internal/app/apptest"
	"madoguchi/internal/auth"
	"madoguchi/internal/mail/mailtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// run runs the binary's subcommand with env and returns stdout, stderr.
func run(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app.App{
		Getenv: func(k string) string { return env[k] },
		Stdout: &out, Stderr: &errOut,
		Hasher: &auth.Hasher{Params: auth.TestParams},
	}
	err := a.Run(context.Background(), args)
	return out.String(), errOut.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func TestCLI_AccountAndUsers(t *testing.T) {
	t.Parallel()
	dsn := storetest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn}
	ctx := context.Background()
	pool, err := store.Connect(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool, nil)

	out, _, err := run(t, env, "account", "create", "--name", "Acme 株式会社")
	if err != nil {
		t.Fatal(err)
	}
	ident := lastLine(out)
	if len(ident) != 9 || ident[0] != 'C' {
		t.Fatalf("generated identifier = %q", ident)
	}
	if _, _, err := run(t, env, "account", "create", "--name", "Twin", "--identifier", "acme-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, env, "account", "create", "--name", "Twin 2", "--identifier", "ACME-1"); err == nil {
		t.Error("a second account with the same identifier was created")
	}

	out, _, err = run(t, env, "user", "create", "--email", "ＴＡＲＯ@Example.com", "--name", "山田 太郎",
		"--role", "customer", "--account", ident, "--approver", "--account-admin", "--otp", "app")
	if err != nil {
		t.Fatal(err)
	}
	password := lastLine(out)
	u, err := st.UserByEmail(ctx, "taro@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !u.MustChangePassword || !u.IsApprover || !u.IsAccountAdmin || u.OTPMethod != portal.OTPApp || u.Name != "山田 太郎" {
		t.Errorf("created user = %+v", u)
	}
	if ok, _ := (auth.Hasher{Params: auth.TestParams}).Verify(password, u.PasswordHash); !ok {
		t.Errorf("printed password %q does not verify", password)
	}

	out, _, err = run(t, env, "user", "create", "--email", "agent@vendor.example", "--name", "Agent", "--role", "agent")
	if err != nil {
		t.Fatal(err)
	}
	if lastLine(out) == "" {
		t.Error("no temporary password printed for the agent")
	}

	for _, bad := range [][]string{
		{"user", "create", "--email", "not-an-address", "--name", "X", "--role", "customer", "--account", ident},
		{"user", "create", "--email", "x@example.com", "--name", "X", "--role", "customer"},
		{"user", "create", "--email", "x@example.com", "--name", "X", "--role", "customer", "--account", "NOPE"},
		{"user", "create", "--email", "x@example.com", "--name", "X", "--role", "boss"},
		{"user", "create", "--email", "y@example.com", "--name", "Y", "--role", "agent", "--approver"},
		{"user", "create", "--email", "taro@example.com", "--name", "Dup", "--role", "customer", "--account", ident},
	} {
		if _, _, err := run(t, env, bad...); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}

	before := u.SessionEpoch
	out, _, err = run(t, env, "user", "password", "--email", "taro@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u2, _ := st.UserByEmail(ctx, "taro@example.com")
	if ok, _ := (auth.Hasher{Params: auth.TestParams}).Verify(lastLine(out), u2.PasswordHash); !ok || !u2.MustChangePassword {
		t.Error("user password did not set a temporary password")
	}
	if u2.SessionEpoch == before {
		t.Error("user password did not end the user's sessions")
	}
	if _, _, err := run(t, env, "user", "password", "--email", "nobody@example.com"); err == nil {
		t.Error("user password for an unknown address succeeded")
	}
}

func TestCLI_SeedDemoIsIdempotent(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": storetest.URL(t), "BASE_URL": "http://localhost:8080"}
	out, _, err := run(t, env, "seed", "demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"yamada@demo.example", app.DemoPassword, app.DemoIdentifier, "/dev/mail"} {
		if !strings.Contains(out, want) {
			t.Errorf("seed demo output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, env, "seed", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "already") || !strings.Contains(out, "yamada@demo.example") {
		t.Errorf("second seed demo:\n%s", out)
	}
}

func TestCLI_Migrate(t *testing.T) {
	t.Parallel()
	out, _, err := run(t, map[string]string{"DATABASE_URL": storetest.URL(t)}, "migrate")
	if err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate on a migrated database: %v %q", err, out)
	}
}

func TestServe_RefusesInvalidConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"RelativeBaseURL", map[string]string{"DATABASE_URL": "postgres://x/y", "BASE_URL": "support.example.com", "SMTP_URL": "smtp://h:25"}, nil, "BASE_URL"},
		{"NoSMTP", map[string]string{"DATABASE_URL": "postgres://x/y", "BASE_URL": "https://support.example.com"}, nil, "SMTP_URL"},
		{"BadSMTP", map[string]string{"DATABASE_URL": "postgres://x/y", "BASE_URL": "https://s.example", "SMTP_URL": "smtp://h:25?tls=maybe"}, []string{"--dev"}, "SMTP_URL"},
		{"NoDatabase", map[string]string{"BASE_URL": "https://s.example", "SMTP_URL": "smtp://h:25"}, nil, "DATABASE_URL"},
		{"BadProxies", map[string]string{"DATABASE_URL": "postgres://x/y", "BASE_URL": "https://s.example", "SMTP_URL": "smtp://h:25", "TRUSTED_PROXIES": "lb"}, nil, "TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, tt.env, append([]string{"serve"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	if _, errOut, err := run(t, nil, "frobnicate"); err == nil || !strings.Contains(errOut, "usage") {
		t.Errorf("unknown command: %v %q", err, errOut)
	}
}

func TestCLI_InviteSendsWelcomeLink(t *testing.T) {
	t.Parallel()
	in := apptest.Start(t)
	env := map[string]string{"DATABASE_URL": in.DBURL, "BASE_URL": in.URL}
	acc := in.Account(t, "Invitees Inc.")
	if _, _, err := run(t, env, "user", "invite", "--email", "new@invitee.example", "--name", "Kimura Aoi",
		"--role", "customer", "--account", acc.Identifier, "--lang", "en"); err != nil {
		t.Fatal(err)
	}
	// The running instance delivers what the command wrote to the outbox.
	m := in.Mail.WaitFor(t, "new@invitee.example", func(m mailtest.Mail) bool { return m.Link("/welcome/") != "" }, 20*time.Second)
	link := m.Link("/welcome/")
	if !strings.HasPrefix(link, in.URL+"/welcome/") {
		t.Fatalf("welcome link %q is not under BASE_URL %s", link, in.URL)
	}
	r := in.Client(t).Get(strings.TrimPrefix(link, in.URL))
	if r.Status != 200 || !strings.Contains(r.Body, "Kimura Aoi") || !strings.Contains(r.Body, "new@invitee.example") {
		t.Errorf("welcome page: %d, name and e-mail filled in: %v", r.Status, strings.Contains(r.Body, "Kimura Aoi"))
	}
	if _, _, err := run(t, env, "user", "invite", "--email", "new@invitee.example", "--name", "Again",
		"--role", "customer", "--account", acc.Identifier); err == nil {
		t.Error("inviting a taken address succeeded")
	}
	if _, _, err := run(t, env, "user", "invite", "--email", "staff@vendor.example", "--name", "New Agent", "--role", "agent"); err != nil {
		t.Errorf("staff invitation: %v", err)
	}
	in.Mail.WaitFor(t, "staff@vendor.example", func(m mailtest.Mail) bool { return m.Link("/welcome/") != "" }, 20*time.Second)
}
