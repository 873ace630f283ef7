package server

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// casePage is the case page (Thales 5.2, Trend Micro case history): the
// header, the timeline, the comment box, the attachments, the fields a
// customer edits in place, the actions the state machine allows this viewer
// and, once closed, the survey.
type casePage struct {
	Base
	Case        *portal.Case
	Staff       bool
	Back        string // the list this viewer came from
	Details     []caseDetail
	Response    *caseResponseView // staff only (sla_view.go)
	StatusKey   string
	StatusClass string
	PriorityKey string
	FollowsUp   string          // the case this one follows up on
	FollowUps   []string        // cases opened as follow-ups of this one
	Events      []template.HTML // timeline entries (caseEventView.html)
	Attachments []caseFileView
	Act         caseActions
	Priorities  []casePriorityOption
	Forms       map[string]Form // per form: comment fields reject reopen close status propose assign survey
	Alert       string          // message key of a conflict, shown at the top
	FilesAgain  bool            // files of a refused comment must be chosen again
	MaxFiles    int
	MaxSize     string
	Survey      *caseSurveyView
	SurveyOpen  bool // the viewer may answer the survey now
	Questions   []caseQuestion
}

type caseDetail struct {
	Label string // message key
	Value string
	ID    string
}

type caseEventView struct {
	ID       int64
	Class    string
	Internal bool
	Actor    string
	Staff    bool
	At       string
	ISO      string
	Ago      string
	Title    string // translated summary
	Status   string // translated status change, when it changed
	Lines    []string
	Link     string // follow-up case
	Number   string
	Files    []caseFileView
}

type caseFileView struct {
	ID       int64
	Name     string
	Size     string
	SHA256   string
	At       string
	By       string
	Link     string
	Internal bool
}

type casePriorityOption struct {
	Value    int
	Label    string // message key
	Impact   string // message key
	Selected bool
}

type caseOption struct {
	Value    string
	Label    string // translated
	Selected bool
}

// caseActions are the controls the state machine allows this viewer, drawn
// from portal.Allowed: the template never decides what is possible.
type caseActions struct {
	Comment      bool // public comment (customer comment, agent reply)
	Internal     bool // the comment box may be an internal note
	NoteOnly     bool // only internal notes (agent on a closed case)
	Accept       bool
	Reject       bool
	Close        bool
	CloseReasons []caseOption // agents close with a reason
	Reopen       bool         // within the reopen window
	FollowUp     string       // after it: the create form for a follow-up case
	SetStatus    []caseOption
	Escalate     bool
	Propose      bool
	AssignMe     bool         // staff: the case is not assigned to the viewer
	Assign       []caseOption // staff: the other agents
	Any          bool         // any state action at all
}

type caseSurveyView struct {
	Answers []caseSurveyAnswer
	Comment []string
	By      string
	At      string
}

type caseSurveyAnswer struct {
	Question string // message key
	Score    int
}

type caseQuestion struct {
	Name    string // form field
	Label   string // message key
	Options []caseOption
	Error   string
}

// surveyScale labels the answers 1 to 5.
var surveyScale = [5]string{"survey.scale_1", "survey.scale_2", "survey.scale_3", "survey.scale_4", "survey.scale_5"}

// surveyFields are the five questions' form fields, in order.
var surveyFields = [portal.SurveyQuestions]string{"response_time", "technical_quality", "communication", "resolution", "overall"}

// caseOf returns the case named in the URL if the viewer may see it; any
// other case, and a malformed number, is not found (never forbidden, which
// would confirm it exists).
func (s *Server) caseOf(r *http.Request) (*portal.Case, error) {
	c, err := s.store.CaseByNumber(r.Context(), chi.URLParam(r, "number"))
	if err != nil {
		return nil, err
	}
	if !portal.CanView(reqCtx(r).User, c) {
		return nil, notFound()
	}
	return c, nil
}

func casePath(number string) string { return "/cases/" + number }

// reopenWindow is how long after closing a customer may reopen a case
// (REOPEN_WINDOW), with the default when unset.
func (s *Server) reopenWindow() time.Duration {
	if s.cfg.ReopenWindow > 0 {
		return s.cfg.ReopenWindow
	}
	return portal.ReopenWindow
}

// caseShow shows a case to someone who may see it.
func (s *Server) caseShow(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caseOf(r)
	if err != nil {
		return err
	}
	return s.renderCase(w, r, http.StatusOK, c, nil, "")
}

// renderCase renders the case page with status. forms carries what was typed
// into the form that failed (and its messages); alert is a message key shown
// at the top (a stale form).
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, c *portal.Case, forms map[string]Form, alert string) error {
	ctx := r.Context()
	me := reqCtx(r).User
	staff := me.Role.Staff()
	base := s.base(r)
	l, tz, now := base.L, userTZ(me), s.now()

	events, err := s.store.CaseEvents(ctx, c.ID, staff)
	if err != nil {
		return err
	}
	files, err := s.caseFiles(ctx, c, staff, events, l, tz)
	if err != nil {
		return err
	}
	cat, prob, err := s.store.CaseClassification(ctx, c.CategoryID, c.ProblemID)
	if err != nil {
		return err
	}

	p := casePage{
		Base: base, Case: c, Staff: staff, Back: "/cases", Alert: alert,
		StatusKey: "substatus." + string(c.SubStatus), StatusClass: subStatusClass(c.SubStatus),
		PriorityKey: "priority." + strconv.Itoa(c.Priority),
		FollowsUp:   c.FollowUpNumber, MaxFiles: portal.MaxFilesPerUpdate, MaxSize: fileSize(s.maxFileSize()),
		Forms: map[string]Form{},
	}
	if staff {
		p.Back = "/agent/queue"
	}
	for k, f := range forms {
		p.Forms[k] = f
	}
	if f, ok := p.Forms["fields"]; !ok || f.Values == nil {
		p.Forms["fields"] = Form{Values: map[string]string{
			"priority": strconv.Itoa(c.Priority), "cc": strings.Join(c.CC, "\n"), "business_impact": c.BusinessImpact,
		}}
	}
	if _, ok := forms["comment"]; ok {
		// Files never survive a refused comment: say so.
		p.FilesAgain = true
	}
	prio, _ := strconv.Atoi(p.Forms["fields"].Get("priority"))
	for n := portal.PriorityCritical; n <= portal.PriorityLow; n++ {
		key := strconv.Itoa(n)
		p.Priorities = append(p.Priorities, casePriorityOption{Value: n, Label: "priority." + key,
			Impact: "priority." + key + "_impact", Selected: n == prio})
	}

	typeKey := "case_page.type_product"
	if c.HelpType == portal.HelpPortal {
		typeKey = "case_page.type_portal"
	}
	opened := l.DateTime(c.CreatedAt, tz)
	p.Details = []caseDetail{
		{"case_page.number", c.Number, "case-number"},
		{"case_page.created", opened, "case-created"},
		{"case_page.updated", l.DateTime(c.UpdatedAt, tz) + " (" + l.Ago(c.UpdatedAt, now) + ")", "case-updated"},
		{"case_page.type", l.T(typeKey), "case-type"},
		{"case_page.product", c.ProductName, "case-product"},
		{"case_page.version", c.ProductVersion, "case-version"},
		{"case_page.os", c.OS, "case-os"},
		{"case_page.category", cat.Name(l.Lang), "case-category"},
		{"case_page.problem", prob.Name(l.Lang), "case-problem"},
		{"case_page.opened_by", c.OpenedByName, "case-opened-by"},
		{"case_page.account", c.AccountName, "case-account"},
		{"case_page.assigned", c.AssignedName, "case-assigned"},
	}
	if c.ClosedAt != nil {
		p.Details = append(p.Details, caseDetail{"case_page.closed", l.DateTime(*c.ClosedAt, tz), "case-closed"})
	}
	// Response targets are the support team's internal commitment:
	// customers never see them.
	if staff {
		if p.Response, err = s.caseResponse(ctx, c, l, tz, now); err != nil {
			return err
		}
	}

	byEvent := map[int64][]caseFileView{}
	for _, f := range files {
		byEvent[f.eventID] = append(byEvent[f.eventID], f.caseFileView)
	}
	internalBadge, staffBadge := l.T("case_page.internal_badge"), l.T("case_page.staff_badge")
	for i, e := range events {
		v := s.caseEventView(l, e, c, tz, now)
		v.Files = byEvent[e.ID]
		// Anchors number the entries this viewer sees, so that a gap in
		// the database's ids never hints at an internal note.
		v.ID = int64(i + 1)
		if e.Kind == "follow_up" && v.Number != "" {
			p.FollowUps = append(p.FollowUps, v.Number)
		}
		p.Events = append(p.Events, v.html(internalBadge, staffBadge))
	}
	for _, f := range files {
		p.Attachments = append(p.Attachments, f.caseFileView)
	}

	if err := s.caseActionsFor(ctx, &p, me, c, now); err != nil {
		return err
	}
	if err := s.caseSurveyFor(ctx, &p, me, c, l, tz); err != nil {
		return err
	}
	return s.render(w, r, status, "case", p)
}

// subStatusClass is the badge style of a sub-status: waiting on the
// customer stands out, closed cases are muted.
func subStatusClass(sub portal.SubStatus) string {
	switch {
	case sub.Status() == portal.Closed:
		return "badge--muted"
	case sub.WaitingOnCustomer():
		return "badge--warn"
	}
	return "badge--ok"
}

// caseEventView turns a timeline entry into what the page shows, translated
// for the viewer.
func (s *Server) caseEventView(l *i18n.Localizer, e portal.CaseEvent, c *portal.Case, tz string, now time.Time) caseEventView {
	v := caseEventView{
		ID: e.ID, Actor: e.ActorName, Staff: e.ActorStaff, At: l.DateTime(e.At, tz), Ago: l.Ago(e.At, now),
		ISO: e.At.UTC().Format(time.RFC3339), Lines: caseLines(e.Body), Class: "event event--" + e.Kind,
	}
	if e.ActorID == 0 {
		v.Actor = l.T("case_event.system")
	}
	name := v.Actor
	switch e.Kind {
	case "created":
		v.Title = l.T("case_event.created", "Name", name)
		v.Lines = caseLines(c.Description)
	case "comment":
		v.Title = l.T("case_event.comment", "Name", name)
	case "internal_note":
		v.Title = l.T("case_event.internal_note", "Name", name)
		v.Class += " event--internal"
		v.Internal = true
	case "solution":
		v.Title = l.T("case_event.solution", "Name", name)
		v.Class += " event--highlight"
	case "reopened":
		v.Title = l.T("case_event.reopened", "Name", name)
	case "assigned":
		agent, _ := e.Detail["agent"].(string)
		// Detail comes back from JSON: numbers are float64.
		if id, _ := e.Detail["agent_id"].(float64); e.ActorID != 0 && int64(id) == e.ActorID {
			v.Title = l.T("case_event.assigned_self", "Name", name)
		} else {
			v.Title = l.T("case_event.assigned", "Name", name, "Agent", agent)
		}
	case "fields":
		v.Title = l.T("case_event.fields", "Name", name)
		v.Lines = caseFieldChanges(l, e.Detail)
	case "survey":
		v.Title = l.T("case_event.survey", "Name", name)
	case "follow_up":
		v.Number, _ = e.Detail["number"].(string)
		v.Link = casePath(v.Number)
		v.Title = l.T("case_event.follow_up", "Name", name, "Number", v.Number)
	default: // status changes
		switch e.Action {
		case portal.ActAcceptSolution:
			v.Title = l.T("case_event.accepted", "Name", name)
		case portal.ActRejectSolution:
			v.Title = l.T("case_event.rejected", "Name", name)
		case portal.ActClose:
			v.Title = l.T("case_event.closed", "Name", name)
		case portal.ActEscalate:
			v.Title = l.T("case_event.escalated", "Name", name)
		case portal.ActAutoClose:
			v.Title = l.T("case_event.auto_closed")
		default:
			v.Title = l.T("case_event.status", "Name", name)
		}
	}
	if e.From != "" && e.To != "" && e.From != e.To {
		v.Status = l.T("case_event.status_changed", "Status", l.T("substatus."+string(e.To)))
	}
	return v
}

// caseFieldChanges describes a "fields" entry: what was changed, and the
// priority's old and new values.
func caseFieldChanges(l *i18n.Localizer, d map[string]any) []string {
	var out []string
	fields, _ := d["fields"].([]any)
	for _, f := range fields {
		switch f {
		case "priority":
			from, _ := d["priority_from"].(float64)
			to, _ := d["priority_to"].(float64)
			out = append(out, l.T("case_event.priority_changed",
				"From", l.T("priority."+strconv.Itoa(int(from))), "To", l.T("priority."+strconv.Itoa(int(to)))))
		case "cc":
			out = append(out, l.T("case_event.cc_changed"))
		case "business_impact":
			out = append(out, l.T("case_event.impact_changed"))
		}
	}
	return out
}

// caseLines splits a text into lines for the page, which shows them with
// line breaks (and escapes each one).
func caseLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// caseFile is an attachment row with the timeline entry it came with.
type caseFile struct {
	caseFileView
	eventID int64
}

// caseFiles lists the case's attachments the viewer may see: files of an
// internal note are shown to staff only (and, to be sure, a file is shown
// only with an entry of the timeline the viewer sees).
func (s *Server) caseFiles(ctx context.Context, c *portal.Case, staff bool, events []portal.CaseEvent, l *i18n.Localizer, tz string) ([]caseFile, error) {
	all, err := s.store.CaseAttachments(ctx, c.ID, staff)
	if err != nil {
		return nil, err
	}
	visible := make(map[int64]bool, len(events))
	internal := map[int64]bool{}
	for _, e := range events {
		visible[e.ID] = true
		internal[e.ID] = e.Internal
	}
	out := make([]caseFile, 0, len(all))
	for _, a := range all {
		if a.EventID != 0 && !visible[a.EventID] {
			continue
		}
		out = append(out, caseFile{eventID: a.EventID, caseFileView: caseFileView{
			ID: a.ID, Name: a.Name, Size: fileSize(a.Size), SHA256: a.SHA256, At: l.DateTime(a.UploadedAt, tz),
			By: a.UploaderName, Link: casePath(c.Number) + "/attachments/" + strconv.FormatInt(a.ID, 10),
			Internal: internal[a.EventID],
		}})
	}
	return out, nil
}

// caseActionsFor fills the controls from what the state machine allows this
// viewer on this case.
func (s *Server) caseActionsFor(ctx context.Context, p *casePage, me *portal.User, c *portal.Case, now time.Time) error {
	l := p.L
	actor := portal.ActorOf(me)
	a := &p.Act
	for _, act := range portal.Allowed(c.SubStatus, actor) {
		switch act {
		case portal.ActComment:
			a.Comment = true
		case portal.ActInternalNote:
			a.Internal = true
		case portal.ActAcceptSolution:
			a.Accept = true
		case portal.ActRejectSolution:
			a.Reject = true
		case portal.ActClose:
			a.Close = true
			if actor == portal.ActorAgent {
				chosen := p.Forms["close"].Get("sub_status")
				for _, sub := range portal.AgentCloseReasons {
					a.CloseReasons = append(a.CloseReasons, caseOption{Value: string(sub),
						Label: l.T("substatus." + string(sub)), Selected: chosen == string(sub)})
				}
			}
		case portal.ActReopen:
			if c.CanReopen(now, s.reopenWindow()) {
				a.Reopen = true
			} else {
				a.FollowUp = "/cases/new?follow_up=" + c.Number
			}
		case portal.ActSetStatus:
			chosen := p.Forms["status"].Get("sub_status")
			for _, sub := range portal.AgentSettable {
				if sub == c.SubStatus {
					continue
				}
				a.SetStatus = append(a.SetStatus, caseOption{Value: string(sub),
					Label: l.T("substatus." + string(sub)), Selected: chosen == string(sub)})
			}
		case portal.ActEscalate:
			a.Escalate = true
		case portal.ActProposeSolution:
			a.Propose = true
		}
	}
	a.NoteOnly = a.Internal && !a.Comment
	a.Any = a.Accept || a.Reject || a.Close || a.Reopen || a.FollowUp != "" || len(a.SetStatus) > 0 || a.Escalate || a.Propose
	if actor == portal.ActorAgent {
		// Assigning is staff's bookkeeping, not a state of the case: any
		// agent may assign any case, open or closed.
		a.AssignMe = c.AssignedTo != me.ID
		agents, err := s.store.AssignableAgents(ctx)
		if err != nil {
			return err
		}
		chosen := p.Forms["assign"].Get("agent")
		for _, g := range agents {
			if g.ID == c.AssignedTo || g.ID == me.ID {
				continue
			}
			id := strconv.FormatInt(g.ID, 10)
			a.Assign = append(a.Assign, caseOption{Value: id, Label: g.Name, Selected: id == chosen})
		}
	}
	return nil
}

// caseSurveyFor fills the survey: the form for a customer of a closed case
// not yet surveyed, a thank-you once answered, and the results for staff.
func (s *Server) caseSurveyFor(ctx context.Context, p *casePage, me *portal.User, c *portal.Case, l *i18n.Localizer, tz string) error {
	if c.Status != portal.Closed {
		return nil
	}
	sv, err := s.store.CaseSurvey(ctx, c.ID)
	switch {
	case portal.ErrorCode(err) == portal.ENOTFOUND:
		sv = nil
	case err != nil:
		return err
	}
	if sv == nil {
		if !p.Staff {
			p.SurveyOpen = true
			form := p.Forms["survey"]
			for i, f := range surveyFields {
				q := caseQuestion{Name: f, Label: "survey.q" + strconv.Itoa(i+1), Error: form.Errors[f]}
				for n := 1; n <= 5; n++ {
					v := strconv.Itoa(n)
					q.Options = append(q.Options, caseOption{Value: v, Label: l.T(surveyScale[n-1]), Selected: form.Get(f) == v})
				}
				p.Questions = append(p.Questions, q)
			}
		}
		return nil
	}
	v := &caseSurveyView{Comment: caseLines(sv.Comment), By: sv.SubmitterName, At: l.DateTime(sv.SubmittedAt, tz)}
	for i, score := range sv.Answers {
		v.Answers = append(v.Answers, caseSurveyAnswer{Question: "survey.q" + strconv.Itoa(i+1), Score: score})
	}
	p.Survey = v
	return nil
}

// caseFormValues copies the named fields of a posted form.
func caseFormValues(r *http.Request, fields ...string) map[string]string {
	v := make(map[string]string, len(fields))
	for _, f := range fields {
		v[f] = r.PostFormValue(f)
	}
	return v
}

// formVersion is the case version a form was built on; 0 (missing) skips
// the check, for tools that post only the documented fields.
func formVersion(r *http.Request) int {
	v, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("version")))
	if err != nil || v < 0 {
		return 0
	}
	return v
}
