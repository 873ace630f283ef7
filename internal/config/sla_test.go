package config

import (
	"strings"
	"testing"
	"time"
)

func TestSLAConfig(t *testing.T) {
	base := map[string]string{
		"DATABASE_URL": "postgres://u:secret@db/madoguchi",
		"BASE_URL":     "https://support.example.com",
		"SMTP_URL":     "smtp://mailer:hunter2@smtp.example.com:587",
	}
	load := func(kv map[string]string) (Config, error) {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range kv {
			m[k] = v
		}
		c := FromEnv(func(k string) string { return m[k] })
		return c, c.Validate()
	}

	t.Run("Defaults", func(t *testing.T) {
		c, err := load(nil)
		if err != nil {
			t.Fatal(err)
		}
		p := c.SLA
		if p.Calendar.Loc.String() != "Asia/Tokyo" || p.Calendar.Open != 9*time.Hour || p.Calendar.Shut != 18*time.Hour {
			t.Errorf("calendar = %v %s-%s", p.Calendar.Loc, p.Calendar.Open, p.Calendar.Shut)
		}
		if !p.Calendar.Days[time.Monday] || !p.Calendar.Days[time.Friday] || p.Calendar.Days[time.Saturday] || p.Calendar.Days[time.Sunday] {
			t.Errorf("days = %v", p.Calendar.Days)
		}
		want := []struct {
			d        time.Duration
			business bool
		}{{}, {time.Hour, false}, {4 * time.Hour, false}, {9 * time.Hour, true}, {18 * time.Hour, true}}
		for prio := 1; prio <= 4; prio++ {
			if got := p.Targets[prio]; got.D != want[prio].d || got.Business != want[prio].business {
				t.Errorf("priority %d target = %+v", prio, got)
			}
		}
		if c.ResponseWarnBefore != 30*time.Minute || c.TeamEmail != "" {
			t.Errorf("warn before %s, team %q", c.ResponseWarnBefore, c.TeamEmail)
		}
	})

	t.Run("Custom", func(t *testing.T) {
		c, err := load(map[string]string{
			"RESPONSE_TARGETS": "1=30m, 2=2bh, 3=8h, 4=3bd", "BUSINESS_HOURS": "08:30-17:30",
			"BUSINESS_DAYS": "sun-thu", "BUSINESS_TIME_ZONE": "America/New_York",
			"HOLIDAYS": "2026-12-31, 2027-01-01", "RESPONSE_WARN_BEFORE": "1h", "TEAM_EMAIL": "team@example.com",
		})
		if err != nil {
			t.Fatal(err)
		}
		p := c.SLA
		if p.Targets[1].D != 30*time.Minute || p.Targets[2].D != 2*time.Hour || !p.Targets[2].Business ||
			p.Targets[3].Business || p.Targets[4].D != 27*time.Hour {
			t.Errorf("targets = %+v", p.Targets)
		}
		if !p.Calendar.Days[time.Sunday] || p.Calendar.Days[time.Friday] || !p.Calendar.Holidays["2027-01-01"] {
			t.Errorf("calendar = %+v", p.Calendar)
		}
		if p.Calendar.Open != 8*time.Hour+30*time.Minute || c.ResponseWarnBefore != time.Hour || c.TeamEmail != "team@example.com" {
			t.Errorf("open %s warn %s team %q", p.Calendar.Open, c.ResponseWarnBefore, c.TeamEmail)
		}
	})

	bad := []struct{ key, value string }{
		{"RESPONSE_TARGETS", "1=1h,2=4h,3=1bd"},
		{"RESPONSE_TARGETS", "1=1h,2=4h,3=1bd,4=2x"},
		{"RESPONSE_TARGETS", "0=1h,1=1h,2=4h,3=1bd,4=2bd"},
		{"BUSINESS_HOURS", "18:00-09:00"},
		{"BUSINESS_HOURS", "9-18"},
		{"BUSINESS_DAYS", "fri-mon"},
		{"BUSINESS_DAYS", "weekdays"},
		{"BUSINESS_TIME_ZONE", "Tokyo"},
		{"HOLIDAYS", "2026-12-31,12/31"},
		{"RESPONSE_WARN_BEFORE", "soon"},
		{"RESPONSE_WARN_BEFORE", "-5m"},
		{"TEAM_EMAIL", "not an address"},
	}
	for _, b := range bad {
		t.Run(b.key+"="+b.value, func(t *testing.T) {
			_, err := load(map[string]string{b.key: b.value})
			if err == nil || !strings.Contains(err.Error(), b.key) {
				t.Fatalf("error %v does not name %s", err, b.key)
			}
		})
	}
}
