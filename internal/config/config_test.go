package config

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	base := map[string]string{
		"DATABASE_URL": "postgres://u:secret@db/madoguchi",
		"BASE_URL":     "https://support.example.com",
		"SMTP_URL":     "smtp://mailer:hunter2@smtp.example.com:587",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		dev     bool
		wantErr string
	}{
		{"Valid", base, false, ""},
		{"BaseURLRelative", with("BASE_URL", "/portal"), false, "BASE_URL"},
		{"BaseURLWithPath", with("BASE_URL", "https://x.example/portal"), false, "BASE_URL"},
		{"BaseURLFTP", with("BASE_URL", "ftp://x.example"), false, "BASE_URL"},
		{"SMTPUnset", with("SMTP_URL", ""), false, "SMTP_URL"},
		{"SMTPUnsetDev", with("SMTP_URL", ""), true, ""},
		{"SMTPWrongScheme", with("SMTP_URL", "http://x"), false, "SMTP_URL"},
		{"NoDatabase", with("DATABASE_URL", ""), false, "DATABASE_URL"},
		{"BadListen", with("LISTEN_ADDR", "8080"), false, "LISTEN_ADDR"},
		{"BadFrom", with("MAIL_FROM", "not an address"), false, "MAIL_FROM"},
		{"BadStorage", with("STORAGE_URL", "ftp://x"), false, "STORAGE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := FromEnv(env(tt.env))
			c.Dev = tt.dev
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate = %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestStringRedactsSecrets(t *testing.T) {
	c := FromEnv(func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://u:secret@db/m", "SMTP_URL": "smtp://m:hunter2@h:587", "BASE_URL": "https://x.example"}[k]
	})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"secret", "hunter2"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() leaks %q: %s", secret, s)
		}
	}
}

func TestDevBaseURLDefault(t *testing.T) {
	c := FromEnv(func(k string) string { return map[string]string{"DATABASE_URL": "postgres://db/m"}[k] })
	c.Dev = true
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "http://localhost:8080" {
		t.Errorf("BaseURL = %q", c.BaseURL)
	}
	if c.MailFrom != "Madoguchi <no-reply@localhost>" {
		t.Errorf("MailFrom = %q", c.MailFrom)
	}
}
