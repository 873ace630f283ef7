package mailtest_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"madoguchi/internal/mail/mailtest"
)

// sendRaw delivers a hand-written message, for MIME shapes our own sender
// does not produce.
func sendRaw(t *testing.T, srv *mailtest.Server, to, raw string) error {
	t.Helper()
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	// smtp.SendMail insists on STARTTLS, which the server does not offer.
	c, err := smtp.Dial(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.SendMail("sender@example.com", []string{to}, strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n")))
}

func TestParsesNestedBase64(t *testing.T) {
	srv := mailtest.Start(t)
	raw := `From: =?UTF-8?B?44K144Od44O844OI?= <s@example.com>
To: r@example.jp
Subject: =?UTF-8?B?44OR44K544Kz44O844OJ?= =?UTF-8?Q?_123?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

44Kz44O844OJOiA2NTQzMjEK
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<p>コード</p>
--inner--
--outer
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="note.txt"

not the body
--outer--
`
	if err := sendRaw(t, srv, "r@example.jp", raw); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "r@example.jp", nil, 5*time.Second)
	if got.Subject != "パスコード 123" {
		t.Errorf("Subject = %q", got.Subject)
	}
	if got.Text != "コード: 654321\n" || got.Code() != "654321" {
		t.Errorf("Text = %q, Code = %q", got.Text, got.Code())
	}
	if got.HTML != "<p>コード</p>" {
		t.Errorf("HTML = %q", got.HTML)
	}
}

func TestRejectsUnreadableMail(t *testing.T) {
	srv := mailtest.Start(t)
	for name, raw := range map[string]string{
		"iso-2022-jp body": "Subject: x\nContent-Type: text/plain; charset=iso-2022-jp\n\nhello\n",
		"sjis subject":     "Subject: =?Shift_JIS?B?g2WDWINn?=\n\nhello\n",
		"no boundary":      "Subject: x\nContent-Type: multipart/alternative\n\nhello\n",
		"invalid utf-8":    "Subject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n/w==\n",
	} {
		err := sendRaw(t, srv, "r@example.jp", raw)
		if err == nil || !strings.Contains(err.Error(), "554") {
			t.Errorf("%s: SendMail = %v, want a 554 rejection", name, err)
		}
	}
	if n := srv.Count(""); n != 0 {
		t.Errorf("stored %d unreadable messages", n)
	}
}
