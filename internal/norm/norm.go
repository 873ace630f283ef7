// Package norm cleans up what people type into Madoguchi's forms before it is
// validated, stored or compared. Most users type with a Japanese IME switched
// on, so the same e-mail address, code or phone number arrives in full-width
// letters and digits, with ideographic spaces (U+3000) and with one of several
// dash characters where an ASCII hyphen was meant. Each function here fits one
// kind of field; none of them validates except ValidEmail.
package norm

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Code normalizes a one-time or recovery code: NFKC, then every space, dash,
// control and format character removed and letters lower-cased. Codes never
// contain those characters, so dropping them lets people paste "123 456",
// "a7k3-9xq2-m4p8" or a full-width copy and still match.
func Code(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsSpace(r) || isDash(r) || r == 'ー' ||
			unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return unicode.ToLower(r)
	}, strings.ToValidUTF8(s, ""))
}

// Identifier normalizes a customer identifier: NFKC, spaces and invisible
// format characters removed, upper-cased. Dashes become ASCII hyphens, and so does a katakana
// prolonged-sound mark (ー) between two ASCII letters or digits: that is what
// the hyphen key types while the IME is on, and a katakana word never follows
// an ASCII character inside an identifier.
func Identifier(s string) string {
	s = clean(norm.NFKC.String(s), false)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	return mapHyphens(s, isASCIIAlnum)
}

// Email normalizes an e-mail address: NFKC (so ＠ and ． become @ and .),
// surrounding spaces trimmed, lower-cased. Lower-casing the local part is not
// strictly correct by RFC 5321, but no mail system a customer uses treats
// Taro@ and taro@ as different people, and one spelling per address keeps
// sign-in and uniqueness checks simple.
func Email(s string) string {
	s = clean(norm.NFKC.String(s), false)
	return strings.ToLower(strings.TrimFunc(s, isTrimmable))
}

// Phone normalizes a phone number while keeping the way it was written:
// NFKC (full-width digits, ＋ and parentheses become ASCII), surrounding
// spaces trimmed, runs of spaces collapsed to one, dashes turned into ASCII
// hyphens. A ー between digits is also a hyphen (the IME types it for the
// hyphen key). Nothing else is removed or reordered: people recognise their
// number as they wrote it, and the portal only shows it back to staff.
func Phone(s string) string {
	s = clean(norm.NFKC.String(s), false)
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	return mapHyphens(s, isASCIIDigit)
}

// Text normalizes a name or free-text field. It uses NFC, not NFKC, so that
// what is stored looks exactly like what the user typed (NFKC would turn ㈱
// into (株) and full-width Ｂ into B in a company name); NFC only merges
// canonically equivalent sequences such as か + ゛ into が, so searches and
// comparisons don't depend on the sender's keyboard. Surrounding whitespace
// (including U+3000) is trimmed; control characters other than newline and
// tab are removed, a CR LF or lone CR becomes a newline, and bidirectional
// overrides and isolates are removed because they let a name reverse the text
// shown after it on staff screens.
func Text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = clean(norm.NFC.String(s), true)
	return strings.TrimFunc(s, isTrimmable)
}

// maxEmailLen is the longest address that fits in an SMTP path (RFC 5321
// section 4.5.3.1.3, as corrected by erratum 1690).
const maxEmailLen = 254

// ValidEmail reports whether s, an address already passed through Email, is
// a bare address a message can be sent to: no display name, no angle
// brackets or comments, exactly one @, a dot inside the domain and at most 254
// bytes. It is a sanity check for typos, not proof the mailbox exists: only
// the confirmation mail proves that.
func ValidEmail(s string) bool {
	if s == "" || len(s) > maxEmailLen || strings.Count(s, "@") != 1 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || len(local) > 64 {
		return false
	}
	// A domain literal such as [192.0.2.1] passes net/mail, but no customer
	// has one and it would route mail around DNS.
	if strings.ContainsAny(domain, "[]") {
		return false
	}
	dot := strings.IndexByte(domain, '.')
	return dot > 0 && !strings.HasSuffix(domain, ".")
}

// clean removes invalid UTF-8 and control characters, keeping newline and tab
// when keepLines is set. PostgreSQL refuses NUL and invalid UTF-8 in text
// columns, so leaving them in would turn a stray byte into a server error.
func clean(s string, keepLines bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError:
			return -1
		case keepLines && (r == '\n' || r == '\t'):
			return r
		case unicode.IsControl(r), isBidiControl(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// isBidiControl reports the explicit embedding, override and isolate
// characters; the implicit marks (LRM, RLM, ALM) are harmless and kept.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// isTrimmable is what may surround a value by accident: spaces of any width
// and invisible format characters such as a BOM or zero-width space picked up
// by copying from a PDF or a mail.
func isTrimmable(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// isDash reports characters people type or paste meaning "hyphen": the
// Unicode Dash property (hyphen, non-breaking hyphen, en and em dash,
// full-width hyphen-minus, minus sign, wave dash…) and the soft hyphen.
func isDash(r rune) bool {
	return unicode.Is(unicode.Dash, r) || r == '\u00AD'
}

// mapHyphens turns every dash into '-', and a ー whose neighbours (ignoring
// spaces) both satisfy near into '-' as well.
func mapHyphens(s string, near func(rune) bool) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r != '-' && (isDash(r) || r == 'ー') }) {
		return s
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == 'ー':
			if near(neighbour(rs, i, -1)) && near(neighbour(rs, i, +1)) {
				rs[i] = '-'
			}
		case isDash(r):
			rs[i] = '-'
		}
	}
	return string(rs)
}

// neighbour returns the nearest rune before (dir -1) or after (dir +1) rs[i]
// that is neither a space nor another ー, or 0 when there is none, so that
// "03 ー 1234" and "03ーー1234" count as between digits.
func neighbour(rs []rune, i, dir int) rune {
	for j := i + dir; j >= 0 && j < len(rs); j += dir {
		if r := rs[j]; r != ' ' && r != 'ー' {
			return r
		}
	}
	return 0
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

func isASCIIAlnum(r rune) bool {
	return isASCIIDigit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}
