package auth

import (
	"errors"
	"strings"
	"testing"

	"madoguchi/internal/portal"
)

func TestCommonPasswordList(t *testing.T) {
	set := commonPasswords()
	if len(set) < 10000 {
		t.Fatalf("common password list has %d entries, want at least 10,000", len(set))
	}
	for _, p := range []string{"123456", "password", "qwerty", "iloveyou", "1qaz2wsx3edc"} {
		if _, ok := set[p]; !ok {
			t.Errorf("%q missing from the common password list", p)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	const email = "Taro.Yamada.1985@example.co.jp"
	// 128 characters, not a repetition.
	long := ("Madoguchi support portal: a passphrase written out at length, " +
		"with enough words that nobody guesses it, and then some more text besides")[:128]

	tests := []struct {
		name              string
		password, confirm string
		context           []string
		field, message    string // empty: accepted
	}{
		{name: "good passphrase", password: "correct horse battery staple"},
		{name: "exactly 12", password: "kR7#pq2!zLm9"},
		{name: "exactly 128", password: long},
		{name: "12 Japanese characters", password: "これはぎりぎりの長さです"},
		{name: "spaces allowed", password: "  spaces count too  "},

		{name: "empty", password: "", field: FieldNewPassword, message: "password.required"},
		{name: "11 characters", password: "kR7#pq2!zLm", field: FieldNewPassword, message: "password.too_short"},
		{name: "11 Japanese characters", password: "これはぎりぎりの長さで", field: FieldNewPassword, message: "password.too_short"},
		{
			// 13 code points, but ぎ twice as き + combining mark:
			// 11 characters once composed.
			name: "decomposed counted after NFC", password: "これはき\u3099りき\u3099りの長さで",
			field: FieldNewPassword, message: "password.too_short",
		},
		{name: "129 characters", password: long + "x", field: FieldNewPassword, message: "password.too_long"},

		{name: "listed", password: "1qaz2wsx3edc", field: FieldNewPassword, message: "password.common"},
		{name: "listed, other case", password: "LeaveMeAlone", field: FieldNewPassword, message: "password.common"},
		{name: "listed, full width", password: "ｆｉｎａｌｆａｎｔａｓｙ", field: FieldNewPassword, message: "password.common"},
		{name: "one character repeated", password: "aaaaaaaaaaaa", field: FieldNewPassword, message: "password.common"},
		{name: "digit repeated", password: "111111111111", field: FieldNewPassword, message: "password.common"},
		{name: "short unit repeated", password: "abcdabcdabcd", field: FieldNewPassword, message: "password.common"},
		{name: "listed password repeated", password: "qwertyqwerty", field: FieldNewPassword, message: "password.common"},
		{name: "listed password repeated 3 times", password: "PasswordPasswordPassword", field: FieldNewPassword, message: "password.common"},
		{name: "ascending letters", password: "abcdefghijkl", field: FieldNewPassword, message: "password.common"},
		{name: "ascending letters, upper case", password: "ABCDEFGHIJKLM", field: FieldNewPassword, message: "password.common"},
		{name: "ascending digits wrapping", password: "123456789012", field: FieldNewPassword, message: "password.common"},
		{name: "descending digits wrapping", password: "987654321098", field: FieldNewPassword, message: "password.common"},
		{name: "descending letters", password: "zyxwvutsrqpo", field: FieldNewPassword, message: "password.common"},
		{name: "unlisted unit repeated", password: "tokyo2tokyo2"},

		{name: "e-mail address", password: "taro.yamada.1985@example.co.jp", context: []string{email},
			field: FieldNewPassword, message: "password.matches_personal_info"},
		{name: "local part of e-mail address", password: "Taro.Yamada.1985", context: []string{email},
			field: FieldNewPassword, message: "password.matches_personal_info"},
		{name: "company name", password: "Madoguchi Trading", context: []string{"", email, " madoguchi trading "},
			field: FieldNewPassword, message: "password.matches_personal_info"},
		{name: "name, full width", password: "ｍａｄｏｇｕｃｈｉ ｔｒａｄｉｎｇ", context: []string{"Madoguchi Trading"},
			field: FieldNewPassword, message: "password.matches_personal_info"},
		{name: "containing the local part is fine", password: "Taro.Yamada.1985 likes tea", context: []string{email}},
		{name: "empty context ignored", password: "correct horse battery staple", context: []string{"", "  "}},

		{name: "confirm differs", password: "correct horse battery staple", confirm: "correct horse battery stapel",
			field: FieldConfirmPassword, message: "password.mismatch"},
		{name: "confirm empty", password: "correct horse battery staple", confirm: "-",
			field: FieldConfirmPassword, message: "password.mismatch"},
		{name: "confirm equal after NFKC", password: "ぱすわーどはながいほうがいい", confirm: "は\u309aすわーと\u3099はなか\u3099いほうか\u3099いい"},
		{name: "new password problem reported before confirm", password: "short", confirm: "other",
			field: FieldNewPassword, message: "password.too_short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			confirm := tt.confirm
			switch confirm {
			case "":
				confirm = tt.password
			case "-":
				confirm = ""
			}
			err := CheckPassword(tt.password, confirm, tt.context...)
			if tt.message == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			var e *portal.Error
			if !errors.As(err, &e) {
				t.Fatalf("CheckPassword(%q) = %v, want *portal.Error %s", tt.password, err, tt.message)
			}
			if e.Code != portal.EINVALID || e.Field != tt.field || e.Message != tt.message {
				t.Errorf("CheckPassword(%q) = %s/%s/%s, want %s/%s/%s",
					tt.password, e.Code, e.Field, e.Message, portal.EINVALID, tt.field, tt.message)
			}
		})
	}
}

func TestCheckPasswordData(t *testing.T) {
	var e *portal.Error
	if !errors.As(CheckPassword("short", "short"), &e) || e.Data["Min"] != MinPasswordLen {
		t.Errorf("too_short Data = %v, want Min %d", e.Data, MinPasswordLen)
	}
	long := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 4)
	if !errors.As(CheckPassword(long, long), &e) || e.Data["Max"] != MaxPasswordLen {
		t.Errorf("too_long Data = %v, want Max %d", e.Data, MaxPasswordLen)
	}
}

func TestPeriod(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0}, {"a", 1}, {"aa", 1}, {"ab", 2}, {"abab", 2}, {"abcabc", 3},
		{"abcab", 5}, {"aabaab", 3}, {"がぎがぎ", 2},
	}
	for _, tt := range tests {
		if got := period([]rune(tt.in)); got != tt.want {
			t.Errorf("period(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
