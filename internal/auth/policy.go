package auth

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"madoguchi/internal/portal"
)

// Password length limits, in characters (runes after NFC). NIST SP 800-63B
// puts length, not composition rules, at the centre of a password policy; the
// upper bound only stops absurd inputs, long enough for any passphrase.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// Form fields the password policy's messages belong beside.
const (
	FieldNewPassword     = "new_password"
	FieldConfirmPassword = "confirm_password"
)

// commonPasswordsText is zxcvbn's list of the 30,000 most common passwords
// (see common_passwords.LICENSE). It is shipped in the binary, not fetched, so
// the check works offline and can't fail at sign-up time.
//
//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 30000)
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			set[passwordKey(line)] = struct{}{}
		}
	}
	return set
})

// CheckPassword applies the password policy to a new password: length, not
// a common or trivially guessable password, not the same as the user's
// e-mail address, its local part or name (passed as context; empty strings
// are ignored), and confirm equal to password. It returns the first problem
// as a *portal.Error for the field the user has to fix.
func CheckPassword(password, confirm string, context ...string) error {
	if password == "" {
		return portal.FieldError(FieldNewPassword, "password.required")
	}
	n := utf8.RuneCountInString(norm.NFC.String(password))
	if n < MinPasswordLen {
		e := portal.FieldError(FieldNewPassword, "password.too_short")
		e.Data = map[string]any{"Min": MinPasswordLen}
		return e
	}
	if n > MaxPasswordLen {
		e := portal.FieldError(FieldNewPassword, "password.too_long")
		e.Data = map[string]any{"Max": MaxPasswordLen}
		return e
	}
	key := passwordKey(password)
	if isCommon(key) {
		return portal.FieldError(FieldNewPassword, "password.common")
	}
	for _, c := range context {
		if matchesContext(key, c) {
			return portal.FieldError(FieldNewPassword, "password.matches_personal_info")
		}
	}
	// Compared in the form that is hashed, so confirm can't fail on a
	// difference the hash would ignore.
	if norm.NFKC.String(password) != norm.NFKC.String(confirm) {
		return portal.FieldError(FieldConfirmPassword, "password.mismatch")
	}
	return nil
}

// passwordKey is the form passwords are compared in: what Hasher hashes
// (NFKC), case-folded, so that "Password1234" and full-width "ｐａｓｓｗｏｒｄ１２３４"
// count as the listed "password1234".
func passwordKey(s string) string {
	return strings.ToLower(norm.NFKC.String(s))
}

// isCommon reports whether key is on the common list or is one of the
// patterns NIST SP 800-63B names alongside it: repetitive or sequential
// characters. Most listed passwords are shorter than MinPasswordLen, so the
// patterns, including a listed password repeated ("qwertyqwerty"), catch much
// of what the list alone would let through.
func isCommon(key string) bool {
	set := commonPasswords()
	if _, ok := set[key]; ok {
		return true
	}
	rs := []rune(key)
	if unit := period(rs); unit < len(rs) {
		if _, ok := set[string(rs[:unit])]; ok || unit <= 4 {
			return true
		}
	}
	return sequential(rs)
}

// period returns the length of the shortest unit that key repeats whole
// ("abcabcabc" → 3), or len(rs) when it isn't a repetition.
func period(rs []rune) int {
	for unit := 1; unit <= len(rs)/2; unit++ {
		if len(rs)%unit != 0 {
			continue
		}
		ok := true
		for i := unit; i < len(rs) && ok; i++ {
			ok = rs[i] == rs[i-unit]
		}
		if ok {
			return unit
		}
	}
	return len(rs)
}

// sequential reports a run like "abcdefghijkl", "123456789012" or
// "987654321098": each character one above (or each one below) the one
// before, with digits wrapping from 9 to 0.
func sequential(rs []rune) bool {
	if len(rs) < 2 {
		return false
	}
	step := func(a, b rune, d rune) bool {
		if b-a == d {
			return true
		}
		return (d == 1 && a == '9' && b == '0') || (d == -1 && a == '0' && b == '9')
	}
	for _, d := range []rune{1, -1} {
		ok := true
		for i := 1; i < len(rs) && ok; i++ {
			ok = step(rs[i-1], rs[i], d)
		}
		if ok {
			return true
		}
	}
	return false
}

// matchesContext reports whether the password key equals c, or, when c is
// an e-mail address, its local part: people reuse "taro.yamada.1985" from
// "taro.yamada.1985@example.co.jp".
func matchesContext(key, c string) bool {
	c = passwordKey(strings.TrimSpace(c))
	if c == "" {
		return false
	}
	if key == c {
		return true
	}
	if i := strings.LastIndexByte(c, '@'); i > 0 {
		return key == c[:i]
	}
	return false
}
