package norm

import (
	"strings"
	"testing"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "123456", "123456"},
		{"full-width with ideographic space", "１２３　４５６", "123456"},
		{"full-width with ascii space", "１２３ ４５６", "123456"},
		{"surrounding and inner spaces", "  12 34\t56\n", "123456"},
		{"recovery code with hyphens", "a7k3-9xq2-m4p8", "a7k39xq2m4p8"},
		{"upper case", "A7K3-9XQ2-M4P8", "a7k39xq2m4p8"},
		{"full-width recovery code", "Ａ７Ｋ３－９ＸＱ２－Ｍ４Ｐ８", "a7k39xq2m4p8"},
		{"katakana prolonged sound mark", "a7k3ー9xq2ーm4p8", "a7k39xq2m4p8"},
		{"half-width prolonged sound mark", "123ｰ456", "123456"},
		{"unicode hyphen", "123‐456", "123456"},
		{"non-breaking hyphen", "123‑456", "123456"},
		{"en dash", "123–456", "123456"},
		{"em dash", "123—456", "123456"},
		{"minus sign", "123−456", "123456"},
		{"no-break space", "123\u00a0456", "123456"},
		{"zero-width space and BOM", "\ufeff123\u200b456", "123456"},
		{"NUL", "123\x00456", "123456"},
		{"invalid UTF-8", "123\xff456", "123456"},
		{"empty", "", ""},
		{"only spaces", "　 ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.in); got != tt.want {
				t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIdentifier(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "C-00123", "C-00123"},
		{"lower case", "c-00123", "C-00123"},
		{"full-width", "ｃ－００１２３", "C-00123"},
		{"ideographic spaces around and inside", "　ＡＢＣ　１２３　", "ABC123"},
		{"prolonged sound mark between letter and digit", "Cー00123", "C-00123"},
		{"prolonged sound mark between digits", "12ー34", "12-34"},
		{"en dash", "AB–12", "AB-12"},
		{"prolonged sound mark in katakana kept", "コーヒー", "コーヒー"},
		{"prolonged sound mark after katakana kept", "データー1", "データー1"},
		{"NUL dropped", "AB\x0012", "AB12"},
		{"zero-width space dropped", "AB\u200b12", "AB12"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Identifier(tt.in); got != tt.want {
				t.Errorf("Identifier(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "taro@example.com", "taro@example.com"},
		{"full-width", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro@example.com"},
		{"upper case", "Taro.Yamada@Example.CO.JP", "taro.yamada@example.co.jp"},
		{"ideographic spaces", "　taro@example.com　", "taro@example.com"},
		{"tabs and newline", "\ttaro@example.com\r\n", "taro@example.com"},
		{"BOM and zero-width space", "\ufefftaro@example.com\u200b", "taro@example.com"},
		{"plus address", "taro+portal@example.com", "taro+portal@example.com"},
		{"inner space kept for validation to refuse", "taro @example.com", "taro @example.com"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Email(tt.in); got != tt.want {
				t.Errorf("Email(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPhone(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "03-1234-5678", "03-1234-5678"},
		{"full-width", "０３－１２３４－５６７８", "03-1234-5678"},
		{"prolonged sound mark between digits", "０３ー１２３４ー５６７８", "03-1234-5678"},
		{"half-width prolonged sound mark", "03ｰ1234ｰ5678", "03-1234-5678"},
		{"prolonged sound mark between spaced digits", "03 ー 1234", "03 - 1234"},
		{"dashes", "03‐1234–5678", "03-1234-5678"},
		{"international", "＋８１　３　１２３４　５６７８", "+81 3 1234 5678"},
		{"parentheses", "（０３）１２３４－５６７８", "(03)1234-5678"},
		{"runs of spaces", "  03   1234 \t 5678  ", "03 1234 5678"},
		{"prolonged sound mark not between digits kept", "内線ー12", "内線ー12"},
		{"other text kept", "03-1234-5678 内線12", "03-1234-5678 内線12"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Phone(tt.in); got != tt.want {
				t.Errorf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "山田 太郎", "山田 太郎"},
		{"ideographic spaces trimmed, inner kept", "　山田　太郎　", "山田　太郎"},
		{"full-width kept", "ＡＢＣ商事", "ＡＢＣ商事"},
		{"circled ideograph kept", "㈱マドグチ", "㈱マドグチ"},
		{"half-width katakana kept", "ﾏﾄﾞｸﾞﾁ", "ﾏﾄﾞｸﾞﾁ"},
		{"combining voiced mark composed", "か\u3099", "が"},
		{"combining accent composed", "Jose\u0301", "José"},
		{"newline and tab kept", "1行目\n\t2行目", "1行目\n\t2行目"},
		{"CRLF becomes LF", "a\r\nb", "a\nb"},
		{"lone CR becomes LF", "a\rb", "a\nb"},
		{"controls stripped", "a\x00b\x07c\x1bd\u0085e", "abcde"},
		{"bidi override stripped", "abc\u202edcba", "abcdcba"},
		{"bidi isolate stripped", "\u2067abc\u2069", "abc"},
		{"zero-width joiner inside emoji kept", "👨\u200d💻", "👨\u200d💻"},
		{"surrounding newlines trimmed", "\n\nhello\n", "hello"},
		{"invalid UTF-8 dropped", "a\xffb", "ab"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254
	tests := []struct {
		in   string
		want bool
	}{
		{"taro@example.com", true},
		{"taro.yamada+portal@mail.example.co.jp", true},
		{"o'brien@example.com", true},
		{long, true},
		{"a" + long, false}, // 255 bytes, and a 65-byte local part
		{strings.Repeat("a", 65) + "@example.com", false},
		{"", false},
		{"taro", false},
		{"taro@", false},
		{"@example.com", false},
		{"taro@localhost", false},
		{"taro@example.", false},
		{"taro@.example.com", false},
		{"taro@example..com", false},
		{"taro@@example.com", false},
		{"taro@hanako@example.com", false},
		{"taro..yamada@example.com", false},
		{".taro@example.com", false},
		{"taro @example.com", false},
		{"taro@exam ple.com", false},
		{"Taro <taro@example.com>", false},
		{"<taro@example.com>", false},
		{"taro@example.com (Taro)", false},
		{`"taro yamada"@example.com`, false},
		{"taro@[192.0.2.1]", false},
		{"taro@example.com\n", false},
		{"taro\x00@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ValidEmail(tt.in); got != tt.want {
				t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// The form handlers validate what Email returns, so the pair must accept
// what people type with the IME on.
func TestEmailThenValidEmail(t *testing.T) {
	for _, in := range []string{"ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "　Taro@Example.com　"} {
		if got := Email(in); !ValidEmail(got) {
			t.Errorf("ValidEmail(Email(%q)) = false (Email gave %q)", in, got)
		}
	}
}

func TestIdempotent(t *testing.T) {
	inputs := []string{
		"１２３　４５６", "Ａ７Ｋ３－９ＸＱ２－Ｍ４Ｐ８", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
		"０３ー１２３４ー５６７８", "　山田\r\n太郎　", "か\u3099", "Cー00123",
	}
	funcs := map[string]func(string) string{
		"Code": Code, "Identifier": Identifier, "Email": Email, "Phone": Phone, "Text": Text,
	}
	for name, f := range funcs {
		for _, in := range inputs {
			once := f(in)
			if twice := f(once); twice != once {
				t.Errorf("%s not idempotent on %q: %q then %q", name, in, once, twice)
			}
		}
	}
}
