package server

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"regexp"
	"strings"
	texttemplate "text/template"

	"madoguchi/internal/i18n"
	"madoguchi/internal/store"
)

// mailTemplates render e-mails. Each file in templates/emails/*.txt defines
// "NAME.subject" and "NAME.body" as text templates; the HTML part is the text
// laid out by templates/emails/layout.html, so the two parts always agree.
type mailTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

func parseMailTemplates(fsys fs.FS) (*mailTemplates, error) {
	text, err := texttemplate.New("").Funcs(texttemplate.FuncMap{
		"t": func(l *i18n.Localizer, key string, args ...any) string { return l.T(key, args...) },
	}).ParseFS(fsys, "templates/emails/*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	html, err := htmltemplate.New("").Funcs(funcs()).ParseFS(fsys, "templates/emails/layout.html")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	return &mailTemplates{text: text, html: html}, nil
}

// recipient is who an e-mail goes to, in which language.
type recipient struct {
	Email string
	Name  string
	Lang  string
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// mail renders e-mail name for to. data is given to the templates with L (the
// recipient's localizer), BaseURL and Name added. Every mail ends with the
// no-reply note.
func (s *Server) mail(to recipient, name string, data map[string]any) (store.Mail, error) {
	l := s.bundle.Localizer(to.Lang)
	if data == nil {
		data = map[string]any{}
	}
	data["L"] = l
	data["BaseURL"] = s.cfg.BaseURL
	data["Name"] = to.Name
	var subject, body bytes.Buffer
	if err := s.mails.text.ExecuteTemplate(&subject, name+".subject", data); err != nil {
		return store.Mail{}, fmt.Errorf("mail %s: %w", name, err)
	}
	if err := s.mails.text.ExecuteTemplate(&body, name+".body", data); err != nil {
		return store.Mail{}, fmt.Errorf("mail %s: %w", name, err)
	}
	text := strings.TrimSpace(body.String()) + "\n\n--\n" + l.T("mail.noreply") + "\n" + s.cfg.BaseURL + "/\n"

	var paragraphs []htmltemplate.HTML
	for _, p := range strings.Split(text, "\n\n") {
		esc := htmltemplate.HTMLEscapeString(strings.TrimSpace(p))
		esc = urlRE.ReplaceAllStringFunc(esc, func(u string) string {
			return `<a href="` + u + `">` + u + `</a>`
		})
		paragraphs = append(paragraphs, htmltemplate.HTML(strings.ReplaceAll(esc, "\n", "<br>\n")))
	}
	var html bytes.Buffer
	if err := s.mails.html.ExecuteTemplate(&html, "layout.html", map[string]any{
		"L": l, "Lang": l.Lang, "Subject": strings.TrimSpace(subject.String()), "Paragraphs": paragraphs,
	}); err != nil {
		return store.Mail{}, fmt.Errorf("mail %s: %w", name, err)
	}
	return store.Mail{
		To:      to.Email,
		ToName:  to.Name,
		Subject: strings.TrimSpace(subject.String()),
		Text:    text,
		HTML:    html.String(),
	}, nil
}
