package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Mail is one received message, decoded.
type Mail struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	AuthUser string   // user the session authenticated as; empty without AUTH
	Subject  string   // RFC 2047 decoded
	Text     string   // first text/plain part, decoded, with LF line ends
	HTML     string   // first text/html part, decoded, with LF line ends
	Header   mail.Header
	Raw      []byte // as received after DATA
}

// Links returns the http and https URLs in the text part, in order.
func (m Mail) Links() []string {
	var links []string
	for _, l := range linkRE.FindAllString(m.Text, -1) {
		links = append(links, trimLink(l))
	}
	return links
}

// Link returns the first link in the text part whose path starts with prefix
// (such as "/approvals/"), or "" if there is none. A prefix that is itself a
// URL is matched against the whole link.
func (m Mail) Link(prefix string) string {
	for _, l := range m.Links() {
		if strings.HasPrefix(l, prefix) {
			return l
		}
		if u, err := url.Parse(l); err == nil && strings.HasPrefix(u.Path, prefix) {
			return l
		}
	}
	return ""
}

// Code returns the one-time code in the text part: the only standalone
// six-digit number, not counting digits inside links. It returns "" when there
// is none or when different six-digit numbers appear, because guessing would
// make a test pass with the wrong code.
func (m Mail) Code() string {
	text := linkRE.ReplaceAllString(m.Text, " ")
	code := ""
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		standalone := (i == 0 || !isAlnum(text[i-1])) && (j == len(text) || !isAlnum(text[j]))
		if j-i == 6 && standalone {
			switch run := text[i:j]; code {
			case "", run:
				code = run
			default:
				return ""
			}
		}
		i = j
	}
	return code
}

func (m Mail) sentTo(to string) bool {
	if to == "" {
		return true
	}
	for _, rcpt := range m.To {
		if strings.EqualFold(rcpt, to) {
			return true
		}
	}
	return false
}

// linkRE stops at the first character that may not appear in a URL, which
// includes all Japanese text and punctuation around a link.
var linkRE = regexp.MustCompile(`https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+`)

// trimLink drops punctuation that ends the sentence rather than the URL.
func trimLink(l string) string {
	for {
		trimmed := strings.TrimRight(l, ".,:;!?'\"")
		if strings.HasSuffix(trimmed, ")") && strings.Count(trimmed, "(") < strings.Count(trimmed, ")") {
			trimmed = trimmed[:len(trimmed)-1]
		}
		if trimmed == l {
			return l
		}
		l = trimmed
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

var wordDecoder = &mime.WordDecoder{
	// The standard decoder knows utf-8, us-ascii and iso-8859-1. Madoguchi
	// sends UTF-8 only, so anything else is a bug worth failing on.
	CharsetReader: func(charset string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("unexpected charset %q", charset)
	},
}

// maxDepth bounds multipart nesting; real mail uses two or three levels.
const maxDepth = 10

func parse(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, fmt.Errorf("header: %w", err)
	}
	subject, err := wordDecoder.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Mail{}, fmt.Errorf("subject: %w", err)
	}
	p := parser{m: Mail{Header: msg.Header, Raw: raw, Subject: subject}}
	if err := p.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return Mail{}, err
	}
	return p.m, nil
}

type parser struct {
	m                  Mail
	seenText, seenHTML bool
}

// walk descends into multipart bodies and keeps the first text/plain and
// text/html leaf that is not an attachment.
func (p *parser) walk(h textproto.MIMEHeader, body io.Reader, depth int) error {
	if depth > maxDepth {
		return errors.New("multipart nested too deeply")
	}
	contentType := h.Get("Content-Type")
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii" // RFC 2045 default
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", contentType, err)
	}

	if strings.HasPrefix(mediaType, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("%s without boundary", mediaType)
		}
		mr := multipart.NewReader(body, boundary)
		for {
			// NextRawPart: NextPart would decode quoted-printable itself
			// but not base64; decoding both here keeps one code path.
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			if err := p.walk(part.Header, part, depth+1); err != nil {
				return err
			}
		}
	}

	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
	}
	if d, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); d == "attachment" {
		return nil
	}
	switch cs := strings.ToLower(params["charset"]); cs {
	case "", "utf-8", "us-ascii":
	default:
		return fmt.Errorf("%s part: unexpected charset %q", mediaType, cs)
	}

	var r io.Reader
	switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
	case "", "7bit", "8bit", "binary":
		r = body
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	default:
		return fmt.Errorf("%s part: unknown Content-Transfer-Encoding %q", mediaType, cte)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s part: decode: %w", mediaType, err)
	}
	if !utf8.Valid(b) {
		return fmt.Errorf("%s part is not valid UTF-8", mediaType)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")

	switch {
	case mediaType == "text/plain" && !p.seenText:
		p.m.Text, p.seenText = text, true
	case mediaType == "text/html" && !p.seenHTML:
		p.m.HTML, p.seenHTML = text, true
	}
	return nil
}
