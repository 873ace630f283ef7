package server

import (
	"net/http"
	"strconv"
	"strings"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// caseActionFormMax bounds an action's urlencoded form: a comment of
// portal.MaxCommentLen characters, percent-encoded, and a little more.
const caseActionFormMax = 512 << 10

// caseActionSpec describes one state action posted from the case page.
type caseActionSpec struct {
	form   string   // which form on the page it comes from, for messages
	fields []string // the posted fields kept when the page is shown again
	flash  string
	// build turns the posted form into the action; c is the case as loaded.
	build func(r *http.Request, c *portal.Case, me *portal.User) store.ActRequest
}

// postedText is a posted free-text field, normalized.
func postedText(r *http.Request, field string) string { return norm.Text(r.PostFormValue(field)) }

var (
	caseAccept = caseActionSpec{form: "accept", flash: "case_act.accepted_flash",
		build: func(r *http.Request, c *portal.Case, me *portal.User) store.ActRequest {
			return store.ActRequest{Action: portal.ActAcceptSolution, Body: postedText(r, "comment")}
		}}
	caseReject = caseActionSpec{form: "reject", fields: []string{"comment"}, flash: "case_act.rejected_flash",
		build: func(r *http.Request, c *portal.Case, me *portal.User) store.ActRequest {
			return store.ActRequest{Action: portal.ActRejectSolution, Body: postedText(r, "comment")}
		}}
	caseClose = caseActionSpec{form: "close", fields: []string{"comment", "sub_status"}, flash: "case_act.closed_flash",
		build: func(r *http.Request, c *portal.Case, me *portal.User) store.ActRequest {
			// Agents close with a reason; a customer's close has none.
			req := store.ActRequest{Action: portal.ActClose, Body: postedText(r, "comment")}
			if portal.ActorOf(me) == portal.ActorAgent {
				req.Target = portal.SubStatus(strings.TrimSpace(r.PostFormValue("sub_status")))
			}
			return req
		}}
	caseReopen = caseActionSpec{form: "reopen", fields: []string{"comment"}, flash: "case_act.reopened_flash",
		build: func(r *http.Request, c *portal.Case, me *portal.User) store.ActRequest {
			return store.ActRequest{Action: portal.ActReopen, Body: postedText(r, "comment")}
		}}
	caseStatus = caseActionSpec{form: "status", fields: []string{"comment", "sub_status"}, flash: "case_act.status_flash",
		build: func(r *http.Request, c *portal.Case, me *portal.User) store.ActRequest {
			target := portal.SubStatus(strings.TrimSpace(r.PostFormValue("sub_status")))
			req := store.ActRequest{Action: portal.ActSetStatus, Target: target, Body: postedText(r, "comment")}
			// Choosing "escalated" is escalating, when the case is not yet.
			if target == portal.SubEscalated && c.SubStatus != portal.SubEscalated {
				req.Action, req.Target = portal.ActEscalate, ""
			}
			return req
		}}
	casePropose = caseActionSpec{form: "propose", fields: []string{"body"}, flash: "case_act.proposed_flash",
		build: func(r *http.Request, c *portal.Case, me *portal.User) store.ActRequest {
			return store.ActRequest{Action: portal.ActProposeSolution, Body: postedText(r, "body")}
		}}
)

// caseAct handles one state action posted from the case page: the state
// machine decides whether it is possible (403 when not, 404 for a case the
// viewer may not see), a missing reason comes back as 422 with the page,
// a stale form as 409, and success goes back to the case with a flash.
func (s *Server) caseAct(spec caseActionSpec) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.caseOf(r)
		if err != nil {
			return err
		}
		r.Body = http.MaxBytesReader(w, r.Body, caseActionFormMax)
		if err := r.ParseForm(); err != nil {
			return portal.Errorf(portal.EINVALID, "error.bad_request")
		}
		me, ip := reqCtx(r).User, reqCtx(r).IP
		req := spec.build(r, c, me)
		req.Number, req.Version, req.Actor, req.IP = c.Number, formVersion(r), me, ip
		req.ReopenWindow = s.reopenWindow()
		req.Mail = s.caseNotices
		form := Form{Values: caseFormValues(r, spec.fields...)}
		if _, err := s.store.Act(r.Context(), req); err != nil {
			return s.caseRefused(w, r, c.Number, spec.form, form, err)
		}
		s.sessions.Put(r.Context(), "flash", spec.flash)
		return seeOther(w, r, casePath(c.Number))
	}
}

// caseRefused answers a change the store refused: a stale form shows the
// case as it is now with the typed input kept (409); invalid input shows the
// page with the message beside the field of the form it came from (422);
// anything else (403, 404, 500) is the error page.
func (s *Server) caseRefused(w http.ResponseWriter, r *http.Request, number, formName string, form Form, err error) error {
	status := http.StatusUnprocessableEntity
	alert := ""
	switch portal.ErrorCode(err) {
	case portal.ECONFLICT:
		status, alert = http.StatusConflict, portal.ErrorMessage(err)
		form.Errors = nil
	case portal.EINVALID:
		if !mergeFieldErrors(reqCtx(r).L, &form.Errors, err) {
			// A refusal not about one field goes beside the form's main
			// field: the machine's refusal of a bad target beside the choice
			// of status or reason, a malformed upload beside the text.
			field := "sub_status"
			if formName == "comment" {
				field = "body"
			}
			form.Errors.Add(field, errorText(reqCtx(r).L, err))
		}
	default:
		return err
	}
	c, lerr := s.store.CaseByNumber(r.Context(), number)
	if lerr != nil {
		return lerr
	}
	if !portal.CanView(reqCtx(r).User, c) {
		return notFound()
	}
	if form.Values == nil {
		form.Values = map[string]string{}
	}
	return s.renderCase(w, r, status, c, map[string]Form{formName: form}, alert)
}

// caseAssign assigns the case to an agent (`agent` = "me" or an agent's
// id). Staff only: a customer who may see the case gets 403.
func (s *Server) caseAssign(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	me, ip := reqCtx(r).User, reqCtx(r).IP
	if !me.Role.Staff() {
		return forbidden()
	}
	r.Body = http.MaxBytesReader(w, r.Body, caseActionFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	form := Form{Values: caseFormValues(r, "agent")}
	agentID := me.ID
	if v := strings.TrimSpace(r.PostFormValue("agent")); v != "me" {
		if agentID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return s.caseRefused(w, r, c.Number, "assign", form, portal.FieldError("agent", "case_act.agent_invalid"))
		}
	}
	_, err = s.store.AssignCase(r.Context(), store.AssignRequest{Number: c.Number, Version: formVersion(r), Actor: me,
		AgentID: agentID, IP: ip})
	if err != nil {
		return s.caseRefused(w, r, c.Number, "assign", form, err)
	}
	s.sessions.Put(r.Context(), "flash", "case_act.assigned_flash")
	return seeOther(w, r, casePath(c.Number))
}
