package server

import (
	"strconv"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// ResponseDueMails builds the warning that the response on c is due at due
// (or overdue at now): to the assigned agent in their language and zone, or
// to TEAM_EMAIL when the case is unassigned (in the portal's first language
// and the business time zone). No mail when there is neither; the warning
// job logs that.
func (s *Server) ResponseDueMails(c *portal.Case, due, now time.Time, agent *store.Recipient) ([]store.Mail, error) {
	to := recipient{Lang: i18n.Languages[0]}
	tz := "Asia/Tokyo"
	if loc := s.cfg.SLA.Calendar.Loc; loc != nil {
		tz = loc.String()
	}
	switch {
	case agent != nil:
		to = recipient{Email: agent.Email, Name: agent.Name, Lang: mailLang(agent.Lang)}
		tz = mailTZ(agent.TZ)
	case s.cfg.TeamEmail != "":
		to.Email = s.cfg.TeamEmail
	default:
		return nil, nil
	}
	l := s.bundle.Localizer(to.Lang)
	m, err := s.mail(to, "response_due", map[string]any{
		"Number":    c.Number,
		"Subject":   c.Subject,
		"Priority":  l.T("priority." + strconv.Itoa(c.Priority)),
		"StatusKey": "substatus." + string(c.SubStatus),
		"Due":       l.DateTime(due, tz),
		"Overdue":   !due.After(now),
		"Team":      agent == nil,
		"Link":      s.cfg.BaseURL + casePath(c.Number),
	})
	if err != nil {
		return nil, err
	}
	return []store.Mail{m}, nil
}
