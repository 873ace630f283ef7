package server

import (
	"strings"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// caseNotices builds the notifications of an action on a case (DESIGN.md
// flow 11) from its outcome, with the recipients as they are at that moment
// (disabled contacts are already left out):
//   - closing (by the customer, an agent or auto-close): the opener only,
//     with the reason and a link to the survey; CC addresses never get it;
//   - a proposed solution: the opener and the CC list;
//   - a reopened case: the assigned agent;
//   - anything else with a comment (a reply, a customer's comment, a
//     rejection, a status change with a comment): the opener, the CC list
//     and the assigned agent;
//   - an internal note: nobody, ever.
//
// The author of an action is never told about it, except that the opener
// who closes their own case still gets the closing notice with the survey.
func (s *Server) caseNotices(o store.ActOutcome) ([]store.Mail, error) {
	c := o.Case
	data := s.caseMailData(o)
	r := o.Recipients
	switch {
	case o.Action == portal.ActInternalNote:
		return nil, nil
	case c.Status == portal.Closed && o.From.Status() == portal.Open:
		return s.caseMails("case_closed", data, r.Opener)
	case o.Action == portal.ActProposeSolution:
		r = r.Except(o.Actor)
		return s.caseMails("case_solution", data, append([]*store.Recipient{r.Opener}, ccOf(r)...)...)
	case o.Action == portal.ActReopen:
		r = r.Except(o.Actor)
		return s.caseMails("case_reopened", data, r.Agent)
	case strings.TrimSpace(o.Body) != "" || o.Files > 0:
		r = r.Except(o.Actor)
		return s.caseMails("case_comment", data, append(append([]*store.Recipient{r.Opener}, ccOf(r)...), r.Agent)...)
	}
	return nil, nil
}

// AutoCloseMails builds the notice to the opener of a case closed for want
// of an answer; the auto-close job passes it to store.Act.
func (s *Server) AutoCloseMails(o store.ActOutcome) ([]store.Mail, error) { return s.caseNotices(o) }

// ReminderMails builds the reminder to the opener of a case that has waited
// on them for half the auto-close period, saying when it will close.
func (s *Server) ReminderMails(c *portal.Case, r store.CaseRecipients, closesAt time.Time) ([]store.Mail, error) {
	if r.Opener == nil {
		return nil, nil
	}
	data := s.caseMailData(store.ActOutcome{Case: c, From: c.SubStatus})
	l := s.bundle.Localizer(mailLang(r.Opener.Lang))
	data["ClosesAt"] = l.DateTime(closesAt, mailTZ(r.Opener.TZ))
	m, err := s.mail(recipient{Email: r.Opener.Email, Name: r.Opener.Name, Lang: mailLang(r.Opener.Lang)},
		"case_autoclose_reminder", data)
	if err != nil {
		return nil, err
	}
	return []store.Mail{m}, nil
}

func ccOf(r store.CaseRecipients) []*store.Recipient {
	out := make([]*store.Recipient, 0, len(r.CC))
	for i := range r.CC {
		out = append(out, &r.CC[i])
	}
	return out
}

// caseMailData is what every case mail shows. Texts in the recipient's
// language are chosen by the templates from the keys given here.
func (s *Server) caseMailData(o store.ActOutcome) map[string]any {
	c := o.Case
	author := ""
	if o.Actor != nil {
		author = o.Actor.Name
	}
	link := s.cfg.BaseURL + casePath(c.Number)
	return map[string]any{
		"Number":     c.Number,
		"Subject":    c.Subject,
		"Link":       link,
		"SurveyLink": link + "#survey",
		"Author":     author,
		"Body":       strings.TrimSpace(o.Body),
		"Files":      o.Files,
		"StatusKey":  "substatus." + string(c.SubStatus),
		"ReopenDays": int(s.reopenWindow() / (24 * time.Hour)),
		"AutoClosed": o.Action == portal.ActAutoClose,
	}
}

// caseMails renders mail name for each recipient once (an address on the CC
// list that is also the opener gets one mail), in their language.
func (s *Server) caseMails(name string, data map[string]any, to ...*store.Recipient) ([]store.Mail, error) {
	var out []store.Mail
	seen := map[string]bool{}
	for _, r := range to {
		if r == nil || seen[strings.ToLower(r.Email)] {
			continue
		}
		seen[strings.ToLower(r.Email)] = true
		d := make(map[string]any, len(data)+3)
		for k, v := range data {
			d[k] = v
		}
		m, err := s.mail(recipient{Email: r.Email, Name: r.Name, Lang: mailLang(r.Lang)}, name, d)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func mailLang(lang string) string {
	if i18n.Supported(lang) {
		return lang
	}
	return i18n.Languages[0]
}

func mailTZ(tz string) string {
	if tz == "" {
		return "Asia/Tokyo"
	}
	return tz
}
