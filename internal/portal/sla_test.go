package portal

import (
	"testing"
	"time"
)

func tokyo(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func weekdays(loc *time.Location, holidays ...string) Calendar {
	c := Calendar{Loc: loc, Open: 9 * time.Hour, Shut: 18 * time.Hour,
		Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}}
	if len(holidays) > 0 {
		c.Holidays = map[string]bool{}
		for _, h := range holidays {
			c.Holidays[h] = true
		}
	}
	return c
}

func TestCalendarAdd(t *testing.T) {
	jst, nyc := tokyo(t), newYork(t)
	at := func(loc *time.Location, mo time.Month, d, h, m int) time.Time {
		return time.Date(2026, mo, d, h, m, 0, 0, loc)
	}
	plain := weekdays(jst)
	yearEnd := weekdays(jst, "2026-12-31", "2027-01-01")
	us := weekdays(nyc)
	// November 2026: Fri 20, Sat 21, Sun 22, Mon 23, Tue 24.
	tests := []struct {
		name  string
		cal   Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"inside hours", plain, at(jst, 11, 23, 10, 0), 4 * time.Hour, at(jst, 11, 23, 14, 0)},
		{"ends exactly at closing", plain, at(jst, 11, 23, 9, 0), 9 * time.Hour, at(jst, 11, 23, 18, 0)},
		{"crosses the evening", plain, at(jst, 11, 23, 16, 0), 4 * time.Hour, at(jst, 11, 24, 11, 0)},
		{"starts in the evening", plain, at(jst, 11, 23, 20, 0), time.Hour, at(jst, 11, 24, 10, 0)},
		{"starts before opening", plain, at(jst, 11, 23, 7, 0), time.Hour, at(jst, 11, 23, 10, 0)},
		{"crosses the weekend", plain, at(jst, 11, 20, 17, 0), 2 * time.Hour, at(jst, 11, 23, 10, 0)},
		{"starts on Saturday, one business day", plain, at(jst, 11, 21, 12, 0), 9 * time.Hour, at(jst, 11, 23, 18, 0)},
		{"two business days from Friday noon", plain, at(jst, 11, 20, 12, 0), 18 * time.Hour, at(jst, 11, 24, 12, 0)},
		{"zero", plain, at(jst, 11, 21, 12, 0), 0, at(jst, 11, 21, 12, 0)},
		{"holidays and a weekend", yearEnd, at(jst, 12, 30, 17, 0), 2 * time.Hour,
			time.Date(2027, 1, 4, 10, 0, 0, 0, jst)},
		{"start on a holiday", yearEnd, at(jst, 12, 31, 10, 0), time.Hour, time.Date(2027, 1, 4, 10, 0, 0, 0, jst)},
		// New York leaves daylight saving time on Sunday 1 November 2026:
		// business hours stay 09:00–18:00 local on both sides.
		{"across the end of DST", us, at(nyc, 10, 30, 17, 0), 2 * time.Hour, at(nyc, 11, 2, 10, 0)},
		{"across the start of DST", us, at(nyc, 3, 6, 17, 30), time.Hour, at(nyc, 3, 9, 9, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Add(tt.start, tt.d)
			if !got.Equal(tt.want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", tt.start, tt.d, got.In(tt.cal.Loc), tt.want)
			}
			if back := tt.cal.Between(tt.start, got); back != tt.d {
				t.Fatalf("Between(start, Add(start, %s)) = %s", tt.d, back)
			}
		})
	}
}

func TestCalendarBetween(t *testing.T) {
	jst := tokyo(t)
	at := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, jst) }
	cal := weekdays(jst, "2026-11-24")
	tests := []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		{"same day", at(11, 23, 10, 0), at(11, 23, 12, 30), 150 * time.Minute},
		{"evening only", at(11, 23, 18, 0), at(11, 23, 23, 0), 0},
		{"weekend only", at(11, 21, 0, 0), at(11, 23, 9, 0), 0},
		{"Friday evening to Monday", at(11, 20, 17, 0), at(11, 23, 10, 0), 2 * time.Hour},
		{"over a holiday", at(11, 23, 17, 0), at(11, 25, 10, 0), 2 * time.Hour},
		{"backwards", at(11, 23, 12, 0), at(11, 23, 10, 0), 0},
		{"a whole week", at(11, 16, 0, 0), at(11, 23, 0, 0), 45 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.Between(tt.a, tt.b); got != tt.want {
				t.Fatalf("Between = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	day := 9 * time.Hour
	tests := []struct {
		in       string
		want     time.Duration
		business bool
		bad      bool
	}{
		{in: "1h", want: time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "4bh", want: 4 * time.Hour, business: true},
		{in: "1bd", want: 9 * time.Hour, business: true},
		{in: "2bd", want: 18 * time.Hour, business: true},
		{in: "0h", bad: true},
		{in: "-1h", bad: true},
		{in: "1d", bad: true},
		{in: "h", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in, day)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseTarget(%q) accepted", tt.in)
			}
			continue
		}
		if err != nil || got.D != tt.want || got.Business != tt.business {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %s business=%t", tt.in, got, err, tt.want, tt.business)
		}
	}
}

func TestSLAEventOf(t *testing.T) {
	tests := []struct {
		actor    Actor
		a        Action
		from, to SubStatus
		want     SLAEvent
		text     bool
	}{
		{ActorCustomer, ActComment, SubInProgress, SubInProgress, SLACustomerWrote, false},
		{ActorCustomer, ActComment, SubAwaitingCustomer, SubCustomerUpdated, SLACustomerWrote, false},
		{ActorCustomer, ActRejectSolution, SubSolutionProposed, SubCustomerUpdated, SLACustomerWrote, false},
		{ActorCustomer, ActReopen, SubResolved, SubCustomerUpdated, SLACustomerWrote, false},
		{ActorCustomer, ActAcceptSolution, SubSolutionProposed, SubResolved, SLAClosed, false},
		{ActorCustomer, ActClose, SubNew, SubClosedByCustomer, SLAClosed, false},
		{ActorAgent, ActComment, SubNew, SubInProgress, SLAAgentResponded, false},
		{ActorAgent, ActComment, SubAwaitingCustomer, SubAwaitingCustomer, SLAAgentResponded, false},
		{ActorAgent, ActProposeSolution, SubInProgress, SubSolutionProposed, SLAAgentResponded, false},
		{ActorAgent, ActInternalNote, SubInProgress, SubInProgress, SLANone, false},
		{ActorAgent, ActSetStatus, SubInProgress, SubAwaitingCustomer, SLAWaitOnCustomer, false},
		{ActorAgent, ActSetStatus, SubInProgress, SubAwaitingCustomer, SLAAgentResponded, true},
		{ActorAgent, ActInternalNote, SubInProgress, SubInProgress, SLANone, true},
		{ActorAgent, ActSetStatus, SubAwaitingCustomer, SubInProgress, SLAWaitOnSupport, false},
		{ActorAgent, ActSetStatus, SubNew, SubInProgress, SLANone, false},
		{ActorAgent, ActEscalate, SubInProgress, SubEscalated, SLANone, false},
		{ActorAgent, ActClose, SubInProgress, SubResolved, SLAClosed, false},
		{ActorSystem, ActAutoClose, SubAwaitingCustomer, SubNoResponse, SLAClosed, false},
	}
	for _, tt := range tests {
		if got := SLAEventOf(tt.actor, tt.a, tt.from, tt.to, tt.text); got != tt.want {
			t.Errorf("SLAEventOf(%s, %s, %s→%s) = %d, want %d", tt.actor, tt.a, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestSLAStep(t *testing.T) {
	jst := tokyo(t)
	p := DefaultSLAPolicy()
	p.Calendar = weekdays(jst, "2026-11-24")
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, jst) }
	running := func(due time.Time) SLA { return SLA{State: SLARunning, Due: due} }
	paused := func(r time.Duration) SLA { return SLA{State: SLAPaused, Remaining: r} }
	type step struct {
		e       SLAEvent
		now     time.Time
		prio    int
		oldPrio int
		want    SLA
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"critical runs around the clock", []step{
			{e: SLAOpened, now: at(21, 23, 30), prio: 1, want: running(at(22, 0, 30))},
		}},
		{"moderate filed on Friday evening is due Monday evening", []step{
			{e: SLAOpened, now: at(20, 19, 0), prio: 3, want: running(at(23, 18, 0))},
		}},
		{"low over a holiday", []step{
			{e: SLAOpened, now: at(23, 12, 0), prio: 4, want: running(at(26, 12, 0))},
		}},
		{"met by a reply, then a new target when the customer writes", []step{
			{e: SLAOpened, now: at(23, 10, 0), prio: 2, want: running(at(23, 14, 0))},
			{e: SLAAgentResponded, now: at(23, 11, 0), prio: 2, want: SLA{}},
			{e: SLACustomerWrote, now: at(23, 12, 0), prio: 2, want: running(at(23, 16, 0))},
			{e: SLACustomerWrote, now: at(23, 13, 0), prio: 2, want: running(at(23, 16, 0))},
		}},
		{"pause over a weekend keeps the business time left", []step{
			{e: SLAOpened, now: at(20, 10, 0), prio: 3, want: running(at(23, 10, 0))},
			{e: SLAWaitOnCustomer, now: at(20, 16, 0), prio: 3, want: paused(3 * time.Hour)},
			{e: SLACustomerWrote, now: at(22, 11, 0), prio: 3, want: running(at(23, 12, 0))},
		}},
		{"pause of a clock target keeps clock time", []step{
			{e: SLAOpened, now: at(20, 10, 0), prio: 2, want: running(at(20, 14, 0))},
			{e: SLAWaitOnCustomer, now: at(20, 13, 0), prio: 2, want: paused(time.Hour)},
			{e: SLAWaitOnCustomer, now: at(20, 13, 30), prio: 2, want: paused(time.Hour)},
			{e: SLACustomerWrote, now: at(21, 22, 0), prio: 2, want: running(at(21, 23, 0))},
		}},
		{"an agent taking the case back resumes", []step{
			{e: SLAOpened, now: at(20, 10, 0), prio: 2, want: running(at(20, 14, 0))},
			{e: SLAWaitOnCustomer, now: at(20, 11, 0), prio: 2, want: paused(3 * time.Hour)},
			{e: SLAWaitOnSupport, now: at(20, 12, 0), prio: 2, want: running(at(20, 15, 0))},
		}},
		{"waiting on support does not start a target", []step{
			{e: SLAWaitOnSupport, now: at(20, 12, 0), prio: 2, want: SLA{}},
		}},
		{"pause when overdue leaves nothing", []step{
			{e: SLAOpened, now: at(20, 10, 0), prio: 1, want: running(at(20, 11, 0))},
			{e: SLAWaitOnCustomer, now: at(20, 12, 0), prio: 1, want: paused(0)},
			{e: SLACustomerWrote, now: at(20, 13, 0), prio: 1, want: running(at(20, 13, 0))},
		}},
		{"raising the priority re-bases on time used", []step{
			{e: SLAOpened, now: at(23, 10, 0), prio: 3, want: running(at(25, 10, 0))},
			// One business hour used of the day; High allows 4 clock hours.
			{e: SLAPriorityChanged, now: at(23, 11, 0), prio: 2, oldPrio: 3, want: running(at(23, 14, 0))},
		}},
		{"raising past the new target is overdue at once", []step{
			{e: SLAOpened, now: at(23, 9, 0), prio: 3, want: running(at(23, 18, 0))},
			{e: SLAPriorityChanged, now: at(23, 11, 0), prio: 1, oldPrio: 3, want: running(at(23, 11, 0))},
		}},
		{"priority change while paused", []step{
			{e: SLAOpened, now: at(23, 10, 0), prio: 2, want: running(at(23, 14, 0))},
			{e: SLAWaitOnCustomer, now: at(23, 11, 0), prio: 2, want: paused(3 * time.Hour)},
			{e: SLAPriorityChanged, now: at(23, 12, 0), prio: 4, oldPrio: 2, want: paused(17 * time.Hour)},
		}},
		{"priority change while stopped changes nothing", []step{
			{e: SLAPriorityChanged, now: at(23, 12, 0), prio: 1, oldPrio: 4, want: SLA{}},
		}},
		{"closing stops, reopening starts anew", []step{
			{e: SLAOpened, now: at(23, 10, 0), prio: 1, want: running(at(23, 11, 0))},
			{e: SLAWaitOnCustomer, now: at(23, 10, 30), prio: 1, want: paused(30 * time.Minute)},
			{e: SLAClosed, now: at(23, 10, 40), prio: 1, want: SLA{}},
			{e: SLACustomerWrote, now: at(25, 10, 0), prio: 1, want: running(at(25, 11, 0))},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s SLA
			for i, st := range tt.steps {
				s = p.Step(s, st.e, st.now, st.prio, st.oldPrio)
				if s.State != st.want.State || !s.Due.Equal(st.want.Due) || s.Remaining != st.want.Remaining {
					t.Fatalf("step %d: got %+v, want %+v", i, s, st.want)
				}
			}
		})
	}
}
