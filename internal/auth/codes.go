package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strings"
	"time"

	"madoguchi/internal/norm"
)

// EmailCodeTTL is how long an e-mailed one-time code stays valid: long enough
// for a slow mail server and a switch of apps, short enough that a code found
// later in a mailbox is useless.
const EmailCodeTTL = 10 * time.Minute

var million = big.NewInt(1_000_000)

// NewEmailCode returns a uniformly random 6-digit code, leading zeros kept,
// to send by e-mail as a second factor or address confirmation.
func NewEmailCode() string {
	n, err := rand.Int(rand.Reader, million)
	if err != nil {
		// crypto/rand.Reader doesn't fail since Go 1.24.
		panic(err)
	}
	s := n.String()
	return strings.Repeat("0", 6-len(s)) + s
}

// HashCode returns the form an e-mailed code is stored in: the hex SHA-256
// of the normalized code. With a million possible codes an unsalted fast hash
// is easily reversed by anyone who reads the table; that is acceptable only
// because a code lives EmailCodeTTL, is deleted when used, and attempts are
// rate-limited, so a stolen hash is worth at most one short-lived code. Do not
// reuse this for anything long-lived.
func HashCode(code string) string {
	sum := sha256.Sum256([]byte(norm.Code(code)))
	return hex.EncodeToString(sum[:])
}

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// recoveryAlphabet has no 0/o or 1/l/i, which are confused when a code is
// copied from paper; letters are lower case because norm.Code lower-cases
// what is typed. 31 symbols × 12 characters ≈ 59.5 bits per code.
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// NewRecoveryCodes returns n random recovery codes like "a7k3-9xq2-m4p8",
// to be shown to the user once and stored only through HashRecoveryCode.
func NewRecoveryCodes(n int) []string {
	codes := make([]string, 0, max(n, 0))
	for range n {
		codes = append(codes, newRecoveryCode())
	}
	return codes
}

func newRecoveryCode() string {
	const groups, groupLen = 3, 4
	var b strings.Builder
	for g := range groups {
		if g > 0 {
			b.WriteByte('-')
		}
		for range groupLen {
			b.WriteByte(recoveryAlphabet[randIndex(len(recoveryAlphabet))])
		}
	}
	return b.String()
}

// randIndex returns a uniform random integer in [0, n) for n ≤ 256,
// rejecting bytes past the largest multiple of n so that no symbol is more
// likely than another.
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// HashRecoveryCode returns the form a recovery code is stored and looked up
// in: the hex SHA-256 of norm.Code(code), so it matches whether typed with or
// without hyphens, in upper case or full width. A fast unsalted hash is
// enough here, unlike for passwords: each code carries about 60 random bits,
// so even with the table in hand, guessing one costs ~2^59 hashes, and slow
// hashing would only make every sign-in with a code slower.
func HashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte(norm.Code(code)))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a random token for a link (approval, welcome, password
// reset) and its hash. The token goes into the link; only the hash is
// stored, so a leaked database can't be turned into working links.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of token as it appears in the link. 256
// random bits need no salt or slow hash.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
