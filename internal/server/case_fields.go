package server

import (
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// caseFields saves the fields a customer (or an agent) changes in place:
// priority, the CC list and the business impact (Trend Micro: 深刻度, CC に
// 追加する E メール, 業務への影響).
func (s *Server) caseFields(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, caseActionFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	l := reqCtx(r).L
	form := Form{Values: caseFormValues(r, "priority", "cc", "business_impact")}
	priority, err := strconv.Atoi(strings.TrimSpace(form.Get("priority")))
	if err != nil || !portal.ValidPriority(priority) {
		form.Errors.Add("priority", "case_fields.priority_invalid")
	}
	cc, msg := s.parseCaseCC(l, form.Get("cc"))
	if msg != "" {
		form.Errors.Add("cc", msg)
	}
	impact := norm.Text(form.Get("business_impact"))
	if utf8.RuneCountInString(impact) > portal.MaxImpactLen {
		form.Errors.Add("business_impact", "case_fields.impact_too_long")
	}
	if len(form.Errors) > 0 {
		return s.renderCase(w, r, http.StatusUnprocessableEntity, c, map[string]Form{"fields": form}, "")
	}
	me, ip := reqCtx(r).User, reqCtx(r).IP
	_, changed, err := s.store.UpdateCaseFields(r.Context(), store.FieldsUpdate{Number: c.Number, Version: formVersion(r),
		Actor: me, Priority: priority, CC: cc, BusinessImpact: impact, IP: ip})
	if err != nil {
		return s.caseRefused(w, r, c.Number, "fields", form, err)
	}
	flash := "case_fields.saved_flash"
	if len(changed) == 0 {
		flash = "case_fields.unchanged_flash"
	}
	s.sessions.Put(r.Context(), "flash", flash)
	return seeOther(w, r, casePath(c.Number))
}

// parseCaseCC reads the CC list, one address per line (commas and
// semicolons also separate, as people paste lists from mail clients):
// normalized (full-width typing), duplicates dropped, at most portal.MaxCC,
// never the portal's own sending address. msg is the translated reason the
// list is refused, naming the lines at fault.
func (s *Server) parseCaseCC(l *i18n.Localizer, raw string) (cc []string, msg string) {
	own := ""
	if a, err := mail.ParseAddress(s.cfg.MailFrom); err == nil {
		own = strings.ToLower(a.Address)
	}
	var bad, portalOwn []string
	seen := map[string]bool{}
	for _, line := range strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }) {
		addr := norm.Email(line)
		switch {
		case addr == "":
			continue
		case !norm.ValidEmail(addr):
			bad = append(bad, strings.TrimSpace(line))
		case addr == own:
			portalOwn = append(portalOwn, addr)
		case !seen[addr]:
			seen[addr] = true
			cc = append(cc, addr)
		}
	}
	switch {
	case len(bad) > 0:
		return nil, l.T("case_fields.cc_invalid", "Lines", strings.Join(bad, ", "))
	case len(portalOwn) > 0:
		return nil, l.T("case_fields.cc_portal", "Address", portalOwn[0])
	case len(cc) > portal.MaxCC:
		return nil, l.T("case_fields.cc_too_many", "Max", portal.MaxCC)
	}
	return cc, ""
}
