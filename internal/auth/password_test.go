package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$`)

func TestHashFormat(t *testing.T) {
	h := Hasher{DefaultParams}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	m := phc.FindStringSubmatch(enc)
	if m == nil {
		t.Fatalf("Hash = %q, not a PHC argon2id string", enc)
	}
	if m[1] != "19456" || m[2] != "2" || m[3] != "1" {
		t.Errorf("params in %q = m=%s,t=%s,p=%s, want OWASP's m=19456,t=2,p=1", enc, m[1], m[2], m[3])
	}
	// 16-byte salt and 32-byte key, in raw (unpadded) base64.
	f := strings.Split(enc, "$")
	if len(f[4]) != 22 || len(f[5]) != 43 {
		t.Errorf("salt/key lengths %d/%d, want 22/43 base64 characters", len(f[4]), len(f[5]))
	}
	again, _ := h.Hash("correct horse battery staple")
	if again == enc {
		t.Error("two hashes of one password are equal: salt is not random")
	}
}

func TestVerify(t *testing.T) {
	h := Hasher{TestParams}
	enc, err := h.Hash("Tr0ub4dor&3 horse")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"same", "Tr0ub4dor&3 horse", true},
		{"different case", "tr0ub4dor&3 horse", false},
		{"trailing space", "Tr0ub4dor&3 horse ", false},
		{"empty", "", false},
		{"full-width typed with the IME on", "Ｔｒ０ｕｂ４ｄｏｒ＆３　ｈｏｒｓｅ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(tt.password, enc)
			if err != nil || ok != tt.want {
				t.Errorf("Verify(%q) = %v, %v; want %v, nil", tt.password, ok, err, tt.want)
			}
		})
	}
}

// A password stored from a Mac keyboard (decomposed) must verify when typed
// on Windows (composed) and the reverse.
func TestVerifyUnicodeNormalization(t *testing.T) {
	h := Hasher{TestParams}
	composed := "がぎぐげご・パスワード"
	decomposed := "か\u3099き\u3099く\u3099け\u3099こ\u3099・ハ\u309aスワート\u3099"
	enc, err := h.Hash(decomposed)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(composed, enc); !ok || err != nil {
		t.Errorf("Verify(composed) = %v, %v; want true", ok, err)
	}
}

// Verify must use the parameters stored in the hash, not the Hasher's, so
// raising DefaultParams doesn't lock everyone out.
func TestVerifyHonoursStoredParams(t *testing.T) {
	old := Hasher{Params{Memory: 128, Time: 3, Threads: 2, KeyLen: 24, SaltLen: 20}}
	enc, err := old.Hash("an old but fine password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=128,t=3,p=2$") {
		t.Fatalf("Hash = %q", enc)
	}
	now := Hasher{TestParams}
	if ok, err := now.Verify("an old but fine password", enc); !ok || err != nil {
		t.Errorf("Verify with other params = %v, %v; want true, nil", ok, err)
	}
	if !now.NeedsRehash(enc) {
		t.Error("NeedsRehash = false for a hash with other params")
	}
	if old.NeedsRehash(enc) {
		t.Error("NeedsRehash = true for a hash with the hasher's own params")
	}
}

// Reference vectors from the reference implementation's CLI (Debian package
// argon2), so hashes made by other tools, with an 8-byte salt or several
// lanes, verify too:
//
//	echo -n password | argon2 somesalt -id -t 2 -m 12 -p 4 -l 24 -e
//	echo -n パスワード | argon2 somesaltsomesalt -id -t 2 -m 10 -p 1 -l 32 -e
func TestVerifyReferenceVectors(t *testing.T) {
	tests := []struct{ password, enc string }{
		{"password", "$argon2id$v=19$m=4096,t=2,p=4$c29tZXNhbHQ$fIEOgF+gNYXrcSpV52+wxSovXdH9iYrU"},
		{"パスワード", "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$JOh6oIYls+k/WvbXXN90cHgToSuCpzsZ9ZPmfs4uDM4"},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			h := Hasher{TestParams}
			if ok, err := h.Verify(tt.password, tt.enc); err != nil || !ok {
				t.Errorf("Verify = %v, %v; want true, nil", ok, err)
			}
			if ok, err := h.Verify(tt.password+"x", tt.enc); err != nil || ok {
				t.Errorf("Verify(wrong) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestVerifyInvalid(t *testing.T) {
	h := Hasher{TestParams}
	good, _ := h.Hash("whatever password")
	f := strings.Split(good, "$")
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$" + strings.Join(f[2:], "$")},
		{"old version", "$argon2id$v=16$" + strings.Join(f[3:], "$")},
		{"missing field", strings.Join(f[:5], "$")},
		{"extra field", good + "$x"},
		{"missing t", "$argon2id$v=19$m=64,p=1$" + f[4] + "$" + f[5]},
		{"unknown param", "$argon2id$v=19$m=64,t=1,p=1,x=2$" + f[4] + "$" + f[5]},
		{"non-numeric", "$argon2id$v=19$m=lots,t=1,p=1$" + f[4] + "$" + f[5]},
		{"memory too large", "$argon2id$v=19$m=4194304,t=1,p=1$" + f[4] + "$" + f[5]},
		{"time too large", "$argon2id$v=19$m=64,t=100000,p=1$" + f[4] + "$" + f[5]},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + f[4] + "$" + f[5]},
		{"too many threads", "$argon2id$v=19$m=64,t=1,p=300$" + f[4] + "$" + f[5]},
		{"padded base64", "$argon2id$v=19$m=64,t=1,p=1$" + f[4] + "==$" + f[5]},
		{"bad base64", "$argon2id$v=19$m=64,t=1,p=1$!!!$" + f[5]},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + f[4] + "$AAAA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify("whatever password", tt.enc)
			if ok || !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Verify(%q) = %v, %v; want false, ErrInvalidHash", tt.enc, ok, err)
			}
			if !h.NeedsRehash(tt.enc) {
				t.Errorf("NeedsRehash(%q) = false", tt.enc)
			}
		})
	}
}

func TestHashInvalidParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1, KeyLen: 32, SaltLen: 16},
		{Memory: 4, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
		{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 4},
	} {
		if _, err := (Hasher{p}).Hash("password password"); err == nil {
			t.Errorf("Hash with %+v: no error", p)
		}
	}
}

func TestDummyVerify(t *testing.T) {
	h := Hasher{TestParams}
	h.DummyVerify("anything")
	v, ok := dummies.Load(TestParams)
	if !ok {
		t.Fatal("DummyVerify stored no dummy hash")
	}
	enc := v.(*dummyHash).encoded
	if h.NeedsRehash(enc) {
		t.Errorf("dummy hash %q is not made with the hasher's params", enc)
	}
	h.DummyVerify("something else")
	v2, _ := dummies.Load(TestParams)
	if v2.(*dummyHash).encoded != enc {
		t.Error("dummy hash recomputed: it must be made once")
	}
	// Invalid parameters must not panic.
	Hasher{}.DummyVerify("x")
}

func TestDummyVerifyConcurrent(t *testing.T) {
	h := Hasher{Params{Memory: 96, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}
	done := make(chan struct{})
	for range 8 {
		go func() {
			h.DummyVerify("concurrent")
			done <- struct{}{}
		}()
	}
	for range 8 {
		<-done
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := Hasher{DefaultParams}
	enc, _ := h.Hash("benchmark password")
	for b.Loop() {
		_, _ = h.Verify("benchmark password", enc)
	}
}

func BenchmarkDummyVerifyDefault(b *testing.B) {
	h := Hasher{DefaultParams}
	for b.Loop() {
		h.DummyVerify("benchmark password")
	}
}

func TestNewTemporaryPasswordPassesPolicy(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p := NewTemporaryPassword()
		if len(p) != 23 {
			t.Fatalf("len(%q) = %d", p, len(p))
		}
		if err := CheckPassword(p, p); err != nil {
			t.Fatalf("CheckPassword(%q) = %v", p, err)
		}
		if seen[p] {
			t.Fatalf("duplicate temporary password %q", p)
		}
		seen[p] = true
	}
}
