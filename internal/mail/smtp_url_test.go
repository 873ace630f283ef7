package mail

import (
	"strings"
	"testing"
)

func TestNewSMTPSender(t *testing.T) {
	for _, tc := range []struct {
		url      string
		host     string
		port     int
		tls      string
		user     string
		password string
	}{
		{url: "smtp://mail.example.jp", host: "mail.example.jp", port: 587, tls: "starttls"},
		{url: "smtp://mail.example.jp/", host: "mail.example.jp", port: 587, tls: "starttls"},
		{url: "smtp://mail.example.jp:2525?tls=none", host: "mail.example.jp", port: 2525, tls: "none"},
		{url: "smtp://mail.example.jp?tls=none", host: "mail.example.jp", port: 587, tls: "none"},
		{url: "smtp://mail.example.jp?tls=implicit", host: "mail.example.jp", port: 465, tls: "implicit"},
		{url: "smtp://mail.example.jp:4650?tls=IMPLICIT", host: "mail.example.jp", port: 4650, tls: "implicit"},
		{url: "smtp://mail.example.jp?tls=starttls", host: "mail.example.jp", port: 587, tls: "starttls"},
		{
			url:  "smtp://user%40example.jp:p%40ss%2Fw%3Ard%25@mail.example.jp:587",
			host: "mail.example.jp", port: 587, tls: "starttls", user: "user@example.jp", password: "p@ss/w:rd%",
		},
		{url: "smtp://apikey@mail.example.jp", host: "mail.example.jp", port: 587, tls: "starttls", user: "apikey"},
		{url: "smtp://u:p@localhost:1025?tls=none", host: "localhost", port: 1025, tls: "none", user: "u", password: "p"},
		{url: "smtp://u:p@127.0.0.1:1025?tls=none", host: "127.0.0.1", port: 1025, tls: "none", user: "u", password: "p"},
		{url: "smtp://[::1]:2525?tls=none", host: "::1", port: 2525, tls: "none"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := NewSMTPSender(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if s.host != tc.host || s.port != tc.port || s.tls != tc.tls || s.username != tc.user || s.password != tc.password {
				t.Errorf("got host=%q port=%d tls=%q user=%q password=%q", s.host, s.port, s.tls, s.username, s.password)
			}
			if s.timeout <= 0 {
				t.Errorf("no timeout")
			}
		})
	}
}

func TestNewSMTPSenderErrors(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want string // part of the error besides SMTP_URL
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"smtp://", "missing host"},
		{"smtp://:587", "missing host"},
		{"smtp://secret@:587", "missing host"},
		{"smtp://mail.example.jp?tls=ssl", "tls="},
		{"smtp://mail.example.jp?tls=", "tls="},
		{"smtp://mail.example.jp?tls=none&tls=starttls", "tls given 2 times"},
		{"smtp://mail.example.jp?tsl=none", "unknown parameter"},
		{"smtps://mail.example.jp", "scheme"},
		{"http://mail.example.jp", "scheme"},
		{"mail.example.jp:587", "scheme"},
		{"//mail.example.jp", "scheme"},
		{"smtp:mail.example.jp", "smtp://host:port"},
		{"smtp://mail.example.jp:0", "port"},
		{"smtp://mail.example.jp:99999", "port"},
		{"smtp://u:secret@mail.example.jp:abc", "parse"},
		{"smtp://mail.example.jp/relay", "path"},
		{"smtp://mail.example.jp#x", "fragment"},
		{"smtp://:secret@mail.example.jp", "without a user"},
		{"smtp://u:secret@mail.example.jp?tls=none", "unencrypted"},
		{"smtp://u:sec ret@mail.example.jp", "parse"},
		{"smtp://u:secret@mail.example.jp?%zz", "query"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := NewSMTPSender(tc.url)
			if err == nil {
				t.Fatalf("no error; got %+v", s)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "SMTP_URL: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q should start with SMTP_URL and mention %q", msg, tc.want)
			}
			if strings.Contains(msg, "secret") || strings.Contains(msg, "sec ret") {
				t.Errorf("error %q leaks the password", msg)
			}
		})
	}
}

func TestSMTPSenderStringHidesPassword(t *testing.T) {
	s, err := NewSMTPSender("smtp://mailer:secret@mail.example.jp?tls=implicit")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "smtp://mailer@mail.example.jp:465?tls=implicit"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
