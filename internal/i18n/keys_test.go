package i18n_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/locales"
)

func TestLocalesHaveTheSameKeys(t *testing.T) {
	b, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	en, ja := set(b.Keys("en")), set(b.Keys("ja"))
	for k := range en {
		if !ja[k] {
			t.Errorf("ja.toml lacks %q", k)
		}
	}
	for k := range ja {
		if !en[k] {
			t.Errorf("en.toml lacks %q", k)
		}
	}
}

// usedKeyPatterns find message keys written literally in templates and Go.
var usedKeyPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\bt \$?\.L "([a-z0-9_.]+)"`),
	regexp.MustCompile(`"(?:Label|Hint|Error)" "([a-z0-9_.]+)"`),
	regexp.MustCompile(`(?:Errorf\([^,()]+,|FieldError\([^,()]+,|Message:|\.T\(|\.Add\([^,()]+,|sessFlash,|"flash",)\s*"([a-z0-9_]+\.[a-z0-9_.]+)"`),
}

func TestUsedKeysExist(t *testing.T) {
	b, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	known := set(b.Keys("en"))
	root := filepath.Join("..", "..")
	used := map[string][]string{}
	for _, dir := range []string{"web/templates", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".txt") &&
				!(strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go")) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, re := range usedKeyPatterns {
				for _, m := range re.FindAllStringSubmatch(string(data), -1) {
					used[m[1]] = append(used[m[1]], path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys in use; the patterns no longer match the code", len(used))
	}
	var missing []string
	for k, paths := range used {
		if !known[k] {
			missing = append(missing, k+" (used in "+strings.Join(dedupe(paths), ", ")+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("missing message key %s", m)
	}
}

func TestDateTime(t *testing.T) {
	b, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 5, 5, 0, 0, time.UTC)
	tests := []struct{ lang, tz, want string }{
		{"ja", "Asia/Tokyo", "2026年11月21日 14:05"},
		{"en", "Asia/Tokyo", "21 Nov 2026 14:05"},
		{"en", "Europe/London", "21 Nov 2026 05:05"},
		{"ja", "Not/AZone", "2026年11月21日 14:05"},
	}
	for _, tt := range tests {
		if got := b.Localizer(tt.lang).DateTime(at, tt.tz); got != tt.want {
			t.Errorf("DateTime(%s, %s) = %q, want %q", tt.lang, tt.tz, got, tt.want)
		}
	}
	now := at.Add(3 * time.Minute)
	if got := b.Localizer("ja").Ago(at, now); got != "3分前" {
		t.Errorf("Ago ja = %q", got)
	}
	if got := b.Localizer("en").Ago(at, at.Add(time.Minute)); got != "1 minute ago" {
		t.Errorf("Ago en = %q", got)
	}
}

func TestMatch(t *testing.T) {
	b, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{"": "ja", "en-US,en;q=0.9": "en", "ja-JP": "ja", "fr": "ja", "fr,en;q=0.5": "en", "garbage;;": "ja"}
	for header, want := range tests {
		if got := b.Match(header); got != want {
			t.Errorf("Match(%q) = %q, want %q", header, got, want)
		}
	}
}

func set(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
