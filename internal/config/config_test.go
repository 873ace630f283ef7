package config

import (
	"strings"
	"testing"
	"time"
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
		{"BadAutoClose", with("AUTO_CLOSE_AFTER", "two weeks"), false, "AUTO_CLOSE_AFTER"},
		{"BadReopenWindow", with("REOPEN_WINDOW", "-3d"), false, "REOPEN_WINDOW"},
		{"S3Storage", with("STORAGE_URL", "s3://bucket?endpoint=minio:9000&secure=false"), false, ""},
		{"MaxUpload", with("MAX_UPLOAD_SIZE", "1MB"), false, ""},
		{"MaxUploadWords", with("MAX_UPLOAD_SIZE", "lots"), false, "MAX_UPLOAD_SIZE"},
		{"MaxUploadZero", with("MAX_UPLOAD_SIZE", "0"), false, "MAX_UPLOAD_SIZE"},
		{"MaxUploadNegative", with("MAX_UPLOAD_SIZE", "-5MB"), false, "MAX_UPLOAD_SIZE"},
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

func TestMaxUploadSize(t *testing.T) {
	for v, want := range map[string]int64{
		"":           250 << 20,
		"1048576":    1 << 20,
		"1MB":        1 << 20,
		"1 mb":       1 << 20,
		"250MiB":     250 << 20,
		"512KB":      512 << 10,
		"2GB":        2 << 30,
		"100B":       100,
		"1.5MB":      -1,
		"MB":         -1,
		"0":          -1,
		"99999999GB": -1,
	} {
		c := FromEnv(func(k string) string { return map[string]string{"MAX_UPLOAD_SIZE": v}[k] })
		if c.MaxUploadSize != want {
			t.Errorf("MAX_UPLOAD_SIZE=%q: MaxUploadSize = %d, want %d", v, c.MaxUploadSize, want)
		}
	}
}

func TestStringRedactsStorageKeys(t *testing.T) {
	c := FromEnv(func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://db/m", "BASE_URL": "https://x.example", "SMTP_URL": "smtp://h:25",
			"STORAGE_URL":           "s3://bucket?endpoint=minio:9000&access_key=AKIAEXAMPLE&secret_key=wJalrXUtnFEMI",
			"AWS_SECRET_ACCESS_KEY": "envsecret"}[k]
	})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"AKIAEXAMPLE", "wJalrXUtnFEMI", "envsecret"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() leaks %q: %s", secret, s)
		}
	}
	if !strings.Contains(s, "bucket") || !strings.Contains(s, "minio%3A9000") && !strings.Contains(s, "minio:9000") {
		t.Errorf("String() hides the bucket or endpoint: %s", s)
	}
	if c.S3SecretKey != "envsecret" {
		t.Errorf("S3SecretKey = %q", c.S3SecretKey)
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

func TestCasePeriods(t *testing.T) {
	const day = 24 * time.Hour
	for v, want := range map[string]time.Duration{
		"":        -2, // the default
		"14d":     14 * day,
		" 7d ":    7 * day,
		"336h":    14 * day,
		"90m":     90 * time.Minute,
		"1h30m":   90 * time.Minute,
		"0d":      -1,
		"0":       -1,
		"-1h":     -1,
		"1.5d":    -1,
		"d":       -1,
		"9999d":   -1,
		"二週間":     -1,
		"14 days": -1,
	} {
		c := FromEnv(func(k string) string {
			return map[string]string{"AUTO_CLOSE_AFTER": v, "REOPEN_WINDOW": v}[k]
		})
		wantClose, wantReopen := want, want
		if want == -2 {
			wantClose, wantReopen = DefaultAutoCloseAfter, DefaultReopenWindow
		}
		if c.AutoCloseAfter != wantClose || c.ReopenWindow != wantReopen {
			t.Errorf("%q: AutoCloseAfter = %v, ReopenWindow = %v, want %v and %v", v, c.AutoCloseAfter, c.ReopenWindow,
				wantClose, wantReopen)
		}
	}
	if DefaultAutoCloseAfter != 14*day || DefaultReopenWindow != 30*day {
		t.Errorf("defaults %v and %v, want 14 and 30 days", DefaultAutoCloseAfter, DefaultReopenWindow)
	}
}
