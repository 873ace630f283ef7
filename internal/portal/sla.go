package portal

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds the response targets (DESIGN.md flow 12, issue 4): a
// business calendar, the target of each priority and the clock that says
// when the next response to the customer is due.

// Calendar is when support works: business hours on business weekdays in
// one time zone, minus holidays. Business time is counted only inside it.
type Calendar struct {
	Loc        *time.Location
	Open, Shut time.Duration // offsets from local midnight, Open < Shut
	Days       [7]bool       // indexed by time.Weekday
	Holidays   map[string]bool
}

// DefaultCalendar is 09:00–18:00, Monday to Friday, in Asia/Tokyo (UTC+9
// without DST when the zone database is missing).
func DefaultCalendar() Calendar {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		loc = time.FixedZone("JST", 9*3600)
	}
	return Calendar{Loc: loc, Open: 9 * time.Hour, Shut: 18 * time.Hour,
		Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}}
}

// DayLength is the business time of one business day.
func (c Calendar) DayLength() time.Duration { return c.Shut - c.Open }

// maxDays bounds the walk over the calendar: a calendar with no business
// day at all (rejected by configuration) must not loop forever.
const maxDays = 3 * 366

// window returns the business hours of the local day that starts at day
// (local midnight), or ok false when the day is not a business day.
func (c Calendar) window(y int, m time.Month, d int) (from, to time.Time, ok bool) {
	day := time.Date(y, m, d, 0, 0, 0, 0, c.Loc)
	if !c.Days[day.Weekday()] || c.Holidays[day.Format(time.DateOnly)] {
		return time.Time{}, time.Time{}, false
	}
	// Built from wall-clock fields, not by adding to midnight, so the hours
	// stay 09:00–18:00 on days when the clocks change.
	at := func(off time.Duration) time.Time {
		return time.Date(y, m, d, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, c.Loc)
	}
	return at(c.Open), at(c.Shut), true
}

// Add returns the moment d of business time after start.
func (c Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start
	}
	local := start.In(c.Loc)
	y, m, day := local.Date()
	for i := 0; i < maxDays; i++ {
		from, to, ok := c.window(y, m, day+i)
		if ok && to.After(start) {
			if from.Before(start) {
				from = start
			}
			avail := to.Sub(from)
			if d <= avail {
				return from.Add(d)
			}
			d -= avail
		}
	}
	return start.Add(d)
}

// Between returns the business time from a to b (0 when b is not after a).
func (c Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	local := a.In(c.Loc)
	y, m, day := local.Date()
	var sum time.Duration
	for i := 0; i < maxDays; i++ {
		from, to, ok := c.window(y, m, day+i)
		if !from.IsZero() && !from.Before(b) {
			break
		}
		if !ok {
			if time.Date(y, m, day+i, 0, 0, 0, 0, c.Loc).After(b) {
				break
			}
			continue
		}
		if from.Before(a) {
			from = a
		}
		if to.After(b) {
			to = b
		}
		if to.After(from) {
			sum += to.Sub(from)
		}
	}
	return sum
}

// Target is how long support has to respond: clock time, or business time
// counted on the calendar.
type Target struct {
	D        time.Duration
	Business bool
	Spec     string // as configured, e.g. "4bh"
}

// ParseTarget reads "1h" or "90m" (clock time), "4bh" (business hours) or
// "1bd" (business days of dayLength each).
func ParseTarget(s string, dayLength time.Duration) (Target, error) {
	s = strings.TrimSpace(s)
	unit := func(suffix string) (int, bool) {
		n, ok := strings.CutSuffix(s, suffix)
		if !ok {
			return 0, false
		}
		v, err := strconv.Atoi(n)
		return v, err == nil && v > 0 && v <= 10000
	}
	if n, ok := unit("bd"); ok {
		return Target{D: time.Duration(n) * dayLength, Business: true, Spec: s}, nil
	}
	if n, ok := unit("bh"); ok {
		return Target{D: time.Duration(n) * time.Hour, Business: true, Spec: s}, nil
	}
	if n, ok := unit("bm"); ok {
		return Target{D: time.Duration(n) * time.Minute, Business: true, Spec: s}, nil
	}
	if n, ok := unit("h"); ok {
		return Target{D: time.Duration(n) * time.Hour, Spec: s}, nil
	}
	if n, ok := unit("m"); ok {
		return Target{D: time.Duration(n) * time.Minute, Spec: s}, nil
	}
	return Target{}, fmt.Errorf("target %q is not like 1h, 4bh or 1bd", s)
}

// SLAPolicy is the calendar and the target of each priority (1–4).
type SLAPolicy struct {
	Calendar Calendar
	Targets  [5]Target // index = priority; 0 unused
}

// DefaultSLAPolicy is 1-Critical 1 h and 2-High 4 h around the clock,
// 3-Moderate one business day and 4-Low two, on the default calendar.
func DefaultSLAPolicy() SLAPolicy {
	cal := DefaultCalendar()
	p := SLAPolicy{Calendar: cal}
	for prio, spec := range map[int]string{1: "1h", 2: "4h", 3: "1bd", 4: "2bd"} {
		p.Targets[prio], _ = ParseTarget(spec, cal.DayLength())
	}
	return p
}

// target returns the target of a priority; an unknown priority gets the
// lowest one's.
func (p SLAPolicy) target(prio int) Target {
	if prio < 1 || prio > 4 {
		prio = 4
	}
	return p.Targets[prio]
}

// add and between count in the target's kind of time.
func (p SLAPolicy) add(t Target, start time.Time, d time.Duration) time.Time {
	if t.Business {
		return p.Calendar.Add(start, d)
	}
	return start.Add(d)
}

func (p SLAPolicy) between(t Target, a, b time.Time) time.Duration {
	if t.Business {
		return p.Calendar.Between(a, b)
	}
	return max(b.Sub(a), 0)
}

// SLAState is where a case's response clock stands.
type SLAState int

const (
	SLAStopped SLAState = iota // no response owed: met, never started, or closed
	SLARunning                 // a response is due at Due
	SLAPaused                  // waiting on the customer, Remaining left of the target
)

// SLA is a case's response clock. Remaining is counted in the kind of time
// of the case's target (business or clock).
type SLA struct {
	State     SLAState
	Due       time.Time     // when running
	Remaining time.Duration // when paused
}

// SLAEvent is what happened on a case, as far as the clock cares.
type SLAEvent int

const (
	SLANone            SLAEvent = iota
	SLAOpened                   // the case was filed
	SLACustomerWrote            // comment, rejected solution, reopening
	SLAAgentResponded           // public reply or proposed solution
	SLAWaitOnCustomer           // set to wait on the customer without a public response
	SLAWaitOnSupport            // an agent took the case back from waiting on the customer
	SLAPriorityChanged          // see Step's oldPrio
	SLAClosed
)

// SLAEventOf maps a state-machine transition to its clock event. withText
// says the action carried a message: an agent's status change with a
// comment is a public response (the customer reads it on the timeline),
// so it meets the target rather than pausing it.
func SLAEventOf(actor Actor, a Action, from, to SubStatus, withText bool) SLAEvent {
	switch {
	case to.Status() == Closed:
		return SLAClosed
	case a == ActInternalNote:
		return SLANone
	case actor == ActorCustomer && (a == ActComment || a == ActRejectSolution || a == ActReopen):
		return SLACustomerWrote
	case actor == ActorAgent && (a == ActComment || a == ActProposeSolution || withText):
		return SLAAgentResponded
	case actor == ActorAgent && to.WaitingOnCustomer() && !from.WaitingOnCustomer():
		return SLAWaitOnCustomer
	case actor == ActorAgent && from.WaitingOnCustomer() && !to.WaitingOnCustomer():
		return SLAWaitOnSupport
	}
	return SLANone
}

// Step applies an event at now to a case of priority prio whose clock is s.
// For SLAPriorityChanged, prio is the new priority and oldPrio the old one:
// the time already used against the old target counts against the new one.
func (p SLAPolicy) Step(s SLA, e SLAEvent, now time.Time, prio, oldPrio int) SLA {
	t := p.target(prio)
	switch e {
	case SLAOpened:
		return SLA{State: SLARunning, Due: p.add(t, now, t.D)}
	case SLACustomerWrote, SLAWaitOnSupport:
		switch s.State {
		case SLAPaused:
			return SLA{State: SLARunning, Due: p.add(t, now, s.Remaining)}
		case SLAStopped:
			if e == SLACustomerWrote {
				return SLA{State: SLARunning, Due: p.add(t, now, t.D)}
			}
		}
	case SLAAgentResponded, SLAClosed:
		return SLA{}
	case SLAWaitOnCustomer:
		if s.State == SLARunning {
			return SLA{State: SLAPaused, Remaining: p.between(t, now, s.Due)}
		}
	case SLAPriorityChanged:
		old := p.target(oldPrio)
		switch s.State {
		case SLARunning:
			used := old.D - p.between(old, now, s.Due)
			return SLA{State: SLARunning, Due: p.add(t, now, max(t.D-used, 0))}
		case SLAPaused:
			used := old.D - s.Remaining
			return SLA{State: SLAPaused, Remaining: max(t.D-used, 0)}
		}
	}
	return s
}
