package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

// Fixtures of the case-page area start with ev so that they cannot collide
// with other areas' helpers in package store_test.

// evWorld is an organization with an opener, a CC'd contact, an account
// administrator, a customer of another organization and two agents.
type evWorld struct {
	s               *store.Store
	pool            *pgxpool.Pool
	acc, other      *portal.Account
	opener, cc      *portal.User
	admin, stranger *portal.User
	agent, agent2   *portal.User
	plainCC         string
}

func evNew(t *testing.T) *evWorld {
	t.Helper()
	pool := storetest.Pool(t)
	s := store.New(pool, nil)
	w := &evWorld{s: s, pool: pool, plainCC: "outsider@partner.example"}
	w.acc = rgAccount(t, s, "Acme")
	w.other = rgAccount(t, s, "Globex")
	w.opener = rgUser(t, s, w.acc.ID, "opener@acme.example")
	w.cc = rgUser(t, s, w.acc.ID, "cc@acme.example", func(nu *store.NewUser) { nu.Language = "en" })
	w.admin = rgUser(t, s, w.acc.ID, "admin@acme.example", rgAdmin)
	w.stranger = rgUser(t, s, w.other.ID, "eve@globex.example")
	w.agent = rgUser(t, s, 0, "agent@vendor.example")
	w.agent2 = rgUser(t, s, 0, "agent2@vendor.example")
	return w
}

// evCase files a case by the opener with the CC'd contact and a plain address
// on its CC list.
func (w *evWorld) evCase(t *testing.T) *portal.Case {
	t.Helper()
	c, _, err := w.s.CreateCase(context.Background(), store.NewCase{
		AccountID: w.acc.ID, OpenedBy: w.opener.ID, HelpType: portal.HelpProduct, Priority: portal.DefaultPriority,
		Subject: "VPN が切断される", Description: "毎朝 9 時に切断されます。", CC: []string{w.cc.Email, w.plainCC},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// evSet puts a case into sub-status sub directly, closed 'closedAgo' before
// now when sub is a closed one.
func (w *evWorld) evSet(t *testing.T, c *portal.Case, sub portal.SubStatus, closedAgo time.Duration) *portal.Case {
	t.Helper()
	ctx := context.Background()
	var closedAt, waiting *time.Time
	if sub.Status() == portal.Closed {
		at := time.Now().Add(-closedAgo)
		closedAt = &at
	}
	if sub.WaitingOnCustomer() {
		at := time.Now()
		waiting = &at
	}
	if _, err := w.pool.Exec(ctx, `UPDATE cases SET sub_status = $2, status = $3, closed_at = $4, waiting_since = $5,
		version = version + 1 WHERE id = $1`, c.ID, sub, sub.Status(), closedAt, waiting); err != nil {
		t.Fatal(err)
	}
	return w.evReload(t, c)
}

func (w *evWorld) evReload(t *testing.T, c *portal.Case) *portal.Case {
	t.Helper()
	c, err := w.s.CaseByNumber(context.Background(), c.Number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func evAct(c *portal.Case, who *portal.User, a portal.Action, target portal.SubStatus, body string) store.ActRequest {
	return store.ActRequest{Number: c.Number, Version: c.Version, Actor: who, Action: a, Target: target, Body: body,
		IP: "192.0.2.7"}
}

// Every (sub-status, action, actor) goes through the database exactly as the
// state machine says: allowed ones move the case where portal.Next says,
// refused ones are refused with the machine's code and change nothing.
func TestStore_ActFollowsTheStateMachine(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	actors := map[portal.Actor]*portal.User{portal.ActorCustomer: w.opener, portal.ActorAgent: w.agent, portal.ActorSystem: nil}
	allowed, refused := 0, 0
	for _, from := range portal.SubStatuses {
		for _, a := range portal.Actions {
			for actor, who := range actors {
				targets := []portal.SubStatus{""}
				switch {
				case a == portal.ActSetStatus:
					targets = append(portal.AgentSettable, portal.SubResolved)
				case a == portal.ActClose && actor == portal.ActorAgent:
					targets = append(portal.AgentCloseReasons, portal.SubInProgress)
				}
				for _, target := range targets {
					name := fmt.Sprintf("%s/%s/%s/%s", from, a, actor, target)
					c := w.evSet(t, w.evCase(t), from, time.Hour)
					want, wantErr := portal.Next(portal.Transition{From: from, Action: a, Actor: actor, Target: target})
					got, err := w.s.Act(ctx, evAct(c, who, a, target, "理由とコメント"))
					if rgCode(err) != portal.ErrorCode(wantErr) {
						t.Errorf("%s: Act error %v, want %v", name, err, wantErr)
						continue
					}
					after := w.evReload(t, c)
					if wantErr != nil {
						refused++
						if after.Version != c.Version || after.SubStatus != from {
							t.Errorf("%s: a refused action changed the case: %+v", name, after)
						}
						continue
					}
					allowed++
					if got.SubStatus != want || got.Status != want.Status() || after.SubStatus != want {
						t.Errorf("%s: sub-status %s (stored %s), want %s", name, got.SubStatus, after.SubStatus, want)
					}
					wantVersion := c.Version + 1
					if a == portal.ActInternalNote {
						wantVersion = c.Version
					}
					if after.Version != wantVersion {
						t.Errorf("%s: version %d, want %d", name, after.Version, wantVersion)
					}
					switch {
					case want.Status() == portal.Closed && from.Status() == portal.Open:
						if after.ClosedAt == nil {
							t.Errorf("%s: closed without closed_at", name)
						}
					case want.Status() == portal.Open && after.ClosedAt != nil:
						t.Errorf("%s: open with closed_at %v", name, after.ClosedAt)
					}
					if (after.WaitingSince != nil) != want.WaitingOnCustomer() {
						t.Errorf("%s: waiting_since %v in %s", name, after.WaitingSince, want)
					}
				}
			}
		}
	}
	if allowed < 50 || refused < 50 {
		t.Errorf("%d transitions allowed and %d refused: the walk is not exhaustive", allowed, refused)
	}
	t.Logf("%d transitions allowed, %d refused", allowed, refused)
}

func TestStore_ActTimelineAuditAndFiles(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evCase(t)

	// The agent answers (new → in_progress) with a file, then notes internally.
	req := evAct(c, w.agent, portal.ActComment, "", "ログを送ってください。")
	req.Files = []store.NewAttachment{{Name: "手順.pdf", Size: 10, SHA256: strings.Repeat("a", 64),
		ContentType: "application/pdf", StorageKey: "k1"}}
	c, err := w.s.Act(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.SubStatus != portal.SubInProgress {
		t.Fatalf("after the first reply: %s", c.SubStatus)
	}
	before := c
	c, err = w.s.Act(ctx, evAct(c, w.agent, portal.ActInternalNote, "", "社内メモ: 既知の不具合"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != before.Version || !c.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("an internal note touched the case row: version %d→%d, updated %v→%v", before.Version, c.Version,
			before.UpdatedAt, c.UpdatedAt)
	}
	c, err = w.s.Act(ctx, evAct(c, w.agent, portal.ActProposeSolution, "", "ドライバを更新してください。"))
	if err != nil {
		t.Fatal(err)
	}

	staff, err := w.s.CaseEvents(ctx, c.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range staff {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{"created", "comment", "internal_note", "solution"}; !slices.Equal(kinds, want) {
		t.Fatalf("staff timeline %v, want %v", kinds, want)
	}
	if e := staff[1]; e.ActorName != "agent" || !e.ActorStaff || e.From != portal.SubNew || e.To != portal.SubInProgress {
		t.Errorf("reply event %+v", e)
	}
	if e := staff[0]; e.ActorStaff || e.ActorName != "opener" {
		t.Errorf("created event %+v", e)
	}
	if !staff[2].Internal {
		t.Error("the note is not internal")
	}
	customer, err := w.s.CaseEvents(ctx, c.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range customer {
		if e.Internal || strings.Contains(e.Body, "社内メモ") {
			t.Errorf("customers' timeline has an internal note: %+v", e)
		}
	}
	if len(customer) != 3 {
		t.Errorf("customers' timeline has %d entries, want 3", len(customer))
	}

	var files int
	var eventID int64
	if err := w.pool.QueryRow(ctx, `SELECT count(*), max(event_id) FROM attachments WHERE case_id = $1`, c.ID).Scan(&files, &eventID); err != nil {
		t.Fatal(err)
	}
	if files != 1 || eventID != staff[1].ID {
		t.Errorf("attachments: %d on event %d, want 1 on %d", files, eventID, staff[1].ID)
	}
	actions := rgActions(t, w.s, w.acc.ID)
	for _, want := range []string{"case.comment", "case.propose_solution"} {
		if !rgHasAction(actions, want) {
			t.Errorf("audit log %v lacks %s", actions, want)
		}
	}
	if rgHasAction(actions, "case.internal_note") {
		t.Errorf("audit log %v records a note that changed no state", actions)
	}
}

func TestStore_ActRefusals(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evCase(t)

	tests := []struct {
		name string
		req  store.ActRequest
		code string
		msg  string
	}{
		{"StaleVersion", store.ActRequest{Number: c.Number, Version: c.Version + 5, Actor: w.opener, Action: portal.ActComment, Body: "x"},
			portal.ECONFLICT, "case.changed"},
		{"CustomerProposes", evAct(c, w.opener, portal.ActProposeSolution, "", "x"), portal.EFORBIDDEN, "case.action_not_allowed"},
		{"AcceptWithoutProposal", evAct(c, w.opener, portal.ActAcceptSolution, "", ""), portal.EFORBIDDEN, "case.action_not_allowed"},
		{"OtherOrganization", evAct(c, w.stranger, portal.ActComment, "", "x"), portal.ENOTFOUND, "error.not_found"},
		{"NoSuchCase", store.ActRequest{Number: "CS9999999", Actor: w.agent, Action: portal.ActComment, Body: "x"},
			portal.ENOTFOUND, "error.not_found"},
		{"EmptyComment", evAct(c, w.opener, portal.ActComment, "", "  "), portal.EINVALID, "case_act.body_required"},
		{"RejectWithoutReason", evAct(c, w.opener, portal.ActRejectSolution, "", ""), portal.EFORBIDDEN, "case.action_not_allowed"},
		{"ReopenOpenCase", evAct(c, w.opener, portal.ActReopen, "", ""), portal.EFORBIDDEN, "case.action_not_allowed"},
		{"TooLong", evAct(c, w.opener, portal.ActComment, "", strings.Repeat("あ", portal.MaxCommentLen+1)), portal.EINVALID, "case_act.too_long"},
		{"AgentCloseWithoutReason", evAct(c, w.agent, portal.ActClose, "", ""), portal.EINVALID, "case.close_reason_invalid"},
		{"AutoCloseNotWaiting", store.ActRequest{Number: c.Number, Action: portal.ActAutoClose}, portal.EFORBIDDEN, "case.action_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.s.Act(ctx, tt.req)
			if rgCode(err) != tt.code || rgMessage(err) != tt.msg {
				t.Errorf("Act = %v, want %s %s", err, tt.code, tt.msg)
			}
		})
	}
	if after := w.evReload(t, c); after.Version != c.Version {
		t.Errorf("refused actions changed the version %d → %d", c.Version, after.Version)
	}
	events, _ := w.s.CaseEvents(ctx, c.ID, true)
	if len(events) != 1 {
		t.Errorf("refused actions left %d events", len(events))
	}
	// Where the rules allow the action, its text is required.
	c = w.evSet(t, c, portal.SubSolutionProposed, 0)
	if _, err := w.s.Act(ctx, evAct(c, w.opener, portal.ActRejectSolution, "", " \n ")); rgCode(err) != portal.EINVALID ||
		rgMessage(err) != "case_act.reason_required" {
		t.Errorf("reject without a reason: %v", err)
	}
	if _, err := w.s.Act(ctx, evAct(c, w.agent, portal.ActProposeSolution, "", "")); rgCode(err) != portal.EINVALID ||
		rgMessage(err) != "case_act.solution_required" {
		t.Errorf("propose without a text: %v", err)
	}
}

// The CC'd contact and the account administrator act as customers.
func TestStore_ActByCCAndAccountAdmin(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evSet(t, w.evCase(t), portal.SubAwaitingCustomer, 0)
	c, err := w.s.Act(ctx, evAct(c, w.cc, portal.ActComment, "", "CC からの返信"))
	if err != nil || c.SubStatus != portal.SubCustomerUpdated {
		t.Fatalf("CC comment: %v %v", c, err)
	}
	c, err = w.s.Act(ctx, evAct(c, w.admin, portal.ActClose, "", ""))
	if err != nil || c.SubStatus != portal.SubClosedByCustomer {
		t.Fatalf("admin close: %v %v", c, err)
	}
}

func TestStore_ReopenWindow(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evSet(t, w.evCase(t), portal.SubResolved, 31*24*time.Hour)
	_, err := w.s.Act(ctx, evAct(c, w.opener, portal.ActReopen, "", "再発しました"))
	if rgCode(err) != portal.EFORBIDDEN || rgMessage(err) != "case_act.reopen_expired" {
		t.Fatalf("reopen after 31 days: %v", err)
	}
	// A longer configured window allows it; so does a clock set back.
	req := evAct(c, w.opener, portal.ActReopen, "", "再発しました")
	req.ReopenWindow = 60 * 24 * time.Hour
	got, err := w.s.Act(ctx, req)
	if err != nil || got.SubStatus != portal.SubCustomerUpdated || got.ClosedAt != nil {
		t.Fatalf("reopen within a 60-day window: %+v %v", got, err)
	}
	c = w.evSet(t, w.evCase(t), portal.SubClosedByCustomer, 31*24*time.Hour)
	w.s.SetNow(func() time.Time { return time.Now().Add(-2 * 24 * time.Hour) })
	if _, err := w.s.Act(ctx, evAct(c, w.opener, portal.ActReopen, "", "再発")); err != nil {
		t.Fatalf("reopen 29 days after closing: %v", err)
	}
	events, _ := w.s.CaseEvents(ctx, c.ID, false)
	if last := events[len(events)-1]; last.Kind != "reopened" || last.Body != "再発" {
		t.Errorf("reopen event %+v", last)
	}
}

// Two people submitting forms built on the same version: exactly one wins,
// the other is told the case changed.
func TestStore_ActConcurrently(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	for round := range 5 {
		c := w.evSet(t, w.evCase(t), portal.SubSolutionProposed, 0)
		reqs := []store.ActRequest{
			evAct(c, w.opener, portal.ActAcceptSolution, "", ""),
			evAct(c, w.agent, portal.ActSetStatus, portal.SubEscalated, ""),
			evAct(c, w.cc, portal.ActRejectSolution, "", "まだ直りません"),
		}
		errs := make([]error, len(reqs))
		var wg sync.WaitGroup
		for i, req := range reqs {
			wg.Go(func() { _, errs[i] = w.s.Act(ctx, req) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch rgCode(err) {
			case "":
				won++
			case portal.ECONFLICT:
			default:
				t.Errorf("round %d: %v", round, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d of 3 concurrent actions won (%v)", round, won, errs)
		}
		if after := w.evReload(t, c); after.Version != c.Version+1 {
			t.Errorf("round %d: version %d, want %d", round, after.Version, c.Version+1)
		}
	}
}

func TestStore_UpdateCaseFields(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evCase(t)
	u := store.FieldsUpdate{Number: c.Number, Version: c.Version, Actor: w.cc, Priority: portal.PriorityCritical,
		CC: []string{"New@Acme.example", w.cc.Email}, BusinessImpact: "全社で VPN が使えません", IP: "192.0.2.1"}
	got, changed, err := w.s.UpdateCaseFields(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []string{"priority", "cc", "business_impact"}) {
		t.Errorf("changed %v", changed)
	}
	if got.Priority != 1 || !slices.Equal(got.CC, []string{"new@acme.example", w.cc.Email}) || got.BusinessImpact != u.BusinessImpact ||
		got.Version != c.Version+1 {
		t.Errorf("case after update %+v", got)
	}
	events, _ := w.s.CaseEvents(ctx, c.ID, false)
	last := events[len(events)-1]
	if last.Kind != "fields" || last.ActorID != w.cc.ID || fmt.Sprint(last.Detail["fields"]) != "[priority cc business_impact]" {
		t.Errorf("fields event %+v", last)
	}

	// The same values again change nothing.
	u.Version = got.Version
	again, changed, err := w.s.UpdateCaseFields(ctx, u)
	if err != nil || len(changed) != 0 || again.Version != got.Version {
		t.Errorf("unchanged save: %v %v %+v", changed, err, again)
	}
	// A stale form, a stranger, bad values.
	u.Priority = 2
	u.Version = c.Version
	if _, _, err := w.s.UpdateCaseFields(ctx, u); rgCode(err) != portal.ECONFLICT {
		t.Errorf("stale fields: %v", err)
	}
	u.Version, u.Actor = 0, w.stranger
	if _, _, err := w.s.UpdateCaseFields(ctx, u); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("stranger: %v", err)
	}
	u.Actor, u.Priority = w.opener, 5
	if _, _, err := w.s.UpdateCaseFields(ctx, u); rgCode(err) != portal.EINVALID {
		t.Errorf("priority 5: %v", err)
	}
	u.Priority, u.CC = 2, make([]string, portal.MaxCC+1)
	if _, _, err := w.s.UpdateCaseFields(ctx, u); rgCode(err) != portal.EINVALID {
		t.Errorf("21 CC: %v", err)
	}
	// A CC'd contact may take themselves off the list; then they no longer
	// see the case.
	u.Actor, u.CC = w.cc, nil
	if _, _, err := w.s.UpdateCaseFields(ctx, u); err != nil {
		t.Fatal(err)
	}
	if portal.CanView(w.cc, w.evReload(t, c)) {
		t.Error("the removed CC contact still sees the case")
	}
}

func TestStore_AssignCase(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evCase(t)
	if _, err := w.s.AssignCase(ctx, store.AssignRequest{Number: c.Number, Actor: w.opener, AgentID: w.agent.ID}); rgCode(err) != portal.EFORBIDDEN {
		t.Errorf("customer assigns: %v", err)
	}
	if _, err := w.s.AssignCase(ctx, store.AssignRequest{Number: c.Number, Actor: w.agent, AgentID: w.opener.ID}); rgCode(err) != portal.EINVALID {
		t.Errorf("assign to a customer: %v", err)
	}
	got, err := w.s.AssignCase(ctx, store.AssignRequest{Number: c.Number, Version: c.Version, Actor: w.agent, AgentID: w.agent2.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.AssignedTo != w.agent2.ID || got.AssignedName != "agent2" || got.Version != c.Version+1 {
		t.Errorf("assigned case %+v", got)
	}
	if _, err := w.s.AssignCase(ctx, store.AssignRequest{Number: c.Number, Version: c.Version, Actor: w.agent, AgentID: w.agent.ID}); rgCode(err) != portal.ECONFLICT {
		t.Errorf("stale assign: %v", err)
	}
	events, _ := w.s.CaseEvents(ctx, c.ID, false)
	if last := events[len(events)-1]; last.Kind != "assigned" || last.Detail["agent"] != "agent2" {
		t.Errorf("assign event %+v", last)
	}
	agents, err := w.s.AssignableAgents(ctx)
	if err != nil || len(agents) != 2 {
		t.Errorf("AssignableAgents = %d, %v", len(agents), err)
	}
}

func TestStore_Survey(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evCase(t)
	answers := [5]int{5, 4, 3, 5, 4}
	if err := w.s.SubmitSurvey(ctx, c.ID, w.opener.ID, answers, ""); rgCode(err) != portal.EFORBIDDEN {
		t.Errorf("survey of an open case: %v", err)
	}
	c = w.evSet(t, c, portal.SubResolved, time.Minute)
	if err := w.s.SubmitSurvey(ctx, c.ID, w.opener.ID, [5]int{5, 4, 0, 5, 4}, ""); rgCode(err) != portal.EINVALID {
		t.Errorf("an unanswered question: %v", err)
	}
	if _, err := w.s.CaseSurvey(ctx, c.ID); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("CaseSurvey before answering: %v", err)
	}
	if err := w.s.SubmitSurvey(ctx, c.ID, w.opener.ID, answers, "迅速な対応でした"); err != nil {
		t.Fatal(err)
	}
	if err := w.s.SubmitSurvey(ctx, c.ID, w.cc.ID, answers, "again"); rgCode(err) != portal.ECONFLICT || rgMessage(err) != "survey.already_answered" {
		t.Errorf("second survey: %v", err)
	}
	sv, err := w.s.CaseSurvey(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sv.Answers != answers || sv.Comment != "迅速な対応でした" || sv.SubmittedBy != w.opener.ID || sv.SubmitterName != "opener" {
		t.Errorf("survey %+v", sv)
	}
	if _, err := w.s.CaseSurvey(ctx, 987654); rgCode(err) != portal.ENOTFOUND {
		t.Errorf("survey of no case: %v", err)
	}
}

func TestStore_NotificationRecipients(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	c := w.evCase(t)
	c, err := w.s.AssignCase(ctx, store.AssignRequest{Number: c.Number, Actor: w.agent, AgentID: w.agent.ID})
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.s.NotificationRecipients(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Opener == nil || r.Opener.Email != w.opener.Email || r.Opener.Lang != "ja" || r.Agent == nil || r.Agent.UserID != w.agent.ID {
		t.Fatalf("recipients %+v", r)
	}
	if len(r.CC) != 2 || r.CC[0].UserID != w.cc.ID || r.CC[0].Lang != "en" || r.CC[0].Name != "cc" ||
		r.CC[1].UserID != 0 || r.CC[1].Email != w.plainCC || r.CC[1].Lang != "ja" {
		t.Errorf("CC recipients %+v", r.CC)
	}
	ex := r.Except(w.cc)
	if len(ex.CC) != 1 || ex.CC[0].Email != w.plainCC || ex.Opener == nil {
		t.Errorf("Except(cc) = %+v", ex)
	}
	if ex := r.Except(w.agent); ex.Agent != nil {
		t.Errorf("Except(agent) kept the agent")
	}
	if ex := r.Except(w.opener); ex.Opener != nil {
		t.Errorf("Except(opener) kept the opener")
	}

	// Disabled contacts get nothing, checked at the moment of sending.
	for _, u := range []*portal.User{w.opener, w.cc, w.agent} {
		if _, err := w.pool.Exec(ctx, `UPDATE users SET status = 'disabled' WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	r, err = w.s.NotificationRecipients(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Opener != nil || r.Agent != nil || len(r.CC) != 1 || r.CC[0].Email != w.plainCC {
		t.Errorf("recipients with disabled users %+v", r)
	}

	// Act hands the recipients of the locked row to the mail builder.
	var seen store.CaseRecipients
	_, err = w.s.Act(ctx, store.ActRequest{Number: c.Number, Actor: w.agent2, Action: portal.ActComment, Body: "返信",
		Mail: func(o store.ActOutcome) ([]store.Mail, error) {
			seen = o.Recipients
			if o.From != portal.SubNew || o.Case.SubStatus != portal.SubInProgress || o.Actor.ID != w.agent2.ID {
				t.Errorf("outcome %+v", o)
			}
			return []store.Mail{{To: w.plainCC, Subject: o.Case.Number, Text: o.Body}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen.CC) != 1 || seen.Opener != nil {
		t.Errorf("Act's recipients %+v", seen)
	}
	if mails := rgMails(t, w.s, w.plainCC); len(mails) != 1 || mails[0].Text != "返信" {
		t.Errorf("outbox for %s: %+v", w.plainCC, mails)
	}
}

func TestStore_AutoCloseSelection(t *testing.T) {
	t.Parallel()
	w := evNew(t)
	ctx := context.Background()
	now := time.Now()
	after := 14 * 24 * time.Hour
	mk := func(sub portal.SubStatus, waited time.Duration) *portal.Case {
		c := w.evSet(t, w.evCase(t), sub, 0)
		if _, err := w.pool.Exec(ctx, `UPDATE cases SET waiting_since = $2 WHERE id = $1`, c.ID, now.Add(-waited)); err != nil {
			t.Fatal(err)
		}
		return w.evReload(t, c)
	}
	due1 := mk(portal.SubAwaitingCustomer, 15*24*time.Hour)
	due2 := mk(portal.SubSolutionProposed, 14*24*time.Hour+time.Minute)
	half := mk(portal.SubSolutionProposed, 8*24*time.Hour)
	fresh := mk(portal.SubAwaitingCustomer, 2*24*time.Hour)
	mk(portal.SubInProgress, 30*24*time.Hour) // not waiting: its stray clock does not count

	due, err := w.s.AutoCloseDue(ctx, now, after)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(due, []string{due1.Number, due2.Number}) {
		t.Errorf("AutoCloseDue = %v, want %s %s", due, due1.Number, due2.Number)
	}
	remind, err := w.s.CasesNeedingReminder(ctx, now, after/2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(remind, []string{due1.Number, due2.Number, half.Number}) {
		t.Errorf("CasesNeedingReminder = %v", remind)
	}

	mail := func(c *portal.Case, r store.CaseRecipients) ([]store.Mail, error) {
		return []store.Mail{{To: r.Opener.Email, Subject: "reminder " + c.Number}}, nil
	}
	if sent, err := w.s.MarkReminderSent(ctx, half.Number, now.Add(-after/2), mail); err != nil || !sent {
		t.Fatalf("first reminder: %v %v", sent, err)
	}
	if sent, err := w.s.MarkReminderSent(ctx, half.Number, now.Add(-after/2), mail); err != nil || sent {
		t.Errorf("second reminder: %v %v", sent, err)
	}
	if sent, err := w.s.MarkReminderSent(ctx, fresh.Number, now.Add(-after/2), mail); err != nil || sent {
		t.Errorf("reminder of a fresh case: %v %v", sent, err)
	}
	if n := len(rgMails(t, w.s, w.opener.Email)); n != 1 {
		t.Errorf("%d reminder mails, want 1", n)
	}
	remind, _ = w.s.CasesNeedingReminder(ctx, now, after/2)
	if slices.Contains(remind, half.Number) {
		t.Error("a reminded case still needs a reminder")
	}

	// A customer who answered restarts nothing but takes the case off the clock.
	if _, err := w.s.Act(ctx, evAct(due2, w.opener, portal.ActComment, "", "確認中です")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Act(ctx, store.ActRequest{Number: due2.Number, Action: portal.ActAutoClose, IdleBefore: now.Add(-after)}); rgCode(err) != portal.EFORBIDDEN {
		t.Errorf("auto-close after the customer answered: %v", err)
	}
	// An agent asking again restarts the clock and allows a new reminder.
	c, err := w.s.Act(ctx, store.ActRequest{Number: half.Number, Actor: w.agent, Action: portal.ActProposeSolution, Body: "別の案"})
	if err != nil {
		t.Fatal(err)
	}
	if c.WaitingSince == nil || c.WaitingSince.Before(now) {
		t.Errorf("clock after a new proposal: %v", c.WaitingSince)
	}
	if _, err := w.s.Act(ctx, store.ActRequest{Number: half.Number, Action: portal.ActAutoClose, IdleBefore: now}); rgCode(err) != portal.EFORBIDDEN {
		t.Errorf("auto-close of a case whose clock restarted: %v", err)
	}
	got, err := w.s.Act(ctx, store.ActRequest{Number: due1.Number, Action: portal.ActAutoClose, IdleBefore: now.Add(-after)})
	if err != nil {
		t.Fatal(err)
	}
	if got.SubStatus != portal.SubNoResponse || got.ClosedAt == nil || got.WaitingSince != nil {
		t.Errorf("auto-closed case %+v", got)
	}
	events, _ := w.s.CaseEvents(ctx, got.ID, false)
	if last := events[len(events)-1]; last.ActorID != 0 || last.Action != portal.ActAutoClose || last.To != portal.SubNoResponse {
		t.Errorf("auto-close event %+v", last)
	}
}
