// Package config turns the environment into a validated Config. It is, with
// internal/app, the only place that reads the environment.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
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
}

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
	return errors.Join(errs...)
}

// Secure reports whether the portal is served over https, which decides the
// cookie's Secure flag and __Host- prefix.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// String describes the configuration with passwords redacted, for logs.
func (c Config) String() string {
	return fmt.Sprintf("listen=%s base_url=%s database=%s smtp=%s mail_from=%q data_dir=%s storage=%s dev=%t",
		c.ListenAddr, c.BaseURL, redact(c.DatabaseURL), redact(c.SMTPURL), c.MailFrom, c.DataDir, redact(c.StorageURL), c.Dev)
}

func redact(raw string) string {
	if raw == "" {
		return "(unset)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
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
