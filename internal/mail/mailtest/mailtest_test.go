package mailtest_test

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"madoguchi/internal/mail"
	"madoguchi/internal/mail/mailtest"
)

var from = mail.Address{Name: "Madoguchi サポート", Email: "support@madoguchi.example"}

const japaneseText = `山田 太郎 様

Madoguchi にサインインするためのワンタイムパスコードです。

    482913

このコードの有効期限は10分間です。お心当たりのない場合は、このメールを破棄してください。
承認待ちの申請はこちら：https://portal.madoguchi.example/approvals/42?lang=ja。
ヘルプ (https://portal.madoguchi.example/help).

-- 
Madoguchi サポート
`

// send reports failure with Errorf, not Fatalf, so goroutines may use it.
func send(t *testing.T, srv *mailtest.Server, m mail.Message) {
	t.Helper()
	sender, err := mail.NewSMTPSender(srv.URL())
	if err != nil {
		t.Error(err)
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := sender.Send(ctx, from, m); err != nil {
		t.Errorf("Send: %v", err)
	}
}

func TestJapaneseMailRoundTrip(t *testing.T) {
	srv := mailtest.Start(t)
	const subject = "ワンタイムパスコード: 山田 太郎"
	html := "<p>山田 太郎 様</p><p>コード: <b>482913</b></p>"
	created := time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)
	send(t, srv, mail.Message{
		ID:        42,
		To:        "taro.yamada@example.jp",
		ToName:    "山田 太郎",
		Subject:   subject,
		Text:      japaneseText,
		HTML:      html,
		CreatedAt: created,
	})

	got := srv.WaitFor(t, "taro.yamada@example.jp", nil, 5*time.Second)
	t.Logf("raw message:\n%s", got.Raw)

	if got.Subject != subject {
		t.Errorf("Subject = %q, want %q", got.Subject, subject)
	}
	if raw := got.Header.Get("Subject"); !strings.Contains(raw, "=?UTF-8?") && !strings.Contains(raw, "=?utf-8?") {
		t.Errorf("raw Subject %q is not an RFC 2047 encoded-word", raw)
	}
	if got.Text != japaneseText {
		t.Errorf("Text did not survive:\n got %q\nwant %q", got.Text, japaneseText)
	}
	if got.HTML != html {
		t.Errorf("HTML = %q, want %q", got.HTML, html)
	}

	fromHdr, err := got.Header.AddressList("From")
	if err != nil || len(fromHdr) != 1 {
		t.Fatalf("From header %q: %v", got.Header.Get("From"), err)
	}
	if fromHdr[0].Name != from.Name || fromHdr[0].Address != from.Email {
		t.Errorf("From = %q <%s>, want %q <%s>", fromHdr[0].Name, fromHdr[0].Address, from.Name, from.Email)
	}
	if raw := got.Header.Get("From"); !isASCII(raw) {
		t.Errorf("raw From header %q is not ASCII; Japanese name must be encoded", raw)
	}
	toHdr, err := got.Header.AddressList("To")
	if err != nil || len(toHdr) != 1 || toHdr[0].Name != "山田 太郎" {
		t.Errorf("To header %q decoded to %v, %v", got.Header.Get("To"), toHdr, err)
	}

	if id := got.Header.Get("Message-ID"); id != "<outbox-42@madoguchi.example>" {
		t.Errorf("Message-ID = %q", id)
	}
	if v := got.Header.Get("Auto-Submitted"); v != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", v)
	}
	if date, err := got.Header.Date(); err != nil || !date.Equal(created) {
		t.Errorf("Date = %v, %v; want %v", date, err, created)
	}
	if got.From != from.Email || len(got.To) != 1 || got.To[0] != "taro.yamada@example.jp" {
		t.Errorf("envelope = %s -> %v", got.From, got.To)
	}
	if got.AuthUser != "" {
		t.Errorf("AuthUser = %q without credentials in the URL", got.AuthUser)
	}

	wantLinks := []string{
		"https://portal.madoguchi.example/approvals/42?lang=ja",
		"https://portal.madoguchi.example/help",
	}
	if links := got.Links(); strings.Join(links, " ") != strings.Join(wantLinks, " ") {
		t.Errorf("Links = %q, want %q", links, wantLinks)
	}
	if l := got.Link("/approvals/"); l != wantLinks[0] {
		t.Errorf(`Link("/approvals/") = %q`, l)
	}
	if l := got.Link("/nope/"); l != "" {
		t.Errorf(`Link("/nope/") = %q, want ""`, l)
	}
	if c := got.Code(); c != "482913" {
		t.Errorf("Code = %q, want 482913", c)
	}
}

func TestTextOnlyAndLongLines(t *testing.T) {
	srv := mailtest.Start(t)
	// Long enough to need quoted-printable soft line breaks, with a long URL
	// that must come back in one piece.
	long := strings.Repeat("あいうえお", 40)
	link := "https://portal.madoguchi.example/reset/" + strings.Repeat("x", 120)
	text := long + "\n" + link + "\n"
	send(t, srv, mail.Message{ID: 7, To: "a@example.jp", Subject: strings.Repeat("長い件名", 20), Text: text})

	got := srv.WaitFor(t, "a@example.jp", nil, 5*time.Second)
	if got.Text != text {
		t.Errorf("Text = %q, want %q", got.Text, text)
	}
	if got.HTML != "" {
		t.Errorf("HTML = %q, want none", got.HTML)
	}
	if got.Subject != strings.Repeat("長い件名", 20) {
		t.Errorf("Subject = %q", got.Subject)
	}
	if got.Link("/reset/") != link {
		t.Errorf("Link = %q, want %q", got.Link("/reset/"), link)
	}
	if got.Code() != "" {
		t.Errorf("Code = %q, want none", got.Code())
	}
}

func TestAuthPlainWithPercentEncodedCredentials(t *testing.T) {
	srv := mailtest.Start(t)
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("mailer@madoguchi.example", "p@ss/word:1")
	sender, err := mail.NewSMTPSender(u.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(t.Context(), from, mail.Message{ID: 1, To: "b@example.jp", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "b@example.jp", nil, 5*time.Second); got.AuthUser != "mailer@madoguchi.example" {
		t.Errorf("AuthUser = %q", got.AuthUser)
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"コード：123456。", "123456"},
		{"123456", "123456"},
		{"code 123456, again 123456", "123456"},
		{"123456 and 654321", ""},
		{"1234567 12345", ""},
		{"ABC123456", ""},
		{"https://x.example/approvals/123456 only a link", ""},
		{"https://x.example/a/111111 code 222222", "222222"},
		{"電話 03-1234-5678", ""},
		{"", ""},
	} {
		if got := (mailtest.Mail{Text: tc.text}).Code(); got != tc.want {
			t.Errorf("Code(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestWaitForAndCount(t *testing.T) {
	srv := mailtest.Start(t)
	var wg sync.WaitGroup
	for i, to := range []string{"x@example.jp", "y@example.jp", "x@example.jp"} {
		wg.Go(func() {
			// WaitFor is called before any of these arrive, so it has to
			// wake up on arrival rather than find them already there.
			time.Sleep(50 * time.Millisecond)
			send(t, srv, mail.Message{ID: int64(i + 1), To: to, Subject: "n", Text: "t"})
		})
	}
	got := srv.WaitFor(t, "y@example.jp", nil, 5*time.Second)
	if got.Header.Get("Message-ID") != "<outbox-2@madoguchi.example>" {
		t.Errorf("WaitFor returned %q", got.Header.Get("Message-ID"))
	}
	wg.Wait()
	if n := srv.Count("X@example.jp"); n != 2 {
		t.Errorf("Count(x) = %d, want 2", n)
	}
	if n := srv.Count(""); n != 3 || len(srv.Messages()) != 3 {
		t.Errorf("Count(\"\") = %d, Messages = %d, want 3", n, len(srv.Messages()))
	}
	second := srv.WaitFor(t, "x@example.jp", func(m mailtest.Mail) bool {
		return m.Header.Get("Message-ID") == "<outbox-3@madoguchi.example>"
	}, time.Second)
	if second.Header.Get("Message-ID") != "<outbox-3@madoguchi.example>" {
		t.Errorf("match ignored: %q", second.Header.Get("Message-ID"))
	}
}

func TestWaitForTimeoutListsArrivals(t *testing.T) {
	srv := mailtest.Start(t)
	send(t, srv, mail.Message{ID: 1, To: "someone@example.jp", Subject: "届いた件名", Text: "t"})
	srv.WaitFor(t, "someone@example.jp", nil, time.Second)

	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		// Fatalf ends the goroutine it runs in, like t.Fatalf would end the
		// test; run it in its own goroutine to observe the message.
		defer close(done)
		srv.WaitFor(rec, "nobody@example.jp", nil, 100*time.Millisecond)
	}()
	<-done
	if !strings.Contains(rec.fatal, `no matching mail to "nobody@example.jp"`) ||
		!strings.Contains(rec.fatal, "someone@example.jp") || !strings.Contains(rec.fatal, "届いた件名") {
		t.Errorf("failure message does not list arrivals:\n%s", rec.fatal)
	}
}

// recorder captures a Fatalf instead of failing the real test.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
