package auth

import (
	"bytes"
	"crypto/subtle"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"madoguchi/internal/norm"
)

// TOTP settings are RFC 6238's defaults, the only ones every authenticator
// app implements: HMAC-SHA-1, 6 digits, 30-second steps.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpAlgo   = otp.AlgorithmSHA1
	// totpSkew is how many steps either side of now are accepted, to
	// absorb a phone clock that is a little off and the time it takes
	// to type the code.
	totpSkew = 1
)

var hotpOpts = hotp.ValidateOpts{Digits: totpDigits, Algorithm: totpAlgo}

// NewTOTPKey makes a new random TOTP secret (160 bits, as RFC 4226
// recommends) for accountName, shown under issuer in authenticator apps.
func NewTOTPKey(issuer, accountName string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: accountName,
		Period:      totpPeriod,
		SecretSize:  20,
		Digits:      totpDigits,
		Algorithm:   totpAlgo,
	})
}

// TOTPQRCodePNG renders key's otpauth:// URL as a size×size PNG QR code for
// the enrolment page. size must be at least the QR code's own module count
// (about 50 pixels for a typical key) or an error is returned.
func TOTPQRCodePNG(key *otp.Key, size int) ([]byte, error) {
	img, err := key.Image(size, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TOTPStep returns the RFC 6238 time step t falls in.
func TOTPStep(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - totpPeriod + 1) / totpPeriod
	}
	return s / totpPeriod
}

// TOTPCode returns the code for secret (base32) at time t, or "" if secret
// isn't valid base32. Tests, including browser tests, use it to sign in.
func TOTPCode(secret string, t time.Time) string {
	return totpCodeAt(secret, TOTPStep(t))
}

func totpCodeAt(secret string, step int64) string {
	if step < 0 {
		return ""
	}
	code, err := hotp.GenerateCodeCustom(secret, uint64(step), hotpOpts)
	if err != nil {
		return ""
	}
	return code
}

// VerifyTOTP checks code against secret at time now, accepting the code of
// the current step or of the step before or after it. It never accepts a
// step at or before lastStep, the step returned by the last successful
// verification (0 if there has been none): a code seen over someone's
// shoulder or captured by a phishing page can then not be used again, nor can
// an older code once a newer one was used. On success the caller must store
// the returned step as the new lastStep before letting the user in, with a
// conditional update (… SET totp_last_step = $step WHERE totp_last_step <
// $step) so that two concurrent requests carrying one code can't both win.
//
// code is normalized with norm.Code, so full-width digits and spaces typed
// with the IME on are accepted.
func VerifyTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = norm.Code(code)
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	current := TOTPStep(now)
	// Every candidate step is computed and compared, so the time taken
	// doesn't tell which step (if any) matched. If codes of two steps
	// happen to be equal, the later step is returned: it leaves the
	// smaller window for a replay.
	var matched int64
	found := false
	for s := current - totpSkew; s <= current+totpSkew; s++ {
		eq := subtle.ConstantTimeCompare([]byte(code), []byte(totpCodeAt(secret, s))) == 1
		if eq && s > lastStep {
			matched, found = s, true
		}
	}
	if !found {
		return 0, false
	}
	return matched, true
}
