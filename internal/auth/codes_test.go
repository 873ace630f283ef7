package auth

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestNewEmailCode(t *testing.T) {
	six := regexp.MustCompile(`^[0-9]{6}$`)
	seen := map[string]bool{}
	var firstDigit [10]int
	const n = 20000
	for range n {
		c := NewEmailCode()
		if !six.MatchString(c) {
			t.Fatalf("NewEmailCode() = %q, want 6 digits", c)
		}
		seen[c] = true
		firstDigit[c[0]-'0']++
	}
	// 20,000 draws from a million: about 200 collisions are expected.
	if len(seen) < n-1000 {
		t.Errorf("%d distinct codes in %d", len(seen), n)
	}
	// Leading zeros must be kept and every leading digit equally likely
	// (expected 2,000 each; 1,700 is more than 6 standard deviations off).
	for d, count := range firstDigit {
		if count < 1700 || count > 2300 {
			t.Errorf("leading digit %d drawn %d times in %d, want about %d", d, count, n, n/10)
		}
	}
}

func TestHashCode(t *testing.T) {
	h := HashCode("012345")
	if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
		t.Fatalf("HashCode = %q, want 64 hex digits", h)
	}
	tests := []struct {
		in   string
		same bool
	}{
		{"012345", true},
		{"０１２３４５", true},
		{"012 345", true},
		{"012-345", true},
		{" 012345\n", true},
		{"12345", false},
		{"012346", false},
	}
	for _, tt := range tests {
		if got := HashCode(tt.in) == h; got != tt.same {
			t.Errorf("HashCode(%q) == HashCode(\"012345\") is %v, want %v", tt.in, got, tt.same)
		}
	}
}

func TestNewRecoveryCodes(t *testing.T) {
	format := regexp.MustCompile(`^[` + recoveryAlphabet + `]{4}-[` + recoveryAlphabet + `]{4}-[` + recoveryAlphabet + `]{4}$`)
	codes := NewRecoveryCodes(RecoveryCodeCount)
	if len(codes) != 10 {
		t.Fatalf("got %d codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !format.MatchString(c) {
			t.Errorf("code %q doesn't look like a7k3-9xq2-m4p8", c)
		}
		if strings.ContainsAny(c, "01ilo") {
			t.Errorf("code %q has an ambiguous character", c)
		}
		if seen[c] {
			t.Errorf("code %q repeated", c)
		}
		seen[c] = true
	}
	if got := NewRecoveryCodes(0); len(got) != 0 {
		t.Errorf("NewRecoveryCodes(0) = %v", got)
	}
	if got := NewRecoveryCodes(-1); len(got) != 0 {
		t.Errorf("NewRecoveryCodes(-1) = %v", got)
	}
}

func TestRecoveryAlphabetUniform(t *testing.T) {
	if len(recoveryAlphabet) != 31 {
		t.Fatalf("alphabet has %d symbols, want 31", len(recoveryAlphabet))
	}
	counts := map[byte]int{}
	const codes = 3000 // 36,000 symbols, about 1,161 each
	for _, c := range NewRecoveryCodes(codes) {
		for i := range len(c) {
			if c[i] != '-' {
				counts[c[i]]++
			}
		}
	}
	for i := range len(recoveryAlphabet) {
		if n := counts[recoveryAlphabet[i]]; n < 950 || n > 1380 {
			t.Errorf("symbol %q drawn %d times, want about 1161", recoveryAlphabet[i], n)
		}
	}
}

func TestHashRecoveryCode(t *testing.T) {
	const code = "a7k3-9xq2-m4p8"
	h := HashRecoveryCode(code)
	tests := []struct {
		name, in string
		same     bool
	}{
		{"as shown", "a7k3-9xq2-m4p8", true},
		{"without hyphens", "a7k39xq2m4p8", true},
		{"upper case", "A7K3-9XQ2-M4P8", true},
		{"with spaces", "a7k3 9xq2 m4p8", true},
		{"full width", "ａ７ｋ３－９ｘｑ２－ｍ４ｐ８", true},
		{"full width, prolonged sound mark", "Ａ７Ｋ３ー９ＸＱ２ーＭ４Ｐ８", true},
		{"surrounding spaces", "　a7k3-9xq2-m4p8\n", true},
		{"one character off", "a7k3-9xq2-m4p9", false},
		{"missing a group", "a7k3-9xq2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HashRecoveryCode(tt.in) == h; got != tt.same {
				t.Errorf("HashRecoveryCode(%q) == HashRecoveryCode(%q) is %v, want %v", tt.in, code, got, tt.same)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	tok, hash := NewToken()
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v; want 32 bytes of unpadded base64url", tok, len(raw), err)
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q isn't URL-safe", tok)
	}
	if len(hash) != 32 || string(hash) != string(HashToken(tok)) {
		t.Errorf("hash %x, want HashToken(token) %x", hash, HashToken(tok))
	}
	if string(HashToken(tok+"x")) == string(hash) {
		t.Error("HashToken ignores a changed token")
	}
	other, _ := NewToken()
	if other == tok {
		t.Error("two tokens are equal")
	}
}

func TestHashTokenKnownValue(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := hex.EncodeToString(HashToken("abc")); got != want {
		t.Errorf("HashToken(\"abc\") = %s, want %s", got, want)
	}
}
