package i18n

import (
	"fmt"
	"regexp"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// Every message in locales/ is plain text with {{.Name}} placeholders, in
// the "other" form and, in English, a "one" form. T fills those directly:
// go-i18n runs a text/template for each, about 2 µs, and a case page with
// fifty timeline entries asks for a hundred and fifty messages. Anything
// else (another plural form, other template syntax, a count that is not a
// whole number, a value not given) goes to go-i18n, which a test checks
// agrees with this for every message.

// fastMessage is a message split into literal text and placeholders.
type fastMessage struct {
	one   []segment // nil when the message has no "one" form
	other []segment
}

// segment is literal text, or a placeholder when field is set.
type segment struct {
	text  string
	field string
}

var placeholder = regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// parseFast splits a message's template, or reports that it needs
// go-i18n.
func parseFast(m *goi18n.Message) (*fastMessage, bool) {
	if m.Zero != "" || m.Two != "" || m.Few != "" || m.Many != "" || m.LeftDelim != "" || m.RightDelim != "" {
		return nil, false
	}
	other, ok := splitTemplate(m.Other)
	if !ok {
		return nil, false
	}
	f := &fastMessage{other: other}
	if m.One != "" {
		if f.one, ok = splitTemplate(m.One); !ok {
			return nil, false
		}
	}
	return f, true
}

func splitTemplate(s string) ([]segment, bool) {
	var out []segment
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(s, -1) {
		if lit := s[last:loc[0]]; lit != "" {
			if strings.Contains(lit, "{{") {
				return nil, false
			}
			out = append(out, segment{text: lit})
		}
		out = append(out, segment{field: s[loc[2]:loc[3]]})
		last = loc[1]
	}
	if lit := s[last:]; lit != "" {
		if strings.Contains(lit, "{{") {
			return nil, false
		}
		out = append(out, segment{text: lit})
	}
	return out, true
}

// fill writes the message for data (alternating names and values) in
// lang, or reports that go-i18n must.
func (f *fastMessage) fill(lang string, data []any) (string, bool) {
	segs := f.other
	if f.one != nil {
		count, ok := lookup(data, "Count")
		if !ok {
			return "", false
		}
		var n int64
		switch c := count.(type) {
		case int:
			n = int64(c)
		case int64:
			n = c
		default:
			return "", false
		}
		// CLDR for whole numbers: Japanese has one form; English says
		// "one" for exactly 1.
		if lang == "en" && n == 1 {
			segs = f.one
		}
	}
	if len(segs) == 1 && segs[0].field == "" {
		return segs[0].text, true
	}
	var b strings.Builder
	for _, s := range segs {
		if s.field == "" {
			b.WriteString(s.text)
			continue
		}
		v, ok := lookup(data, s.field)
		if !ok {
			return "", false
		}
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String(), true
}

// lookup finds name's value in data, given as alternating names and values.
func lookup(data []any, name string) (any, bool) {
	for i := 0; i+1 < len(data); i += 2 {
		if k, ok := data[i].(string); ok && k == name {
			return data[i+1], data[i+1] != nil
		}
	}
	return nil, false
}
