package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"madoguchi/internal/mail/mailtest"
)

func testMsg(id int64, to string) Message {
	return Message{ID: id, To: to, Subject: "件名", Text: "本文"}
}

func TestSendRejectsInvalidMessage(t *testing.T) {
	// No server: these must fail before dialling.
	s, err := NewSMTPSender("smtp://127.0.0.1:1?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]Message{
		"no id":        {To: "a@example.jp", Text: "t"},
		"no recipient": {ID: 1, Text: "t"},
		"named to":     {ID: 1, To: "Taro <a@example.jp>", Text: "t"},
		"bad to":       {ID: 1, To: "not an address", Text: "t"},
		"no text":      {ID: 1, To: "a@example.jp", Text: " \n", HTML: "<p>x</p>"},
	} {
		if err := s.Send(t.Context(), testFrom, m); !errors.Is(err, ErrPermanent) {
			t.Errorf("%s: Send = %v, want ErrPermanent", name, err)
		}
	}
	// A bad From is our configuration, not the message's fault: retry.
	for _, from := range []Address{{Email: ""}, {Email: "support@例え.jp"}, {Email: "Support <s@example.jp>"}} {
		err := s.Send(t.Context(), from, testMsg(1, "a@example.jp"))
		if err == nil || errors.Is(err, ErrPermanent) {
			t.Errorf("from %q: Send = %v, want a non-permanent error", from.Email, err)
		}
	}
}

func TestSendKeepsHeadersOnOneLine(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := NewSMTPSender(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	m := testMsg(1, "a@example.jp")
	m.Subject = "件名\r\nBcc: victim@example.jp"
	m.ToName = "Taro\nX-Injected: yes"
	if err := s.Send(t.Context(), testFrom, m); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "a@example.jp", nil, 5*time.Second)
	if got.Header.Get("Bcc") != "" || got.Header.Get("X-Injected") != "" {
		t.Errorf("header injected:\n%s", got.Raw)
	}
	if got.Subject != "件名  Bcc: victim@example.jp" {
		t.Errorf("Subject = %q", got.Subject)
	}
}

func TestSendRequiresOfferedSTARTTLS(t *testing.T) {
	srv := mailtest.Start(t) // offers no STARTTLS
	u := strings.Replace(srv.URL(), "tls=none", "tls=starttls", 1)
	s, err := NewSMTPSender(u)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), testFrom, testMsg(1, "a@example.jp"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || errors.Is(err, ErrPermanent) {
		t.Errorf("Send = %v, want a retryable STARTTLS error", err)
	}
	if n := srv.Count(""); n != 0 {
		t.Errorf("%d messages went out in clear text", n)
	}
}

func TestSendOverTLS(t *testing.T) {
	for _, mode := range []string{"starttls", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			ts := startTestServer(t, mode == "implicit")
			s, err := NewSMTPSender("smtp://mailer:p%40ss@127.0.0.1:" + strconv.Itoa(ts.port) + "?tls=" + mode)
			if err != nil {
				t.Fatal(err)
			}
			s.rootCAs = ts.roots
			if err := s.Send(t.Context(), testFrom, testMsg(1, "a@example.jp")); err != nil {
				t.Fatal(err)
			}
			got := ts.received()
			if len(got) != 1 {
				t.Fatalf("received %d messages", len(got))
			}
			if !got[0].tls || got[0].user != "mailer" || got[0].password != "p@ss" {
				t.Errorf("tls=%v user=%q password=%q, want TLS and AUTH", got[0].tls, got[0].user, got[0].password)
			}
		})
	}
}

func TestSendVerifiesCertificate(t *testing.T) {
	ts := startTestServer(t, true)
	s, err := NewSMTPSender("smtp://127.0.0.1:" + strconv.Itoa(ts.port) + "?tls=implicit")
	if err != nil {
		t.Fatal(err)
	}
	// No rootCAs: the self-signed certificate must be refused.
	if err := s.Send(t.Context(), testFrom, testMsg(1, "a@example.jp")); err == nil {
		t.Fatal("sent to a server with an untrusted certificate")
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("received %d", n)
	}
}

func TestSendClassifiesRejections(t *testing.T) {
	ts := startTestServer(t, false)
	s, err := NewSMTPSender("smtp://127.0.0.1:" + strconv.Itoa(ts.port) + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	blocked := Address{Email: "blocked@madoguchi.example"}
	for _, tc := range []struct {
		from      Address
		to        string
		permanent bool
	}{
		{testFrom, "unknown@example.jp", true},   // 550 at RCPT TO
		{testFrom, "greylist@example.jp", false}, // 451 at RCPT TO
		{testFrom, "spam@example.jp", true},      // 554 after DATA
		{testFrom, "busy@example.jp", false},     // 452 after DATA
		// 553 at MAIL FROM: our configuration, which an operator can fix.
		{blocked, "a@example.jp", false},
	} {
		err := s.Send(t.Context(), tc.from, testMsg(1, tc.to))
		if err == nil {
			t.Errorf("%s: accepted", tc.to)
			continue
		}
		t.Logf("%s: %v", tc.to, err)
		if got := errors.Is(err, ErrPermanent); got != tc.permanent {
			t.Errorf("%s: permanent = %v, want %v (%v)", tc.to, got, tc.permanent, err)
		}
	}
	if err := s.Send(t.Context(), testFrom, testMsg(1, "ok@example.jp")); err != nil {
		t.Errorf("ok@example.jp: %v", err)
	}
}

func TestSendStopsWhenContextEnds(t *testing.T) {
	// A server that accepts connections and then says nothing, like a
	// relay stuck behind a broken load balancer.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		select {
		case c := <-accepted:
			_ = c.Close()
		default:
		}
	})

	s, err := NewSMTPSender("smtp://" + ln.Addr().String() + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, testFrom, testMsg(1, "a@example.jp"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v after ctx ended; it waited for the I/O deadline", d)
	}
}

// testServer is a go-smtp server with TLS, AUTH PLAIN and recipients that
// answer with canned errors, for what mailtest deliberately does not do.
type testServer struct {
	port  int
	roots *x509.CertPool

	mu   sync.Mutex
	msgs []testReceived
}

type testReceived struct {
	tls            bool
	user, password string
	raw            []byte
}

func (ts *testServer) received() []testReceived {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]testReceived(nil), ts.msgs...)
}

func startTestServer(t *testing.T, implicit bool) *testServer {
	t.Helper()
	cert, roots := selfSigned(t)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts := &testServer{roots: roots}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &testSession{ts: ts, conn: c, tls: isTLS}, nil
	}))
	srv.Domain = "test.localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	log := &testLogger{t: t}
	srv.ErrorLog = log

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.port = ln.Addr().(*net.TCPAddr).Port
	if implicit {
		ln = tls.NewListener(ln, tlsConfig)
	} else {
		srv.TLSConfig = tlsConfig // offers STARTTLS
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		log.stop()
		_ = srv.Close()
		<-done
	})
	return ts
}

// testLogger forwards go-smtp's log to the test until the test ends;
// connection goroutines may still complain after that, when t.Log panics.
type testLogger struct {
	t       *testing.T
	mu      sync.Mutex
	stopped bool
}

func (l *testLogger) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
}

func (l *testLogger) Printf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Logf(format, v...)
	}
}

func (l *testLogger) Println(v ...any) { l.Printf("%s", fmt.Sprint(v...)) }

type testSession struct {
	ts             *testServer
	conn           *smtp.Conn
	tls            bool
	user, password string
	to             string
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		s.user, s.password = user, password
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if from == "blocked@madoguchi.example" {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender not allowed"}
	}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	switch to {
	case "unknown@example.jp":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case "greylist@example.jp":
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted"}
	}
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch s.to {
	case "spam@example.jp":
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "looks like spam"}
	case "busy@example.jp":
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "insufficient storage"}
	}
	// TLS may have started after the session began (STARTTLS).
	_, isTLS := s.conn.TLSConnectionState()
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	s.ts.msgs = append(s.ts.msgs, testReceived{tls: s.tls || isTLS, user: s.user, password: s.password, raw: raw})
	return nil
}

func (s *testSession) Reset()        { s.to = "" }
func (s *testSession) Logout() error { return nil }

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mail test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(parsed)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, roots
}
