// Package i18n loads the UI text from locales/ and formats messages, dates and
// times in a person's language and time zone.
package i18n

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages are the supported languages, the default first.
var Languages = []string{"ja", "en"}

// Bundle holds every language's messages.
type Bundle struct {
	bundle     *goi18n.Bundle
	matcher    language.Matcher
	localizers map[string]*Localizer
	keys       map[string][]string
	fast       map[string]map[string]*fastMessage // by language, then key
}

// New loads each supported language's messages from fsys: <lang>.toml and
// any <area>.<lang>.toml beside it, so that each area of the portal can keep
// its text in its own pair of files. A key defined twice is an error.
func New(fsys fs.FS) (*Bundle, error) {
	b := &Bundle{
		bundle:     goi18n.NewBundle(language.Japanese),
		localizers: map[string]*Localizer{},
		keys:       map[string][]string{},
		fast:       map[string]map[string]*fastMessage{},
	}
	b.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	var tags []language.Tag
	for _, lang := range Languages {
		names, err := fs.Glob(fsys, "*."+lang+".toml")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		names = append([]string{lang + ".toml"}, names...)
		b.fast[lang] = map[string]*fastMessage{}
		seen := map[string]string{}
		for _, name := range names {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			mf, err := b.bundle.ParseMessageFileBytes(data, name)
			if err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", name, err)
			}
			for _, m := range mf.Messages {
				if first, dup := seen[m.ID]; dup {
					return nil, fmt.Errorf("i18n: %s: %q is already defined in %s", name, m.ID, first)
				}
				seen[m.ID] = name
				b.keys[lang] = append(b.keys[lang], m.ID)
				if f, ok := parseFast(m); ok {
					b.fast[lang][m.ID] = f
				}
			}
		}
		sort.Strings(b.keys[lang])
		tags = append(tags, language.MustParse(lang))
	}
	b.matcher = language.NewMatcher(tags)
	z := &zones{}
	for _, lang := range Languages {
		b.localizers[lang] = &Localizer{Lang: lang, l: goi18n.NewLocalizer(b.bundle, lang), zones: z, fast: b.fast[lang]}
	}
	return b, nil
}

// Keys returns the sorted message IDs of lang.
func (b *Bundle) Keys(lang string) []string { return b.keys[lang] }

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Match picks the supported language an Accept-Language header prefers.
func (b *Bundle) Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Languages[0]
	}
	_, i, conf := b.matcher.Match(tags...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[i]
}

// Localizer returns the localizer of lang, or of the default language.
func (b *Bundle) Localizer(lang string) *Localizer {
	if l, ok := b.localizers[lang]; ok {
		return l
	}
	return b.localizers[Languages[0]]
}

// Localizer formats text for one language. It is safe for concurrent use and
// shared by every request in that language.
type Localizer struct {
	Lang  string
	l     *goi18n.Localizer
	zones *zones
	fast  map[string]*fastMessage
}

// T returns the message key filled with data, given as alternating names and
// values ("Name", "Taro"). A missing key shows as the key itself, which the
// locale tests catch before anyone sees it.
func (l *Localizer) T(key string, data ...any) string {
	if f := l.fast[key]; f != nil {
		if s, ok := f.fill(l.Lang, data); ok {
			return s
		}
	}
	return l.slowT(key, data...)
}

// slowT is T through go-i18n.
func (l *Localizer) slowT(key string, data ...any) string {
	var tmpl map[string]any
	var count any
	if len(data) > 0 {
		tmpl = make(map[string]any, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			name := fmt.Sprint(data[i])
			tmpl[name] = data[i+1]
			if name == "Count" {
				count = data[i+1]
			}
		}
	}
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: tmpl, PluralCount: count})
	if err != nil {
		return key
	}
	return s
}

// TMap is T with the data as a map, for portal.Error.Data.
func (l *Localizer) TMap(key string, data map[string]any) string {
	args := make([]any, 0, 2*len(data))
	for k, v := range data {
		args = append(args, k, v)
	}
	return l.T(key, args...)
}

// zones caches time zones by name: time.LoadLocation reads the zone file
// each time, and a page shows dozens of times. One cache serves a Bundle's
// localizers.
type zones struct {
	m sync.Map // name → *time.Location
	n atomic.Int64
}

// maxZones caps the cache. Names come from users' settings, which are
// checked, so few distinct ones are ever asked for.
const maxZones = 1000

// location returns the time zone named tz, or Asia/Tokyo if it is unknown.
func (z *zones) location(tz string) *time.Location {
	if loc, ok := z.m.Load(tz); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		if loc, err = time.LoadLocation("Asia/Tokyo"); err != nil {
			loc = time.FixedZone("JST", 9*3600)
		}
	}
	if z.n.Add(1) <= maxZones {
		z.m.Store(tz, loc)
	}
	return loc
}

// DateTime writes t in tz the way the language writes it:
// "2026年11月21日 14:05" or "21 Nov 2026 14:05".
func (l *Localizer) DateTime(t time.Time, tz string) string {
	t = t.In(l.zones.location(tz))
	if l.Lang == "ja" {
		return t.Format("2006年1月2日 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// Time writes only the clock time, with the date when it is not today in tz.
func (l *Localizer) Time(t, now time.Time, tz string) string {
	loc := l.zones.location(tz)
	if t.In(loc).Format("20060102") == now.In(loc).Format("20060102") {
		return t.In(loc).Format("15:04")
	}
	return l.DateTime(t, tz)
}

// Ago writes how long before now t was: "3分前", "3 minutes ago".
func (l *Localizer) Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return l.T("time.just_now")
	case d < time.Hour:
		return l.T("time.minutes_ago", "Count", int(d/time.Minute))
	case d < 24*time.Hour:
		return l.T("time.hours_ago", "Count", int(d/time.Hour))
	default:
		return l.T("time.days_ago", "Count", int(d/(24*time.Hour)))
	}
}

// TimeZones lists the zones offered in forms, most likely first.
var TimeZones = []string{
	"Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Singapore",
	"Asia/Bangkok", "Asia/Jakarta", "Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland",
	"Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
	"America/Denver", "America/Los_Angeles", "America/Sao_Paulo", "UTC",
}

// ValidTimeZone reports whether tz is a zone the runtime knows.
func ValidTimeZone(tz string) bool {
	if tz == "" || strings.ContainsAny(tz, " ") {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}
