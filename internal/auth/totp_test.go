package auth

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// rfcSecret is RFC 6238 appendix B's SHA-1 key "12345678901234567890".
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// RFC 6238 appendix B gives 8-digit codes; a 6-digit code is their last six
// digits (the same truncated value modulo 10^6).
func TestTOTPCodeRFC6238(t *testing.T) {
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		if got := TOTPCode(rfcSecret, time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("TOTPCode(%d) = %q, want %q", tt.unix, got, tt.want)
		}
	}
	if got := TOTPCode("not base32!", time.Unix(59, 0)); got != "" {
		t.Errorf("TOTPCode(invalid secret) = %q, want \"\"", got)
	}
}

func TestTOTPStep(t *testing.T) {
	tests := []struct {
		unix, want int64
	}{
		{0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2}, {1111111109, 37037036}, {-1, -1}, {-30, -1}, {-31, -2},
	}
	for _, tt := range tests {
		if got := TOTPStep(time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("TOTPStep(%d) = %d, want %d", tt.unix, got, tt.want)
		}
	}
}

func TestVerifyTOTPWindow(t *testing.T) {
	// 15 s into a step, so ±30 s stays clear of step boundaries.
	now := time.Date(2026, 4, 1, 10, 0, 15, 0, time.UTC)
	step := TOTPStep(now)
	codeAt := func(offset int64) string {
		return TOTPCode(rfcSecret, now.Add(time.Duration(offset)*30*time.Second))
	}

	tests := []struct {
		name     string
		offset   int64 // of the step whose code is typed
		lastStep int64
		ok       bool
	}{
		{"two steps early", -2, 0, false},
		{"one step early", -1, 0, true},
		{"current step", 0, 0, true},
		{"one step late", 1, 0, true},
		{"two steps late", 2, 0, false},
		{"replay of the same step", 0, step, false},
		{"replay of the previous step", -1, step - 1, false},
		{"earlier step after the current one was used", -1, step, false},
		{"earlier step after a later one was used", 0, step + 1, false},
		{"next step after the current one was used", 1, step, true},
		{"current step after the previous one was used", 0, step - 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := VerifyTOTP(rfcSecret, codeAt(tt.offset), now, tt.lastStep)
			if ok != tt.ok {
				t.Fatalf("VerifyTOTP(offset %d, lastStep %d) ok = %v, want %v", tt.offset, tt.lastStep, ok, tt.ok)
			}
			if want := step + tt.offset; ok && got != want {
				t.Errorf("VerifyTOTP step = %d, want %d", got, want)
			}
			if !ok && got != 0 {
				t.Errorf("VerifyTOTP step = %d on failure, want 0", got)
			}
		})
	}
}

// The step VerifyTOTP returns, stored as lastStep, must refuse the same code
// for as long as it would otherwise be accepted.
func TestVerifyTOTPReplayAcrossWindow(t *testing.T) {
	now := time.Date(2026, 4, 1, 10, 0, 15, 0, time.UTC)
	code := TOTPCode(rfcSecret, now)
	last, ok := VerifyTOTP(rfcSecret, code, now, 0)
	if !ok {
		t.Fatal("first use refused")
	}
	for _, later := range []time.Duration{0, 10 * time.Second, 30 * time.Second, 45 * time.Second} {
		if _, ok := VerifyTOTP(rfcSecret, code, now.Add(later), last); ok {
			t.Errorf("code accepted again %v later", later)
		}
	}
}

func TestVerifyTOTPInput(t *testing.T) {
	now := time.Date(2026, 4, 1, 10, 0, 15, 0, time.UTC)
	code := TOTPCode(rfcSecret, now)
	fullWidth := strings.Map(func(r rune) rune { return r - '0' + '０' }, code)

	tests := []struct {
		name, secret, code string
		ok                 bool
	}{
		{"ascii", rfcSecret, code, true},
		{"full width with ideographic space", rfcSecret, fullWidth[:9] + "　" + fullWidth[9:], true},
		{"spaces and hyphen", rfcSecret, " " + code[:3] + "-" + code[3:] + " ", true},
		{"lower-case secret", strings.ToLower(rfcSecret), code, true},
		{"wrong code", rfcSecret, wrongCode(code), false},
		{"five digits", rfcSecret, code[:5], false},
		{"seven digits", rfcSecret, code + "0", false},
		{"letters", rfcSecret, "abcdef", false},
		{"empty", rfcSecret, "", false},
		{"invalid secret", "not base32!", code, false},
		{"empty secret", "", code, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := VerifyTOTP(tt.secret, tt.code, now, 0); ok != tt.ok {
				t.Errorf("VerifyTOTP(%q, %q) ok = %v, want %v", tt.secret, tt.code, ok, tt.ok)
			}
		})
	}
}

// wrongCode returns a 6-digit code other than code. With rfcSecret at the
// test's fixed time it matches no step of the window either, so the test is
// deterministic.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}

func TestNewTOTPKey(t *testing.T) {
	key, err := NewTOTPKey("Madoguchi", "taro@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if key.Issuer() != "Madoguchi" || key.AccountName() != "taro@example.com" {
		t.Errorf("issuer/account = %q/%q", key.Issuer(), key.AccountName())
	}
	if key.Period() != 30 || key.Digits() != otp.DigitsSix || key.Algorithm() != otp.AlgorithmSHA1 {
		t.Errorf("period/digits/algorithm = %d/%v/%v, want 30/6/SHA1", key.Period(), key.Digits(), key.Algorithm())
	}
	if len(key.Secret()) != 32 { // 20 bytes in unpadded base32
		t.Errorf("secret %q has %d characters, want 32", key.Secret(), len(key.Secret()))
	}
	other, _ := NewTOTPKey("Madoguchi", "taro@example.com")
	if other.Secret() == key.Secret() {
		t.Error("two keys share a secret")
	}
	now := time.Date(2026, 4, 1, 10, 0, 15, 0, time.UTC)
	if _, ok := VerifyTOTP(key.Secret(), TOTPCode(key.Secret(), now), now, 0); !ok {
		t.Error("code from TOTPCode for a new key refused")
	}
	if _, err := NewTOTPKey("", "taro@example.com"); err == nil {
		t.Error("NewTOTPKey without issuer: no error")
	}
}

func TestTOTPQRCodePNG(t *testing.T) {
	key, err := NewTOTPKey("Madoguchi", "taro@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, err := TOTPQRCodePNG(key, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() != 256 || r.Dy() != 256 {
		t.Errorf("image is %dx%d, want 256x256", r.Dx(), r.Dy())
	}
	if _, err := TOTPQRCodePNG(key, 10); err == nil {
		t.Error("10-pixel QR code: no error")
	}
}
