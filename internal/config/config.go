// Package config turns the environment into a validated Config. It is, with
// internal/app, the only place that reads the environment.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madoguchi/internal/portal"
)

// Config is the whole of Madoguchi's configuration.
type Config struct {
	DatabaseURL string // DATABASE_URL
	ListenAddr  string // LISTEN_ADDR
	BaseURL     string // BASE_URL: the only source of absolute links in e-mails
	SMTPURL     string // SMTP_URL; unset in --dev means the dev mailbox
	MailFrom    string // MAIL_FROM
	DataDir     string // DATA_DIR
	StorageURL  string // STORAGE_URL
	Dev         bool   // serve --dev

	// S3 keys for an s3:// STORAGE_URL that carries none.
	S3AccessKey string // AWS_ACCESS_KEY_ID
	S3SecretKey string // AWS_SECRET_ACCESS_KEY
	// MaxUploadSize is the largest attachment in bytes (MAX_UPLOAD_SIZE:
	// bytes, or a number with KB, MB or GB, binary units; default 250 MB);
	// -1 if unreadable, which Validate reports.
	MaxUploadSize int64
	// AutoCloseAfter is how long a case may wait on the customer before it
	// closes as "no response" (AUTO_CLOSE_AFTER); ReopenWindow is how long
	// after closing its customer may reopen it (REOPEN_WINDOW). Both are Go
	// durations ("336h") or whole days ("14d"); -1 if unreadable, which
	// Validate reports.
	AutoCloseAfter time.Duration
	ReopenWindow   time.Duration

	// Response targets (sla.go): the raw variables, and the policy and
	// warning settings Validate builds from them.
	SLAEnv             SLAEnv
	SLA                portal.SLAPolicy
	ResponseWarnBefore time.Duration // RESPONSE_WARN_BEFORE
	TeamEmail          string        // TEAM_EMAIL
}

// Defaults of the case periods (DESIGN.md flows 10 and 15).
const (
	DefaultAutoCloseAfter = 14 * 24 * time.Hour
	DefaultReopenWindow   = portal.ReopenWindow
)

// FromEnv reads the configuration through getenv (os.Getenv in main), with
// the defaults a developer machine wants.
func FromEnv(getenv func(string) string) Config {
	c := Config{
		DatabaseURL: getenv("DATABASE_URL"),
		ListenAddr:  getenv("LISTEN_ADDR"),
		BaseURL:     getenv("BASE_URL"),
		SMTPURL:     getenv("SMTP_URL"),
		MailFrom:    getenv("MAIL_FROM"),
		DataDir:     getenv("DATA_DIR"),
		StorageURL:  getenv("STORAGE_URL"),
		S3AccessKey: getenv("AWS_ACCESS_KEY_ID"),
		S3SecretKey: getenv("AWS_SECRET_ACCESS_KEY"),
		TeamEmail:   strings.TrimSpace(getenv("TEAM_EMAIL")),
	}
	c.MaxUploadSize = portal.DefaultMaxFileSize
	c.SLAEnv = slaFromEnv(getenv)
	c.AutoCloseAfter = parsePeriod(getenv("AUTO_CLOSE_AFTER"), DefaultAutoCloseAfter)
	c.ReopenWindow = parsePeriod(getenv("REOPEN_WINDOW"), DefaultReopenWindow)
	if v := getenv("MAX_UPLOAD_SIZE"); v != "" {
		c.MaxUploadSize = parseSize(v)
	}
	if c.ListenAddr == "" {
		c.ListenAddr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	return c
}

// Validate reports every invalid setting, each message naming its variable.
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is not set"))
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN_ADDR %q is not host:port", c.ListenAddr))
	}
	if c.BaseURL == "" && c.Dev {
		c.BaseURL = "http://" + devHost(c.ListenAddr)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		errs = append(errs, fmt.Errorf("BASE_URL %q must be an absolute http(s) URL with no path, e.g. https://support.example.com", c.BaseURL))
	} else {
		c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	}
	if c.SMTPURL == "" && !c.Dev {
		errs = append(errs, errors.New("SMTP_URL is not set (only serve --dev may go without it)"))
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
			errs = append(errs, errors.New("SMTP_URL must look like smtp://user:pass@host:port?tls=starttls|implicit|none"))
		}
	}
	if c.MailFrom == "" {
		host := "localhost"
		if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		c.MailFrom = "Madoguchi <no-reply@" + host + ">"
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		errs = append(errs, fmt.Errorf("MAIL_FROM %q is not an e-mail address: %v", c.MailFrom, err))
	}
	if c.StorageURL != "" {
		if u, err := url.Parse(c.StorageURL); err != nil || (u.Scheme != "file" && u.Scheme != "s3") {
			errs = append(errs, errors.New("STORAGE_URL must be file:///path or s3://bucket?endpoint=…"))
		}
	}
	if c.AutoCloseAfter <= 0 {
		errs = append(errs, errors.New("AUTO_CLOSE_AFTER must be a positive duration such as 14d or 336h"))
	}
	if c.ReopenWindow <= 0 {
		errs = append(errs, errors.New("REOPEN_WINDOW must be a positive duration such as 30d or 720h"))
	}
	if c.MaxUploadSize <= 0 {
		errs = append(errs, errors.New("MAX_UPLOAD_SIZE must be a size in bytes, or with KB, MB or GB (e.g. 250MB)"))
	}
	errs = append(errs, c.validateSLA()...)
	return errors.Join(errs...)
}

// parsePeriod reads a Go duration ("336h", "90m") or whole days ("14d"),
// returns def for an empty value and -1 for anything else.
func parsePeriod(v string, def time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return def
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3650 {
			return -1
		}
		return time.Duration(n) * 24 * time.Hour
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return -1
	}
	return d
}

// parseSize reads "1048576", "512KB", "250MB" or "1 GB" (binary units; KiB,
// MiB, GiB too), or returns -1.
func parseSize(v string) int64 {
	v = strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return -1
	}
	return n * mult
}

// Secure reports whether the portal is served over https, which decides the
// cookie's Secure flag and __Host- prefix.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// String describes the configuration with passwords redacted, for logs.
func (c Config) String() string {
	return fmt.Sprintf("listen=%s base_url=%s database=%s smtp=%s mail_from=%q data_dir=%s storage=%s max_upload=%d auto_close=%s reopen_window=%s dev=%t",
		c.ListenAddr, c.BaseURL, redact(c.DatabaseURL), redact(c.SMTPURL), c.MailFrom, c.DataDir, redact(c.StorageURL),
		c.MaxUploadSize, c.AutoCloseAfter, c.ReopenWindow, c.Dev)
}

func redact(raw string) string {
	if raw == "" {
		return "(unset)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	// S3 keys may ride in the query (s3://bucket?access_key=…&secret_key=…).
	if q := u.Query(); q.Has("secret_key") || q.Has("access_key") || q.Has("password") {
		for _, k := range []string{"secret_key", "access_key", "password"} {
			if q.Has(k) {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// devHost is the host a developer's browser reaches the listener at.
func devHost(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "127.0.0.1" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
