package server

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
)

// maxSurveyComment bounds the survey's free text.
const maxSurveyComment = 4000

// caseSurvey records the satisfaction survey of a closed case (Thales 5.3):
// five answers from 1 to 5 and a free text, once per case, by a customer
// who may see the case. Staff read the answers on the case page.
func (s *Server) caseSurvey(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	me := reqCtx(r).User
	if me.Role.Staff() {
		return forbidden()
	}
	r.Body = http.MaxBytesReader(w, r.Body, caseActionFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	form := Form{Values: caseFormValues(r, append(surveyFields[:], "comment")...)}
	var answers [portal.SurveyQuestions]int
	for i, f := range surveyFields {
		n, err := strconv.Atoi(strings.TrimSpace(form.Get(f)))
		if err != nil || n < 1 || n > 5 {
			form.Errors.Add(f, "survey.answer_required")
			continue
		}
		answers[i] = n
	}
	comment := norm.Text(form.Get("comment"))
	if utf8.RuneCountInString(comment) > maxSurveyComment {
		form.Errors.Add("comment", "survey.comment_too_long")
	}
	if len(form.Errors) > 0 {
		return s.renderCase(w, r, http.StatusUnprocessableEntity, c, map[string]Form{"survey": form}, "")
	}
	if err := s.store.SubmitSurvey(r.Context(), c.ID, me.ID, answers, comment); err != nil {
		return s.caseRefused(w, r, c.Number, "survey", form, err)
	}
	s.sessions.Put(r.Context(), "flash", "survey.thanks_flash")
	return seeOther(w, r, casePath(c.Number)+"#survey")
}
