package i18n

import (
	"testing"

	"madoguchi/locales"
)

// T's direct filling agrees with go-i18n for every message of both
// locales, with each count form and with values of several types.
func TestFastAgreesWithGoI18n(t *testing.T) {
	b, err := New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	fast := 0
	for _, lang := range Languages {
		l := b.Localizer(lang)
		for _, key := range b.Keys(lang) {
			f := l.fast[key]
			if f == nil {
				continue
			}
			fast++
			// Every placeholder the message names, filled.
			var data []any
			seen := map[string]bool{}
			for _, segs := range [][]segment{f.one, f.other} {
				for _, s := range segs {
					if s.field != "" && s.field != "Count" && !seen[s.field] {
						seen[s.field] = true
						data = append(data, s.field, "<"+s.field+"> 値")
					}
				}
			}
			counts := []any{nil}
			if f.one != nil || usesCount(f.other) {
				// go-i18n shows the key for a count of 1 when English has
				// no "one" form: every counted English message needs one.
				if lang == "en" && f.one == nil {
					t.Errorf("en %s counts but has no \"one\" form", key)
				}
				counts = []any{0, 1, 2, int64(1), 21}
			}
			for _, count := range counts {
				args := data
				if count != nil {
					args = append(append([]any{}, data...), "Count", count)
				}
				if got, want := l.T(key, args...), l.slowT(key, args...); got != want {
					t.Errorf("%s %s %v: T = %q, go-i18n = %q", lang, key, args, got, want)
				}
			}
		}
	}
	if fast < 100 {
		t.Errorf("only %d messages take the direct path", fast)
	}
	// A number, and a value left out.
	l := b.Localizer("en")
	for _, tc := range []struct {
		key  string
		args []any
	}{
		{"case_new.created_flash", []any{"Number", 123}},
		{"case_new.created_flash", nil},
	} {
		if got, want := l.T(tc.key, tc.args...), l.slowT(tc.key, tc.args...); got != want {
			t.Errorf("%s %v: T = %q, go-i18n = %q", tc.key, tc.args, got, want)
		}
	}
}

func usesCount(segs []segment) bool {
	for _, s := range segs {
		if s.field == "Count" {
			return true
		}
	}
	return false
}

func BenchmarkT(b *testing.B) {
	bn, err := New(locales.FS)
	if err != nil {
		b.Fatal(err)
	}
	l := bn.Localizer("ja")
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			l.T("case_event.comment", "Name", "山田 太郎")
		}
	})
	b.Run("go-i18n", func(b *testing.B) {
		for b.Loop() {
			l.slowT("case_event.comment", "Name", "山田 太郎")
		}
	})
}
