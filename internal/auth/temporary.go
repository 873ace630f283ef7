package auth

import "strings"

// temporaryAlphabet avoids characters people misread when copying a
// password from a terminal or a phone call (0/O, 1/l/I).
const temporaryAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewTemporaryPassword returns a random password for accounts created by
// staff or the CLI, which must be changed at first sign-in: 4 groups of 5
// characters, about 115 bits.
func NewTemporaryPassword() string {
	var b strings.Builder
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(temporaryAlphabet[randIndex(len(temporaryAlphabet))])
	}
	return b.String()
}
