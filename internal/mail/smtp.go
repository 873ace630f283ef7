package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes accepted in SMTP_URL's tls parameter.
const (
	tlsStartTLS = "starttls"
	tlsImplicit = "implicit"
	tlsNone     = "none"
)

// dialTimeout bounds connecting and, because go-mail reuses it as the
// connection deadline, every later SMTP command too, so a relay that stops
// answering cannot hold a river worker slot for long.
const dialTimeout = 10 * time.Second

// SMTPSender delivers mail to an SMTP relay configured by SMTP_URL.
//
// It holds only configuration and opens a fresh connection for every Send,
// so it is safe for concurrent use by river's worker goroutines; go-mail's
// Client keeps per-connection state and is not.
type SMTPSender struct {
	host     string
	port     int
	tls      string
	username string
	password string
	timeout  time.Duration
	// rootCAs is nil in production (system roots); tests substitute the CA of
	// their throwaway TLS server.
	rootCAs *x509.CertPool
}

// NewSMTPSender parses an SMTP_URL of the form
//
//	smtp://user:pass@host:port?tls=starttls|implicit|none
//
// tls defaults to starttls; the port defaults to 587, or 465 for implicit.
// User and password are optional (no user, no AUTH) and percent-decoded, so a
// password containing '@' or '/' must be written %40 or %2F. Errors name the
// setting and never repeat the password.
func NewSMTPSender(rawURL string) (*SMTPSender, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, urlError("is empty")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the whole URL, password included; keep only the
		// reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, urlError("cannot parse: %v", err)
	}
	if u.Scheme != "smtp" {
		return nil, urlError("scheme must be smtp://, got %q", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, urlError("must look like smtp://host:port")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, urlError("unexpected path %q", u.Path)
	}
	if u.Fragment != "" {
		return nil, urlError("unexpected fragment")
	}

	s := &SMTPSender{host: u.Hostname(), tls: tlsStartTLS, timeout: dialTimeout}
	if s.host == "" {
		return nil, urlError("missing host")
	}

	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, urlError("cannot parse query: %v", err)
	}
	for key, values := range query {
		if key != "tls" {
			// A misspelt parameter would otherwise silently fall back to
			// the defaults.
			return nil, urlError("unknown parameter %q (only tls is allowed)", key)
		}
		if len(values) != 1 {
			return nil, urlError("tls given %d times", len(values))
		}
		switch mode := strings.ToLower(values[0]); mode {
		case tlsStartTLS, tlsImplicit, tlsNone:
			s.tls = mode
		default:
			return nil, urlError("tls=%q: must be starttls, implicit or none", values[0])
		}
	}

	switch port := u.Port(); {
	case port != "":
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, urlError("invalid port %q", port)
		}
		s.port = n
	case s.tls == tlsImplicit:
		s.port = 465
	default:
		s.port = 587
	}

	if u.User != nil {
		s.username = u.User.Username()
		s.password, _ = u.User.Password()
		if s.username == "" && s.password != "" {
			return nil, urlError("password given without a user")
		}
	}
	if s.username != "" && s.tls == tlsNone && !isLoopback(s.host) {
		return nil, urlError("refusing to send the password unencrypted to %s; use tls=starttls or tls=implicit", s.host)
	}
	return s, nil
}

func urlError(format string, args ...any) error {
	return fmt.Errorf("SMTP_URL: "+format, args...)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes the relay without the password, for startup logs.
func (s *SMTPSender) String() string {
	u := url.URL{
		Scheme:   "smtp",
		Host:     net.JoinHostPort(s.host, strconv.Itoa(s.port)),
		RawQuery: "tls=" + s.tls,
	}
	if s.username != "" {
		u.User = url.User(s.username)
	}
	return u.String()
}

// Send delivers m over one SMTP connection. Failures that retrying cannot fix
// wrap ErrPermanent.
func (s *SMTPSender) Send(ctx context.Context, from Address, m Message) error {
	msg, err := buildMsg(from, m)
	if err != nil {
		return err
	}

	// go-mail honours ctx only while dialling; afterwards it relies on
	// deadlines. Closing the connection when ctx ends makes a cancelled job
	// (river shutdown, job timeout) stop at once instead of after the next
	// deadline. The dial func runs synchronously inside DialAndSend, so stops
	// needs no lock.
	var stops []func() bool
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	tlsConfig := s.tlsConfig()
	dial := func(dialCtx context.Context, _, _ string) (net.Conn, error) {
		// go-mail formats the address as host:port, which breaks IPv6
		// literals; build it ourselves.
		addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
		var d net.Dialer
		var conn net.Conn
		var err error
		if s.tls == tlsImplicit {
			td := tls.Dialer{NetDialer: &d, Config: tlsConfig}
			conn, err = td.DialContext(dialCtx, "tcp", addr)
		} else {
			conn, err = d.DialContext(dialCtx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		stops = append(stops, context.AfterFunc(ctx, func() { _ = conn.Close() }))
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsConfig),
	}
	switch s.tls {
	case tlsStartTLS:
		// Mandatory: a relay (or an attacker in between) that drops
		// STARTTLS must not get the password and the mail in clear text.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case tlsImplicit:
		// Our dialer already speaks TLS. Opportunistic makes go-mail look
		// at the connection, see TLS and treat it as encrypted when it picks
		// an AUTH mechanism; relays do not offer STARTTLS inside TLS.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case tlsNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if s.tls == tlsNone {
			// Only reachable for loopback hosts (NewSMTPSender refuses
			// others), where PLAIN in clear text exposes nothing;
			// auto-discovery would refuse PLAIN without TLS.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts,
			gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.username),
			gomail.WithPassword(s.password),
		)
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: smtp client: %w", err)
	}

	err = client.DialAndSendWithContext(ctx, msg)
	switch {
	case err == nil:
		return nil
	case msg.IsDelivered():
		// The relay accepted the message and only RSET or QUIT failed.
		// Reporting failure would make the worker send it again.
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("mail: send message %d: %w (%w)", m.ID, ctx.Err(), err)
	case isPermanent(err):
		return fmt.Errorf("%w: message %d: %w", ErrPermanent, m.ID, err)
	default:
		return fmt.Errorf("mail: send message %d: %w", m.ID, err)
	}
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName: s.host,
		MinVersion: tls.VersionTLS12,
		RootCAs:    s.rootCAs,
	}
}

// isPermanent reports a 5xx answer to RCPT TO (the recipient does not exist
// or is refused) or to the end of DATA (the content is refused). Other 5xx
// answers, such as to MAIL FROM or AUTH, usually mean our configuration is
// wrong, which an operator can fix while the worker keeps retrying.
func isPermanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	if code := se.ErrorCode(); code < 500 || code > 599 {
		return false
	}
	return se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPDataClose
}

// buildMsg renders m. Problems with m itself wrap ErrPermanent; problems with
// from are configuration errors and do not.
func buildMsg(from Address, m Message) (*gomail.Msg, error) {
	if m.ID <= 0 {
		return nil, fmt.Errorf("%w: message has no outbox id", ErrPermanent)
	}
	to, err := bareAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: message %d: recipient: %w", ErrPermanent, m.ID, err)
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, fmt.Errorf("%w: message %d has no text part", ErrPermanent, m.ID)
	}
	fromAddr, err := bareAddress(from.Email)
	if err != nil {
		return nil, fmt.Errorf("mail: from address: %w", err)
	}
	domain := strings.ToLower(fromAddr[strings.LastIndexByte(fromAddr, '@')+1:])
	if !isASCII(domain) {
		// Message-ID must be ASCII and we have no IDNA encoder at hand.
		return nil, fmt.Errorf("mail: from address %q: domain must be ASCII (punycode)", from.Email)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	// The *MailAddress setters take the name verbatim; net/mail renders a
	// non-ASCII name as an RFC 2047 encoded-word. FromFormat would instead
	// paste the name between quotes and break on a name containing '"'.
	msg.FromMailAddress(&mail.Address{Name: oneLine(from.Name), Address: fromAddr})
	msg.ToMailAddress(&mail.Address{Name: oneLine(m.ToName), Address: to})
	msg.Subject(oneLine(m.Subject))
	// Stable across retries, so receivers can drop the second copy when a
	// send whose outcome we could not record is repeated.
	msg.SetMessageIDWithValue(fmt.Sprintf("outbox-%d@%s", m.ID, domain))
	// RFC 3834: tells vacation responders and ticket systems not to answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	if !m.CreatedAt.IsZero() {
		// The time the portal wrote the mail, also stable across retries.
		msg.SetDateWithValue(m.CreatedAt)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// bareAddress accepts "user@example.jp" but not "Name <user@example.jp>":
// names travel separately, and an address that only parses with a name
// attached is a bug upstream.
func bareAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	if a.Name != "" || a.Address != s {
		return "", fmt.Errorf("%q is not a bare address", s)
	}
	return a.Address, nil
}

// oneLine turns line breaks in a name or subject into spaces: a header is one
// logical line. Other spacing, such as the ideographic space in "山田　太郎",
// is kept.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
