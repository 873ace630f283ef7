package portal

import (
	"fmt"
	"slices"
	"testing"
)

// allowed is the state table written out: every (from, action, actor[,
// target]) that is allowed and where it leads. Everything not listed must be
// refused. "*open" expands to every open sub-status.
var allowed = []struct {
	from   string
	action Action
	actor  Actor
	target SubStatus
	to     string // "=" means unchanged
}{
	// Customers.
	{"new", ActComment, ActorCustomer, "", "="},
	{"in_progress", ActComment, ActorCustomer, "", "="},
	{"escalated", ActComment, ActorCustomer, "", "="},
	{"customer_updated", ActComment, ActorCustomer, "", "="},
	{"awaiting_customer", ActComment, ActorCustomer, "", "customer_updated"},
	{"solution_proposed", ActComment, ActorCustomer, "", "customer_updated"},
	{"solution_proposed", ActAcceptSolution, ActorCustomer, "", "resolved"},
	{"solution_proposed", ActRejectSolution, ActorCustomer, "", "customer_updated"},
	{"*open", ActClose, ActorCustomer, "", "closed_by_customer"},
	{"*closed", ActReopen, ActorCustomer, "", "customer_updated"},
	// Agents.
	{"new", ActComment, ActorAgent, "", "in_progress"},
	{"customer_updated", ActComment, ActorAgent, "", "in_progress"},
	{"in_progress", ActComment, ActorAgent, "", "="},
	{"awaiting_customer", ActComment, ActorAgent, "", "="},
	{"solution_proposed", ActComment, ActorAgent, "", "="},
	{"escalated", ActComment, ActorAgent, "", "="},
	{"*any", ActInternalNote, ActorAgent, "", "="},
	{"*open", ActSetStatus, ActorAgent, SubInProgress, "in_progress"},
	{"*open", ActSetStatus, ActorAgent, SubAwaitingCustomer, "awaiting_customer"},
	{"*open", ActSetStatus, ActorAgent, SubEscalated, "escalated"},
	{"new", ActEscalate, ActorAgent, "", "escalated"},
	{"in_progress", ActEscalate, ActorAgent, "", "escalated"},
	{"awaiting_customer", ActEscalate, ActorAgent, "", "escalated"},
	{"solution_proposed", ActEscalate, ActorAgent, "", "escalated"},
	{"customer_updated", ActEscalate, ActorAgent, "", "escalated"},
	{"*open", ActProposeSolution, ActorAgent, "", "solution_proposed"},
	{"*open", ActClose, ActorAgent, SubResolved, "resolved"},
	{"*open", ActClose, ActorAgent, SubCloseAgreed, "close_agreed"},
	{"*open", ActClose, ActorAgent, SubOutOfScope, "out_of_scope"},
	// The auto-close job.
	{"awaiting_customer", ActAutoClose, ActorSystem, "", "no_response"},
	{"solution_proposed", ActAutoClose, ActorSystem, "", "no_response"},
}

func expand(from string) []SubStatus {
	var out []SubStatus
	for _, s := range SubStatuses {
		switch {
		case from == "*any",
			from == "*open" && s.Status() == Open,
			from == "*closed" && s.Status() == Closed,
			from == string(s):
			out = append(out, s)
		}
	}
	return out
}

// targets are the Target values tried for every triple: none, every
// sub-status, and an unknown one.
func targets() []SubStatus { return append([]SubStatus{"", "bogus"}, SubStatuses...) }

func TestNext_EveryTriple(t *testing.T) {
	type key struct {
		from   SubStatus
		action Action
		actor  Actor
		target SubStatus
	}
	want := map[key]SubStatus{}
	for _, a := range allowed {
		for _, from := range expand(a.from) {
			to := SubStatus(a.to)
			if a.to == "=" {
				to = from
			}
			if a.target != "" {
				want[key{from, a.action, a.actor, a.target}] = to
				continue
			}
			// Actions without a target ignore whatever target is given.
			for _, tg := range targets() {
				want[key{from, a.action, a.actor, tg}] = to
			}
		}
	}
	checked := 0
	for _, from := range SubStatuses {
		for _, action := range Actions {
			for _, actor := range []Actor{ActorCustomer, ActorAgent, ActorSystem, "anonymous"} {
				for _, tg := range targets() {
					name := fmt.Sprintf("%s/%s/%s/%s", from, action, actor, tg)
					got, err := Next(Transition{From: from, Action: action, Actor: actor, Target: tg})
					w, ok := want[key{from, action, actor, tg}]
					switch {
					case ok && err != nil:
						t.Errorf("%s: refused (%v), want %s", name, err, w)
					case ok && got != w:
						t.Errorf("%s = %s, want %s", name, got, w)
					case !ok && err == nil:
						t.Errorf("%s = %s, want refused", name, got)
					case !ok && ErrorCode(err) != EFORBIDDEN && ErrorCode(err) != EINVALID:
						t.Errorf("%s: error %v, want EFORBIDDEN or EINVALID", name, err)
					}
					checked++
				}
			}
		}
	}
	if checked != len(SubStatuses)*len(Actions)*4*len(targets()) {
		t.Fatalf("checked %d transitions", checked)
	}
}

func TestNext_UnknownFrom(t *testing.T) {
	if _, err := Next(Transition{From: "bogus", Action: ActComment, Actor: ActorAgent}); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("unknown sub-status: %v", err)
	}
}

func TestAllowedMatchesNext(t *testing.T) {
	for _, from := range SubStatuses {
		for _, actor := range []Actor{ActorCustomer, ActorAgent, ActorSystem} {
			got := Allowed(from, actor)
			for _, a := range Actions {
				ok := false
				for _, tg := range targets() {
					if _, err := Next(Transition{From: from, Action: a, Actor: actor, Target: tg}); err == nil {
						ok = true
					}
				}
				if ok != slices.Contains(got, a) {
					t.Errorf("Allowed(%s, %s) has %s = %v, Next allows it = %v", from, actor, a, !ok, ok)
				}
			}
		}
	}
}

func TestSubStatusStatus(t *testing.T) {
	open := map[SubStatus]bool{SubNew: true, SubInProgress: true, SubAwaitingCustomer: true, SubSolutionProposed: true,
		SubEscalated: true, SubCustomerUpdated: true}
	for _, s := range SubStatuses {
		if got := s.Status() == Open; got != open[s] {
			t.Errorf("%s open = %v", s, got)
		}
	}
}

func TestCanView(t *testing.T) {
	c := &Case{AccountID: 1, OpenedBy: 10, CC: []string{"cc@b.example", "colleague@a.example"}}
	tests := []struct {
		name string
		u    *User
		want bool
	}{
		{"Opener", &User{ID: 10, AccountID: 1, Role: RoleCustomer, Status: StatusActive}, true},
		{"Colleague", &User{ID: 11, AccountID: 1, Role: RoleCustomer, Status: StatusActive, Email: "other@a.example"}, false},
		{"CCColleague", &User{ID: 12, AccountID: 1, Role: RoleCustomer, Status: StatusActive, Email: "Colleague@a.example"}, true},
		{"AccountAdmin", &User{ID: 13, AccountID: 1, Role: RoleCustomer, Status: StatusActive, IsAccountAdmin: true}, true},
		{"OtherOrgAdmin", &User{ID: 14, AccountID: 2, Role: RoleCustomer, Status: StatusActive, IsAccountAdmin: true}, false},
		{"OtherOrgCC", &User{ID: 15, AccountID: 2, Role: RoleCustomer, Status: StatusActive, Email: "cc@b.example"}, true},
		{"Agent", &User{ID: 20, Role: RoleAgent, Status: StatusActive}, true},
		{"Admin", &User{ID: 21, Role: RoleAdmin, Status: StatusActive}, true},
		{"DisabledOpener", &User{ID: 10, AccountID: 1, Role: RoleCustomer, Status: StatusDisabled}, false},
		{"Nobody", nil, false},
	}
	for _, tt := range tests {
		if got := CanView(tt.u, c); got != tt.want {
			t.Errorf("%s: CanView = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidCaseNumber(t *testing.T) {
	for s, want := range map[string]bool{"CS0000123": true, CaseNumber(9999999): true, "CS000012": false, "cs0000123": false,
		"CS00001234": false, "CS000012a": false, "": false, "CS0000123/../x": false} {
		if got := ValidCaseNumber(s); got != want {
			t.Errorf("ValidCaseNumber(%q) = %v", s, got)
		}
	}
}
