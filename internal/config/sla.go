package config

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"madoguchi/internal/portal"
)

// SLAEnv holds the response-target variables as read, so Validate can name
// the one that is wrong.
type SLAEnv struct {
	Targets, Hours, Days, TimeZone, Holidays, WarnBefore string
}

// Defaults of the response targets (issue 4).
const (
	DefaultResponseTargets    = "1=1h,2=4h,3=1bd,4=2bd"
	DefaultBusinessHours      = "09:00-18:00"
	DefaultBusinessDays       = "mon-fri"
	DefaultBusinessTimeZone   = "Asia/Tokyo"
	DefaultResponseWarnBefore = 30 * time.Minute
)

func slaFromEnv(getenv func(string) string) SLAEnv {
	or := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	return SLAEnv{
		Targets:    or("RESPONSE_TARGETS", DefaultResponseTargets),
		Hours:      or("BUSINESS_HOURS", DefaultBusinessHours),
		Days:       or("BUSINESS_DAYS", DefaultBusinessDays),
		TimeZone:   or("BUSINESS_TIME_ZONE", DefaultBusinessTimeZone),
		Holidays:   strings.TrimSpace(getenv("HOLIDAYS")),
		WarnBefore: strings.TrimSpace(getenv("RESPONSE_WARN_BEFORE")),
	}
}

// validateSLA builds c.SLA, c.ResponseWarnBefore and checks TEAM_EMAIL.
func (c *Config) validateSLA() []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	e := c.SLAEnv
	if e == (SLAEnv{}) {
		// A Config built without FromEnv (tests): the defaults.
		e = slaFromEnv(func(string) string { return "" })
	}
	cal := portal.Calendar{}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil || e.TimeZone == "Local" {
		fail("BUSINESS_TIME_ZONE %q is not an IANA time zone such as Asia/Tokyo", e.TimeZone)
		loc = time.UTC
	}
	cal.Loc = loc
	if open, shut, ok := parseHours(e.Hours); ok {
		cal.Open, cal.Shut = open, shut
	} else {
		fail("BUSINESS_HOURS %q must look like 09:00-18:00 (opening before closing)", e.Hours)
		cal.Open, cal.Shut = 9*time.Hour, 18*time.Hour
	}
	if days, ok := parseDays(e.Days); ok {
		cal.Days = days
	} else {
		fail("BUSINESS_DAYS %q must name weekdays like mon-fri or mon,tue,thu", e.Days)
	}
	if e.Holidays != "" {
		cal.Holidays = map[string]bool{}
		for _, h := range strings.Split(e.Holidays, ",") {
			h = strings.TrimSpace(h)
			if _, err := time.Parse(time.DateOnly, h); err != nil {
				fail("HOLIDAYS: %q is not a date like 2026-12-31", h)
				continue
			}
			cal.Holidays[h] = true
		}
	}
	c.SLA = portal.SLAPolicy{Calendar: cal}
	seen := [5]bool{}
	for _, part := range strings.Split(e.Targets, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		prio, err := strconv.Atoi(strings.TrimSpace(k))
		if !ok || err != nil || !portal.ValidPriority(prio) {
			fail("RESPONSE_TARGETS: %q must be priority=target, e.g. 1=1h (priorities 1-4)", part)
			continue
		}
		t, err := portal.ParseTarget(v, cal.DayLength())
		if err != nil {
			fail("RESPONSE_TARGETS: priority %d: %v", prio, err)
			continue
		}
		c.SLA.Targets[prio], seen[prio] = t, true
	}
	for prio := 1; prio <= 4; prio++ {
		if !seen[prio] {
			fail("RESPONSE_TARGETS %q has no target for priority %d", e.Targets, prio)
		}
	}
	c.ResponseWarnBefore = DefaultResponseWarnBefore
	if e.WarnBefore != "" {
		if d, err := time.ParseDuration(e.WarnBefore); err == nil && d > 0 {
			c.ResponseWarnBefore = d
		} else {
			fail("RESPONSE_WARN_BEFORE %q must be a positive duration such as 30m", e.WarnBefore)
		}
	}
	if c.TeamEmail != "" {
		if _, err := mail.ParseAddress(c.TeamEmail); err != nil {
			fail("TEAM_EMAIL %q is not an e-mail address", c.TeamEmail)
		}
	}
	return errs
}

// parseHours reads "09:00-18:00".
func parseHours(v string) (open, shut time.Duration, ok bool) {
	a, b, found := strings.Cut(v, "-")
	if !found {
		return 0, 0, false
	}
	clock := func(s string) (time.Duration, bool) {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return 0, false
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
	}
	open, ok1 := clock(a)
	shut, ok2 := clock(b)
	if strings.TrimSpace(b) == "24:00" {
		shut, ok2 = 24*time.Hour, true
	}
	return open, shut, ok1 && ok2 && open < shut
}

var weekdayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// parseDays reads "mon-fri", "mon,wed,fri" or "sun-thu,sat"; ranges do not
// wrap past Saturday.
func parseDays(v string) (days [7]bool, ok bool) {
	found := false
	for _, part := range strings.Split(strings.ToLower(v), ",") {
		a, b, isRange := strings.Cut(strings.TrimSpace(part), "-")
		from, ok1 := weekdayNames[strings.TrimSpace(a)]
		to := from
		ok2 := true
		if isRange {
			to, ok2 = weekdayNames[strings.TrimSpace(b)]
		}
		if !ok1 || !ok2 || to < from {
			return days, false
		}
		for d := from; d <= to; d++ {
			days[d], found = true, true
		}
	}
	return days, found
}
