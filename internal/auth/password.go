// Package auth holds Madoguchi's authentication rules and primitives:
// password hashing and policy, TOTP, e-mailed one-time codes, recovery codes,
// opaque link tokens and sign-in throttling. It is pure: no database, no HTTP
// and no clock of its own (time is always passed in), so the store and server
// layers decide what is persisted and when, and everything here is tested
// without I/O.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
	KeyLen  uint32 // bytes of derived key
	SaltLen uint32 // bytes of random salt
}

// DefaultParams follow the OWASP Password Storage Cheat Sheet's first argon2id
// configuration (19 MiB, 2 passes, 1 lane), which costs tens of milliseconds on
// one core: slow enough for offline guessing, cheap enough that a burst of
// sign-ins doesn't exhaust a small server. Every verification holds 19 MiB
// while it runs.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// TestParams make hashing almost free so that tests creating many users stay
// fast. Never use them in production.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// Limits on parameters read back from an encoded hash. They are far above
// anything we write, but stop a corrupted or hostile row from making one
// verification allocate gigabytes or run for minutes.
const (
	maxMemory = 1 << 20 // KiB: 1 GiB
	maxTime   = 100
	maxLen    = 1024
)

// ErrInvalidHash is returned for an encoded hash that isn't an argon2id PHC
// string this package can verify.
var ErrInvalidHash = errors.New("auth: invalid password hash")

// Hasher hashes and verifies passwords with argon2id.
type Hasher struct {
	Params
}

// b64 is the PHC string format's encoding: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// Hash returns password hashed with a fresh random salt, as a PHC string
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash) that records the parameters, so
// they can be raised later without invalidating stored hashes.
func (h Hasher) Hash(password string) (string, error) {
	if err := h.Params.check(); err != nil {
		return "", err
	}
	salt := make([]byte, h.SaltLen)
	rand.Read(salt) // never fails since Go 1.24: it crashes the program instead.
	key := derive(password, salt, h.Params)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.Memory, h.Time, h.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded, using the parameters
// stored in encoded rather than h's, so hashes made before a change of
// parameters keep working (NeedsRehash tells when to upgrade them). A
// mismatch is (false, nil); err is set only when encoded can't be parsed.
func (h Hasher) Verify(password, encoded string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := derive(password, salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than h's
// (or can't be parsed), so that the caller, which has the plain password
// right after a successful sign-in, can store a fresh hash.
func (h Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != h.Params
}

// dummyHash is a hash of a random password, made once per set of parameters.
type dummyHash struct {
	once    sync.Once
	encoded string
}

var dummies sync.Map // Params → *dummyHash

// DummyVerify does the work of a Verify against a hash made with h's
// parameters and throws the result away. Sign-in calls it when no account has
// the address given, so that the response takes as long as for a real account
// with a wrong password and timing doesn't reveal which addresses exist.
func (h Hasher) DummyVerify(password string) {
	v, _ := dummies.LoadOrStore(h.Params, new(dummyHash))
	d := v.(*dummyHash)
	d.once.Do(func() {
		// Hash fails only on invalid parameters; Verify then fails
		// too, as quickly as a real verification would.
		d.encoded, _ = h.Hash(rand.Text())
	})
	_, _ = h.Verify(password, d.encoded)
}

// derive applies NFKC before hashing, as NIST SP 800-63B asks for Unicode
// passwords, so that the same password typed on a Mac (which may send か +
// ゛) or on Windows (が), or in full width with the IME on, still matches.
func derive(password string, salt []byte, p Params) []byte {
	pw := []byte(norm.NFKC.String(password))
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

func (p Params) check() error { return p.checkWithSalt(16) }

func (p Params) checkWithSalt(minSalt uint32) error {
	switch {
	case p.Time < 1 || p.Time > maxTime,
		p.Threads < 1,
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory,
		p.KeyLen < 16 || p.KeyLen > maxLen,
		p.SaltLen < minSalt || p.SaltLen > maxLen:
		return fmt.Errorf("auth: invalid argon2id parameters %+v", p)
	}
	return nil
}

func decode(encoded string) (p Params, salt, key []byte, err error) {
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" || f[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrInvalidHash
	}
	var m, t, par uint64
	for _, kv := range strings.Split(f[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, ErrInvalidHash
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			par = n
		default:
			return p, nil, nil, ErrInvalidHash
		}
	}
	if salt, err = b64.Strict().DecodeString(f[4]); err != nil {
		return p, nil, nil, ErrInvalidHash
	}
	if key, err = b64.Strict().DecodeString(f[5]); err != nil {
		return p, nil, nil, ErrInvalidHash
	}
	if par > 255 {
		return p, nil, nil, ErrInvalidHash
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(par), KeyLen: uint32(len(key)), SaltLen: uint32(len(salt))}
	// 8 bytes is the reference implementation's minimum salt; other tools
	// use it, and verifying such a hash is safe even though Hash never
	// makes one.
	if p.checkWithSalt(8) != nil {
		return p, nil, nil, ErrInvalidHash
	}
	return p, salt, key, nil
}
