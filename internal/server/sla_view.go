package server

import (
	"context"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// caseResponseView is the response target on the case page. Staff only:
// the targets are the support team's internal commitment, so customers
// never see them (nor a paused clock, which would read as being ignored).
type caseResponseView struct {
	When    string // due time in the viewer's zone, with how far off it is
	ISO     string
	Overdue bool
	Paused  bool
}

// caseResponse returns what the case page shows of c's response clock, or
// nil when no response is owed (met, never started, closed).
func (s *Server) caseResponse(ctx context.Context, c *portal.Case, l *i18n.Localizer, tz string, now time.Time) (*caseResponseView, error) {
	clock, err := s.store.CaseSLA(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	switch clock.State {
	case portal.SLAPaused:
		return &caseResponseView{Paused: true}, nil
	case portal.SLARunning:
		return &caseResponseView{
			When:    l.DateTime(clock.Due, tz) + " (" + untilOrAgo(l, clock.Due, now) + ")",
			ISO:     clock.Due.UTC().Format(time.RFC3339),
			Overdue: !clock.Due.After(now),
		}, nil
	}
	return nil, nil
}

// untilOrAgo says how far off t is: "in 3 hours", or "2 hours ago" once
// passed.
func untilOrAgo(l *i18n.Localizer, t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return l.Ago(t, now)
	case d < time.Hour:
		return l.T("sla.in_minutes", "Count", max(int(d/time.Minute), 1))
	case d < 24*time.Hour:
		return l.T("sla.in_hours", "Count", int(d/time.Hour))
	}
	return l.T("sla.in_days", "Count", int(d/(24*time.Hour)))
}
