package portal

import "time"

// Status is whether a case is open or closed.
type Status string

const (
	Open   Status = "open"
	Closed Status = "closed"
)

// SubStatus is where a case stands within its status (DESIGN.md, "Case states").
type SubStatus string

const (
	SubNew              SubStatus = "new"
	SubInProgress       SubStatus = "in_progress"
	SubAwaitingCustomer SubStatus = "awaiting_customer"
	SubSolutionProposed SubStatus = "solution_proposed"
	SubEscalated        SubStatus = "escalated"
	SubCustomerUpdated  SubStatus = "customer_updated"
	SubResolved         SubStatus = "resolved"
	SubNoResponse       SubStatus = "no_response"
	SubCloseAgreed      SubStatus = "close_agreed"
	SubClosedByCustomer SubStatus = "closed_by_customer"
	SubOutOfScope       SubStatus = "out_of_scope"
)

// SubStatuses lists every sub-status in the order of the state table.
var SubStatuses = []SubStatus{
	SubNew, SubInProgress, SubAwaitingCustomer, SubSolutionProposed, SubEscalated, SubCustomerUpdated,
	SubResolved, SubNoResponse, SubCloseAgreed, SubClosedByCustomer, SubOutOfScope,
}

// Status returns the status a sub-status belongs to.
func (s SubStatus) Status() Status {
	switch s {
	case SubResolved, SubNoResponse, SubCloseAgreed, SubClosedByCustomer, SubOutOfScope:
		return Closed
	}
	return Open
}

// Valid reports whether s is a known sub-status.
func (s SubStatus) Valid() bool {
	for _, v := range SubStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// WaitingOnCustomer reports whether the case waits for the customer: the
// auto-close clock runs only then.
func (s SubStatus) WaitingOnCustomer() bool {
	return s == SubAwaitingCustomer || s == SubSolutionProposed
}

// Actor is who acts on a case, for the state machine.
type Actor string

const (
	ActorCustomer Actor = "customer" // the opener, a CC'd contact or their account administrator
	ActorAgent    Actor = "agent"    // support staff (agents and staff administrators)
	ActorSystem   Actor = "system"   // background jobs
)

// Action is something done to a case.
type Action string

const (
	ActComment         Action = "comment"         // a public comment (customer or agent reply)
	ActInternalNote    Action = "internal_note"   // agents only; never shown to customers
	ActAcceptSolution  Action = "accept_solution" // customer accepts the proposed solution
	ActRejectSolution  Action = "reject_solution" // customer rejects it, with a comment
	ActClose           Action = "close"           // customer closes; agent closes with a reason
	ActReopen          Action = "reopen"          // customer, within the reopen window, with a reason
	ActSetStatus       Action = "set_status"      // agent picks an open sub-status
	ActEscalate        Action = "escalate"
	ActProposeSolution Action = "propose_solution"
	ActAutoClose       Action = "auto_close" // no response from the customer
)

// Actions lists every action, for exhaustive tests and for drawing buttons.
var Actions = []Action{
	ActComment, ActInternalNote, ActAcceptSolution, ActRejectSolution, ActClose, ActReopen,
	ActSetStatus, ActEscalate, ActProposeSolution, ActAutoClose,
}

// AgentSettable are the open sub-statuses an agent may set directly.
var AgentSettable = []SubStatus{SubInProgress, SubAwaitingCustomer, SubEscalated}

// AgentCloseReasons are the closed sub-statuses an agent may close with.
var AgentCloseReasons = []SubStatus{SubResolved, SubCloseAgreed, SubOutOfScope}

// ReopenWindow is how long after closing a customer may reopen a case by
// default; after it, a follow-up case is opened instead.
const ReopenWindow = 30 * 24 * time.Hour

// Transition is the request to apply action to a case in sub-status from.
// Target names the sub-status for ActSetStatus and the reason for an agent's
// ActClose; it is ignored otherwise.
type Transition struct {
	From   SubStatus
	Action Action
	Actor  Actor
	Target SubStatus
}

// Next returns the sub-status a transition leads to, or EFORBIDDEN with
// "case.action_not_allowed" (or EINVALID for a bad Target) when the rules
// refuse it. It is the one place that knows the state table.
func Next(t Transition) (SubStatus, error) {
	open := t.From.Status() == Open
	refuse := func() (SubStatus, error) { return "", Errorf(EFORBIDDEN, "case.action_not_allowed") }
	if !t.From.Valid() {
		return refuse()
	}
	switch t.Actor {
	case ActorCustomer:
		switch t.Action {
		case ActComment:
			switch {
			case !open:
				return refuse()
			case t.From.WaitingOnCustomer():
				return SubCustomerUpdated, nil
			}
			return t.From, nil
		case ActAcceptSolution:
			if t.From == SubSolutionProposed {
				return SubResolved, nil
			}
		case ActRejectSolution:
			if t.From == SubSolutionProposed {
				return SubCustomerUpdated, nil
			}
		case ActClose:
			if open {
				return SubClosedByCustomer, nil
			}
		case ActReopen:
			if !open {
				return SubCustomerUpdated, nil
			}
		}
	case ActorAgent:
		switch t.Action {
		case ActComment:
			switch {
			case !open:
				return refuse()
			case t.From == SubNew || t.From == SubCustomerUpdated:
				// Answering is taking the case up.
				return SubInProgress, nil
			}
			return t.From, nil
		case ActInternalNote:
			// Notes may be added to closed cases too: they are the team's record.
			return t.From, nil
		case ActSetStatus:
			if !open {
				return refuse()
			}
			for _, s := range AgentSettable {
				if s == t.Target {
					return s, nil
				}
			}
			return "", Errorf(EINVALID, "case.status_invalid")
		case ActEscalate:
			if open && t.From != SubEscalated {
				return SubEscalated, nil
			}
		case ActProposeSolution:
			if open {
				return SubSolutionProposed, nil
			}
		case ActClose:
			if !open {
				return refuse()
			}
			for _, s := range AgentCloseReasons {
				if s == t.Target {
					return s, nil
				}
			}
			return "", Errorf(EINVALID, "case.close_reason_invalid")
		}
	case ActorSystem:
		if t.Action == ActAutoClose && t.From.WaitingOnCustomer() {
			return SubNoResponse, nil
		}
	}
	return refuse()
}

// Allowed returns the actions actor may take on a case in from, so pages
// offer exactly what Next accepts. Actions that need a Target are allowed
// when at least one target is.
func Allowed(from SubStatus, actor Actor) []Action {
	var out []Action
	for _, a := range Actions {
		t := Transition{From: from, Action: a, Actor: actor}
		switch a {
		case ActSetStatus:
			t.Target = AgentSettable[0]
		case ActClose:
			if actor == ActorAgent {
				t.Target = AgentCloseReasons[0]
			}
		}
		if _, err := Next(t); err == nil {
			out = append(out, a)
		}
	}
	return out
}
