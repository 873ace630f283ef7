package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"madoguchi/internal/portal"
)

// This file holds what happens on a case after it is filed: its timeline,
// the state machine's transitions, the editable fields, the assignee, the
// satisfaction survey, who is told, and the auto-close clock.

// The actor is looked up per entry (a subquery, not a join): with a join the
// planner, misjudging how many entries a case has, hashes the whole users
// table, which costs 3 ms at a million cases where the lookups cost 0.1 ms.
const caseEventColumns = `e.id, e.case_id, e.at, coalesce(e.actor_id, 0),
	coalesce((SELECT u.name FROM users u WHERE u.id = e.actor_id), ''),
	coalesce((SELECT u.role IN ('agent', 'admin') FROM users u WHERE u.id = e.actor_id), false),
	e.kind, e.action, e.body, e.internal, e.from_status, e.to_status, e.detail, coalesce(f.number, '')`

// The follow-up join resolves the case a "follow_up" event points at, so
// the timeline links to it by number.
const caseEventFrom = ` FROM case_events e
	LEFT JOIN cases f ON e.kind = 'follow_up' AND f.id = (e.detail->>'case_id')::bigint`

// CaseEvents returns the timeline of a case, oldest first, with each
// actor's name and whether they are staff. Internal notes are included only
// when includeInternal is set: customers never get them.
func (s *Store) CaseEvents(ctx context.Context, caseID int64, includeInternal bool) ([]portal.CaseEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+caseEventColumns+caseEventFrom+`
		WHERE e.case_id = $1 AND ($2 OR NOT e.internal) ORDER BY e.id`, caseID, includeInternal)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("case %d events", caseID))
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (portal.CaseEvent, error) {
		var e portal.CaseEvent
		var followUp string
		err := r.Scan(&e.ID, &e.CaseID, &e.At, &e.ActorID, &e.ActorName, &e.ActorStaff, &e.Kind, &e.Action,
			&e.Body, &e.Internal, &e.From, &e.To, &e.Detail, &followUp)
		if followUp != "" {
			if e.Detail == nil {
				e.Detail = map[string]any{}
			}
			e.Detail["number"] = followUp
		}
		return e, err
	})
	return events, mapErr(err, fmt.Sprintf("case %d events", caseID))
}

// Recipient is someone a case notification may go to, in their language.
type Recipient struct {
	UserID int64 // 0 for a CC address that has no account
	Email  string
	Name   string
	Lang   string
	TZ     string // time zone for dates in the mail
}

// CaseRecipients are the people who may be told about a case, as they are
// now: disabled users are left out, so they get nothing.
type CaseRecipients struct {
	Opener *Recipient  // nil when the opener is disabled
	CC     []Recipient // the CC list, matched to users where they exist
	Agent  *Recipient  // the assigned agent; nil if none or disabled
}

// Except returns the recipients without u (by account or by address): the
// author of a comment is never told about it.
func (r CaseRecipients) Except(u *portal.User) CaseRecipients {
	if u == nil {
		return r
	}
	is := func(x Recipient) bool {
		return (x.UserID != 0 && x.UserID == u.ID) || strings.EqualFold(x.Email, u.Email)
	}
	out := CaseRecipients{Opener: r.Opener, Agent: r.Agent}
	if out.Opener != nil && is(*out.Opener) {
		out.Opener = nil
	}
	if out.Agent != nil && is(*out.Agent) {
		out.Agent = nil
	}
	for _, x := range r.CC {
		if !is(x) {
			out.CC = append(out.CC, x)
		}
	}
	return out
}

// NotificationRecipients returns who may be told about c: its opener, its
// CC addresses (matched to users where an account exists, for their name and
// language; otherwise plain addresses in the opener's language and time
// zone) and its assigned agent. Disabled users are left out.
func (s *Store) NotificationRecipients(ctx context.Context, c *portal.Case) (CaseRecipients, error) {
	r, err := caseRecipients(ctx, s.pool, c)
	return r, mapErr(err, "recipients of case "+c.Number)
}

func caseRecipients(ctx context.Context, db dbtx, c *portal.Case) (CaseRecipients, error) {
	ids := []int64{c.OpenedBy}
	if c.AssignedTo != 0 {
		ids = append(ids, c.AssignedTo)
	}
	cc := make([]string, 0, len(c.CC))
	for _, a := range c.CC {
		cc = append(cc, strings.ToLower(a))
	}
	rows, err := db.Query(ctx, `SELECT id, lower(email), name, language, time_zone, status FROM users
		WHERE id = ANY($1) OR lower(email) = ANY($2)`, ids, cc)
	if err != nil {
		return CaseRecipients{}, err
	}
	type found struct {
		Recipient
		status portal.UserStatus
	}
	byID, byEmail := map[int64]found{}, map[string]found{}
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.UserID, &f.Email, &f.Name, &f.Lang, &f.TZ, &f.status); err != nil {
			rows.Close()
			return CaseRecipients{}, err
		}
		byID[f.UserID], byEmail[f.Email] = f, f
	}
	if err := rows.Err(); err != nil {
		return CaseRecipients{}, err
	}
	var out CaseRecipients
	openerLang, openerTZ := "ja", "Asia/Tokyo"
	if o, ok := byID[c.OpenedBy]; ok {
		openerLang, openerTZ = o.Lang, o.TZ
		if o.status != portal.StatusDisabled {
			out.Opener = &o.Recipient
		}
	}
	if a, ok := byID[c.AssignedTo]; ok && c.AssignedTo != 0 && a.status != portal.StatusDisabled {
		out.Agent = &a.Recipient
	}
	seen := map[string]bool{}
	for _, addr := range cc {
		if seen[addr] {
			continue
		}
		seen[addr] = true
		if u, ok := byEmail[addr]; ok {
			if u.status != portal.StatusDisabled {
				out.CC = append(out.CC, u.Recipient)
			}
			continue
		}
		out.CC = append(out.CC, Recipient{Email: addr, Lang: openerLang, TZ: openerTZ})
	}
	return out, nil
}

// ActRequest asks for one action of the state machine on a case.
type ActRequest struct {
	Number string
	// Version is the case version the form was built on; 0 skips the check
	// (jobs, and tools that post only the documented fields).
	Version int
	// Actor is who acts; nil for the system (auto-close).
	Actor  *portal.User
	Action portal.Action
	// Target is the sub-status for ActSetStatus and the reason of an agent's
	// ActClose.
	Target portal.SubStatus
	Body   string
	Files  []NewAttachment
	// ReopenWindow is how long after closing the case may be reopened;
	// 0 means portal.ReopenWindow.
	ReopenWindow time.Duration
	// IdleBefore, for ActAutoClose, requires the case to have waited on the
	// customer since at least this moment, checked on the locked row: a
	// customer who answered a moment ago keeps their case open.
	IdleBefore time.Time
	IP         string
	// Mail builds the notifications once the outcome is known; they are
	// written to the outbox in the same transaction. May be nil.
	Mail func(o ActOutcome) ([]Mail, error)
}

// ActOutcome is what an action did, for building its notifications.
type ActOutcome struct {
	Case       *portal.Case // as it is after the action
	From       portal.SubStatus
	Action     portal.Action
	Actor      *portal.User // nil for the system
	Body       string
	Files      int
	Recipients CaseRecipients // as they are at this moment
}

// eventKind is how an action appears on the timeline.
func eventKind(a portal.Action) string {
	switch a {
	case portal.ActComment:
		return "comment"
	case portal.ActInternalNote:
		return "internal_note"
	case portal.ActProposeSolution:
		return "solution"
	case portal.ActReopen:
		return "reopened"
	}
	return "status"
}

// Act applies one action to a case in one transaction: it locks the case and
// checks the form's version, asks the state machine (portal.Next) where the
// action leads, updates the case, adds the timeline entry with its files,
// records state changes in the audit log and writes the notifications that
// req.Mail builds from the outcome. An internal note changes nothing on the
// case row, so customers see no trace of it.
//
// Returns ENOTFOUND if there is no such case or the actor may not see it,
// ECONFLICT ("case.changed") for a stale version, EFORBIDDEN when the rules
// refuse the action (also a reopen after the window: "case_act.reopen_expired"),
// and EINVALID for a missing comment or a bad target.
func (s *Store) Act(ctx context.Context, req ActRequest) (*portal.Case, error) {
	var out *portal.Case
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := lockCase(ctx, tx, req.Number, req.Version)
		if err != nil {
			return err
		}
		actor, actorID := portal.ActorSystem, int64(0)
		if req.Actor != nil {
			if !portal.CanView(req.Actor, c) {
				return portal.Errorf(portal.ENOTFOUND, "error.not_found")
			}
			actor, actorID = portal.ActorOf(req.Actor), req.Actor.ID
		}
		from := c.SubStatus
		to, err := portal.Next(portal.Transition{From: from, Action: req.Action, Actor: actor, Target: req.Target})
		if err != nil {
			return err
		}
		if err := checkActBody(req); err != nil {
			return err
		}
		now := s.now()
		switch req.Action {
		case portal.ActReopen:
			window := req.ReopenWindow
			if window <= 0 {
				window = portal.ReopenWindow
			}
			if !c.CanReopen(now, window) {
				return portal.Errorf(portal.EFORBIDDEN, "case_act.reopen_expired")
			}
		case portal.ActAutoClose:
			if c.WaitingSince == nil || (!req.IdleBefore.IsZero() && c.WaitingSince.After(req.IdleBefore)) {
				return portal.Errorf(portal.EFORBIDDEN, "case.action_not_allowed")
			}
		}
		if req.Action != portal.ActInternalNote {
			if err := updateCaseState(ctx, tx, c, req.Action, to, now); err != nil {
				return err
			}
		}
		if err := s.applySLA(ctx, tx, c.ID, portal.SLAEventOf(actor, req.Action, from, to,
			strings.TrimSpace(req.Body) != "" || len(req.Files) > 0), c.Priority, 0, now); err != nil {
			return err
		}
		eventID, err := insertEvent(ctx, tx, c.ID, now, NewEvent{
			ActorID: actorID, Kind: eventKind(req.Action), Action: req.Action, Body: req.Body,
			Internal: req.Action == portal.ActInternalNote, From: from, To: to,
		})
		if err != nil {
			return err
		}
		if err := insertAttachments(ctx, tx, c.ID, eventID, actorID, req.Files); err != nil {
			return err
		}
		if from != to {
			if err := insertAudit(ctx, tx, Audit{ActorID: actorID, AccountID: c.AccountID, Action: "case." + string(req.Action),
				IP: req.IP, Detail: map[string]any{"case": c.Number, "from": from, "to": to}}); err != nil {
				return err
			}
		}
		if out, err = caseByID(ctx, tx, c.ID); err != nil {
			return err
		}
		if req.Mail == nil {
			return nil
		}
		rcpt, err := caseRecipients(ctx, tx, out)
		if err != nil {
			return err
		}
		mails, err := req.Mail(ActOutcome{Case: out, From: from, Action: req.Action, Actor: req.Actor,
			Body: req.Body, Files: len(req.Files), Recipients: rcpt})
		if err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mails...)
	})
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("case %s: %s", req.Number, req.Action))
	}
	return out, nil
}

// checkActBody refuses an action without the text it needs: a comment or
// note needs a body or files, a proposed solution its text, and rejecting a
// solution or reopening a case a reason.
func checkActBody(req ActRequest) error {
	empty := strings.TrimSpace(req.Body) == ""
	field := "comment"
	switch req.Action {
	case portal.ActComment, portal.ActInternalNote, portal.ActProposeSolution:
		field = "body"
	}
	switch req.Action {
	case portal.ActComment, portal.ActInternalNote:
		if empty && len(req.Files) == 0 {
			return portal.FieldError("body", "case_act.body_required")
		}
	case portal.ActProposeSolution:
		if empty {
			return portal.FieldError("body", "case_act.solution_required")
		}
	case portal.ActRejectSolution, portal.ActReopen:
		if empty {
			return portal.FieldError("comment", "case_act.reason_required")
		}
	}
	if utf8.RuneCountInString(req.Body) > portal.MaxCommentLen {
		return portal.FieldError(field, "case_act.too_long")
	}
	if len(req.Files) > portal.MaxFilesPerUpdate {
		return portal.FieldError("attachments", "case_act.too_many_files")
	}
	return nil
}

// updateCaseState writes a transition to the case row: the new sub-status
// and status, a new version, closed_at when closing (cleared on reopening),
// and the auto-close clock. The clock starts when the case starts waiting on
// the customer and restarts when an agent asks again (a new solution or
// setting the status once more); a reply that keeps the case waiting leaves
// it. The reminder may be sent again only for a new clock.
func updateCaseState(ctx context.Context, tx pgx.Tx, c *portal.Case, a portal.Action, to portal.SubStatus, now time.Time) error {
	from := c.SubStatus
	closedAt := c.ClosedAt
	switch {
	case from.Status() == portal.Open && to.Status() == portal.Closed:
		closedAt = &now
	case to.Status() == portal.Open:
		closedAt = nil
	}
	waiting := c.WaitingSince
	switch {
	case !to.WaitingOnCustomer():
		waiting = nil
	case !from.WaitingOnCustomer() || from != to || a == portal.ActProposeSolution || a == portal.ActSetStatus:
		waiting = &now
	}
	newClock := !sameTime(waiting, c.WaitingSince)
	_, err := tx.Exec(ctx, `UPDATE cases SET sub_status = $2, status = $3, version = version + 1, updated_at = $4,
			closed_at = $5, waiting_since = $6,
			reminder_sent_at = CASE WHEN $7 THEN NULL ELSE reminder_sent_at END
		WHERE id = $1`, c.ID, to, to.Status(), now, closedAt, waiting, newClock)
	return err
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func caseByID(ctx context.Context, db dbtx, id int64) (*portal.Case, error) {
	return scanCase(db.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.id = $1`, id))
}

// FieldsUpdate is a change of the fields a customer may edit in place.
type FieldsUpdate struct {
	Number         string
	Version        int // 0 skips the check
	Actor          *portal.User
	Priority       int
	CC             []string // normalized, validated addresses
	BusinessImpact string
	IP             string
}

// UpdateCaseFields saves priority, CC list and business impact, adding a
// "fields" entry to the timeline that names what changed (nothing is
// written when nothing changed). It returns the case and the names of the
// changed fields.
//
// Returns ENOTFOUND if there is no such case or the actor may not see it,
// ECONFLICT ("case.changed") for a stale version, ECONFLICT
// ("case_fields.closed") for a closed case and EINVALID for a priority
// outside 1–4 or too many CC addresses.
func (s *Store) UpdateCaseFields(ctx context.Context, u FieldsUpdate) (*portal.Case, []string, error) {
	switch {
	case !portal.ValidPriority(u.Priority):
		return nil, nil, portal.FieldError("priority", "case_fields.priority_invalid")
	case len(u.CC) > portal.MaxCC:
		return nil, nil, &portal.Error{Code: portal.EINVALID, Field: "cc", Message: "case_fields.cc_too_many",
			Data: map[string]any{"Max": portal.MaxCC}}
	}
	cc := make([]string, 0, len(u.CC))
	for _, a := range u.CC {
		cc = append(cc, strings.ToLower(a))
	}
	var out *portal.Case
	var changed []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := lockCase(ctx, tx, u.Number, u.Version)
		if err != nil {
			return err
		}
		if u.Actor == nil || !portal.CanView(u.Actor, c) {
			return portal.Errorf(portal.ENOTFOUND, "error.not_found")
		}
		// A closed case is a record: it changes again only by reopening.
		if c.Status == portal.Closed {
			return portal.Errorf(portal.ECONFLICT, "case_fields.closed")
		}
		detail := map[string]any{}
		if c.Priority != u.Priority {
			changed = append(changed, "priority")
			detail["priority_from"], detail["priority_to"] = c.Priority, u.Priority
		}
		if !slices.Equal(c.CC, cc) {
			changed = append(changed, "cc")
			detail["cc"] = cc
		}
		if c.BusinessImpact != u.BusinessImpact {
			changed = append(changed, "business_impact")
		}
		if len(changed) == 0 {
			out = c
			return nil
		}
		detail["fields"] = changed
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE cases SET priority = $2, cc = $3, business_impact = $4,
				version = version + 1, updated_at = $5 WHERE id = $1`,
			c.ID, u.Priority, cc, u.BusinessImpact, now); err != nil {
			return err
		}
		if c.Priority != u.Priority {
			if err := s.applySLA(ctx, tx, c.ID, portal.SLAPriorityChanged, u.Priority, c.Priority, now); err != nil {
				return err
			}
		}
		if _, err := insertEvent(ctx, tx, c.ID, now, NewEvent{ActorID: u.Actor.ID, Kind: "fields", Detail: detail}); err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, Audit{ActorID: u.Actor.ID, AccountID: c.AccountID, Action: "case.fields",
			IP: u.IP, Detail: map[string]any{"case": c.Number, "fields": changed}}); err != nil {
			return err
		}
		out, err = caseByID(ctx, tx, c.ID)
		return err
	})
	if err != nil {
		return nil, nil, mapErr(err, "update fields of case "+u.Number)
	}
	return out, changed, nil
}

// AssignableAgents lists the active staff a case may be assigned to, by name.
func (s *Store) AssignableAgents(ctx context.Context) ([]*portal.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+userFrom+`
		WHERE u.role IN ('agent', 'admin') AND u.status = 'active' ORDER BY u.name, u.id`)
	if err != nil {
		return nil, mapErr(err, "assignable agents")
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*portal.User, error) { return scanUser(r) })
	return users, mapErr(err, "assignable agents")
}

// AssignRequest asks to assign a case to an agent.
type AssignRequest struct {
	Number  string
	Version int // 0 skips the check
	Actor   *portal.User
	AgentID int64
	IP      string
	// OpenOnly refuses a closed case (ECONFLICT): assignment from the queue,
	// where a case may have closed since the list was drawn.
	OpenOnly bool
}

// AssignCase makes an agent the case's assignee, with an "assigned" entry on
// the timeline; assigning the current assignee changes nothing.
//
// Returns ENOTFOUND if there is no such case, EFORBIDDEN unless the actor is
// staff, EINVALID ("case_act.agent_invalid") unless the assignee is active staff
// and ECONFLICT ("case.changed") for a stale version.
func (s *Store) AssignCase(ctx context.Context, a AssignRequest) (*portal.Case, error) {
	if a.Actor == nil || portal.ActorOf(a.Actor) != portal.ActorAgent {
		return nil, portal.Errorf(portal.EFORBIDDEN, "error.forbidden")
	}
	var out *portal.Case
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := lockCase(ctx, tx, a.Number, a.Version)
		if err != nil {
			return err
		}
		if a.OpenOnly && c.Status != portal.Open {
			return portal.Errorf(portal.ECONFLICT, "queue.case_closed")
		}
		var name string
		err = tx.QueryRow(ctx, `SELECT name FROM users WHERE id = $1 AND role IN ('agent', 'admin') AND status = 'active'`,
			a.AgentID).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return portal.FieldError("agent", "case_act.agent_invalid")
		}
		if err != nil {
			return err
		}
		if c.AssignedTo == a.AgentID {
			out = c
			return nil
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE cases SET assigned_to = $2, version = version + 1, updated_at = $3 WHERE id = $1`,
			c.ID, a.AgentID, now); err != nil {
			return err
		}
		if _, err := insertEvent(ctx, tx, c.ID, now, NewEvent{ActorID: a.Actor.ID, Kind: "assigned",
			Detail: map[string]any{"agent_id": a.AgentID, "agent": name}}); err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, Audit{ActorID: a.Actor.ID, AccountID: c.AccountID, TargetUserID: a.AgentID,
			Action: "case.assign", IP: a.IP, Detail: map[string]any{"case": c.Number}}); err != nil {
			return err
		}
		out, err = caseByID(ctx, tx, c.ID)
		return err
	})
	if err != nil {
		return nil, mapErr(err, "assign case "+a.Number)
	}
	return out, nil
}

// CaseClassification returns the category and problem a case was filed
// under (zero values for ids of 0), for showing them in the reader's language.
func (s *Store) CaseClassification(ctx context.Context, categoryID, problemID int64) (portal.Category, portal.Problem, error) {
	var cat portal.Category
	var prob portal.Problem
	err := s.pool.QueryRow(ctx, `SELECT coalesce(c.id, 0), coalesce(c.name_en, ''), coalesce(c.name_ja, ''),
			coalesce(p.id, 0), coalesce(p.category_id, 0), coalesce(p.name_en, ''), coalesce(p.name_ja, '')
		FROM (SELECT 1) one
		LEFT JOIN categories c ON c.id = $1
		LEFT JOIN problems p ON p.id = $2`, categoryID, problemID).
		Scan(&cat.ID, &cat.NameEN, &cat.NameJA, &prob.ID, &prob.CategoryID, &prob.NameEN, &prob.NameJA)
	return cat, prob, mapErr(err, "case classification")
}

// Survey is a case's satisfaction survey as answered.
type Survey struct {
	CaseID        int64
	Answers       [portal.SurveyQuestions]int // 1–5 each
	Comment       string
	SubmittedBy   int64
	SubmitterName string
	SubmittedAt   time.Time
}

// SubmitSurvey stores the answers to a closed case's satisfaction survey,
// once per case, with a "survey" entry on the timeline.
//
// Returns ENOTFOUND if there is no such case, EINVALID for an answer outside
// 1–5, EFORBIDDEN ("survey.not_closed") while the case is open and ECONFLICT
// ("survey.already_answered") when the survey was answered before.
func (s *Store) SubmitSurvey(ctx context.Context, caseID, userID int64, answers [portal.SurveyQuestions]int, comment string) error {
	for _, a := range answers {
		if a < 1 || a > 5 {
			return portal.Errorf(portal.EINVALID, "survey.answer_required")
		}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status portal.Status
		if err := tx.QueryRow(ctx, `SELECT status FROM cases WHERE id = $1 FOR UPDATE`, caseID).Scan(&status); err != nil {
			return err
		}
		if status != portal.Closed {
			return portal.Errorf(portal.EFORBIDDEN, "survey.not_closed")
		}
		now := s.now()
		tag, err := tx.Exec(ctx, `INSERT INTO case_surveys (case_id, answers, comment, submitted_by, submitted_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING`, caseID, answers[:], comment, userID, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return portal.Errorf(portal.ECONFLICT, "survey.already_answered")
		}
		_, err = insertEvent(ctx, tx, caseID, now, NewEvent{ActorID: userID, Kind: "survey"})
		return err
	})
	return mapErr(err, fmt.Sprintf("survey of case %d", caseID))
}

// CaseSurvey returns the survey answered for a case. Returns ENOTFOUND if
// it has not been answered.
func (s *Store) CaseSurvey(ctx context.Context, caseID int64) (*Survey, error) {
	sv := Survey{CaseID: caseID}
	var answers []int32
	err := s.pool.QueryRow(ctx, `SELECT v.answers, v.comment, v.submitted_by, u.name, v.submitted_at
		FROM case_surveys v JOIN users u ON u.id = v.submitted_by WHERE v.case_id = $1`, caseID).
		Scan(&answers, &sv.Comment, &sv.SubmittedBy, &sv.SubmitterName, &sv.SubmittedAt)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("survey of case %d", caseID))
	}
	for i := range min(len(answers), len(sv.Answers)) {
		sv.Answers[i] = int(answers[i])
	}
	return &sv, nil
}

// autoCloseBatch bounds one run of the auto-close job; the next run (every
// few minutes) takes the rest.
const autoCloseBatch = 500

// AutoCloseDue returns the numbers of open cases that have waited on the
// customer for at least after at now, longest waiting first.
func (s *Store) AutoCloseDue(ctx context.Context, now time.Time, after time.Duration) ([]string, error) {
	return s.waitingNumbers(ctx, `SELECT number FROM cases
		WHERE waiting_since <= $1 AND status = 'open' AND sub_status IN ('awaiting_customer', 'solution_proposed')
		ORDER BY waiting_since, id LIMIT $2`, now.Add(-after))
}

// CasesNeedingReminder returns the numbers of open cases that have waited on
// the customer for at least after at now and have not been reminded since
// they started waiting.
func (s *Store) CasesNeedingReminder(ctx context.Context, now time.Time, after time.Duration) ([]string, error) {
	return s.waitingNumbers(ctx, `SELECT number FROM cases
		WHERE waiting_since <= $1 AND reminder_sent_at IS NULL AND status = 'open'
			AND sub_status IN ('awaiting_customer', 'solution_proposed')
		ORDER BY waiting_since, id LIMIT $2`, now.Add(-after))
}

func (s *Store) waitingNumbers(ctx context.Context, sql string, before time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, sql, before, autoCloseBatch)
	if err != nil {
		return nil, mapErr(err, "waiting cases")
	}
	numbers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return numbers, mapErr(err, "waiting cases")
}

// MarkReminderSent records that the customer of a waiting case was reminded
// and writes the reminder mails that mail builds from the locked case and its
// recipients, in one transaction. It does nothing (false) unless the case
// still waits on the customer since dueBefore or earlier and has not been
// reminded yet, so two runs never remind twice.
func (s *Store) MarkReminderSent(ctx context.Context, number string, dueBefore time.Time,
	mail func(c *portal.Case, r CaseRecipients) ([]Mail, error)) (bool, error) {
	sent := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := lockCase(ctx, tx, number, 0)
		if err != nil {
			return err
		}
		var reminded *time.Time
		if err := tx.QueryRow(ctx, `SELECT reminder_sent_at FROM cases WHERE id = $1`, c.ID).Scan(&reminded); err != nil {
			return err
		}
		if reminded != nil || !c.SubStatus.WaitingOnCustomer() || c.WaitingSince == nil || c.WaitingSince.After(dueBefore) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET reminder_sent_at = $2 WHERE id = $1`, c.ID, s.now()); err != nil {
			return err
		}
		sent = true
		if mail == nil {
			return nil
		}
		rcpt, err := caseRecipients(ctx, tx, c)
		if err != nil {
			return err
		}
		mails, err := mail(c, rcpt)
		if err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, mails...)
	})
	if err != nil {
		return false, mapErr(err, "remind case "+number)
	}
	return sent, nil
}
