// Package mailtest runs a real SMTP server inside a test process. Tests point
// the production SMTP sender at it (Server.URL) and then read what arrived,
// fully decoded: subject, text and HTML bodies, the links and the one-time
// code in the text. Because the mail crosses a real SMTP connection and is
// parsed with the standard library alone, a test also proves that what the
// sender writes is valid MIME that ordinary mail clients can read.
package mailtest

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is an SMTP server listening on 127.0.0.1 that keeps every message
// it receives. It needs no TLS and no AUTH, but accepts AUTH PLAIN with any
// credentials so senders configured with a user work against it too.
type Server struct {
	addr string

	mu      sync.Mutex
	msgs    []Mail
	changed chan struct{} // closed and replaced on every arrival
	tb      testing.TB
	stopped bool // after Cleanup, tb must no longer be used
}

// Start starts a Server for the duration of tb.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{addr: ln.Addr().String(), changed: make(chan struct{}), tb: tb}

	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.localhost"
	srv.AllowInsecureAuth = true
	// Generous limits: they only stop a broken client from hanging a test.
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ErrorLog = logger{s}

	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		_ = srv.Close()
		<-served
	})
	return s
}

// URL is an SMTP_URL that reaches the server.
func (s *Server) URL() string {
	return "smtp://" + s.addr + "?tls=none"
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.msgs...)
}

// Count returns how many received messages had to among their envelope
// recipients; an empty to counts every message.
func (s *Server) Count(to string) int {
	n := 0
	for _, m := range s.Messages() {
		if m.sentTo(to) {
			n++
		}
	}
	return n
}

// WaitFor returns the newest message for to (any recipient if empty) that
// match accepts (any if nil), waiting up to timeout for it to arrive. If none
// arrives it fails the test, listing what did arrive.
//
// Messages that arrived before the call count too. To wait for a message
// that replaces an earlier one, such as a second one-time code, make match
// reject the earlier one (by its Message-ID or code).
func (s *Server) WaitFor(tb testing.TB, to string, match func(Mail) bool, timeout time.Duration) Mail {
	tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		msgs := append([]Mail(nil), s.msgs...)
		changed := s.changed
		s.mu.Unlock()

		// match runs unlocked: it is the caller's code and may call back
		// into the server.
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].sentTo(to) && (match == nil || match(msgs[i])) {
				return msgs[i]
			}
		}

		select {
		case <-changed:
		case <-timer.C:
			tb.Fatalf("mailtest: no matching mail to %q within %v; received:\n%s", to, timeout, describe(s.Messages()))
			return Mail{}
		}
	}
}

func describe(msgs []Mail) string {
	if len(msgs) == 0 {
		return "  (nothing)"
	}
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  #%d from=%s to=%v subject=%q", i+1, m.From, m.To, m.Subject)
	}
	return b.String()
}

func (s *Server) add(m Mail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.tb.Logf("mailtest: "+format, args...)
	}
}

// logger sends go-smtp's complaints to the test log, which is where someone
// debugging a failed send will look.
type logger struct{ s *Server }

func (l logger) Printf(format string, v ...any) { l.s.logf(format, v...) }
func (l logger) Println(v ...any)               { l.s.logf("%s", strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s}, nil
}

// session is one SMTP connection; go-smtp calls its methods from that
// connection's goroutine only.
type session struct {
	s        *Server
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, _ string) error {
		ss.authUser = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		// Rejecting makes the sender fail, so the test notices mail that
		// real clients could not read instead of silently storing it.
		ss.s.logf("rejecting malformed message from %s: %v\n%s", ss.from, err, raw)
		return &smtp.SMTPError{
			Code:         554,
			EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message:      "mailtest: malformed message: " + err.Error(),
		}
	}
	m.From = ss.from
	m.To = append([]string(nil), ss.to...)
	m.AuthUser = ss.authUser
	ss.s.add(m)
	return nil
}

func (ss *session) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *session) Logout() error { return nil }
