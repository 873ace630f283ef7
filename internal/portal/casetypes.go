package portal

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// HelpType is the kind of help a case asks for.
type HelpType string

const (
	HelpProduct HelpType = "product" // product technical issue
	HelpPortal  HelpType = "portal"  // portal issue
)

// Valid reports whether h is a known type of help.
func (h HelpType) Valid() bool { return h == HelpProduct || h == HelpPortal }

// Priorities from 1-Critical to 4-Low; 3-Moderate is the default. Their
// labels and impact descriptions are the message keys priority.N and
// priority.N_impact.
const (
	PriorityCritical = 1
	PriorityHigh     = 2
	PriorityModerate = 3
	PriorityLow      = 4
	DefaultPriority  = PriorityModerate
)

// ValidPriority reports whether p is 1–4.
func ValidPriority(p int) bool { return p >= PriorityCritical && p <= PriorityLow }

// Limits of a case's fields and updates.
const (
	MaxCC              = 20
	MaxSubjectLen      = 200
	MaxDescriptionLen  = 20000
	MaxCommentLen      = 20000
	MaxImpactLen       = 4000
	MaxFilesPerUpdate  = 3
	DefaultMaxFileSize = 250 << 20
)

// Case is a support case.
type Case struct {
	ID             int64
	Number         string // CS + 7 digits
	AccountID      int64
	AccountName    string
	OpenedBy       int64
	OpenedByName   string
	HelpType       HelpType
	ProductID      int64
	ProductName    string
	ProductVersion string
	OS             string
	CategoryID     int64
	ProblemID      int64
	Priority       int
	Subject        string
	Description    string
	BusinessImpact string
	CC             []string
	Status         Status
	SubStatus      SubStatus
	AssignedTo     int64
	AssignedName   string
	Version        int
	FollowUpOf     int64
	FollowUpNumber string
	WaitingSince   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       *time.Time
}

// CaseNumber formats a sequence value as a case number.
func CaseNumber(n int64) string { return fmt.Sprintf("CS%07d", n) }

// ValidCaseNumber reports whether s looks like a case number, so that
// anything else is not found without asking the database.
func ValidCaseNumber(s string) bool {
	if len(s) != 9 || !strings.HasPrefix(s, "CS") {
		return false
	}
	for _, r := range s[2:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// CanView reports whether u may see case c: staff see every case; a
// customer sees their own cases, those they are CC'd on, and, as account
// administrator, every case of their organization.
func CanView(u *User, c *Case) bool {
	switch {
	case u == nil || u.Status != StatusActive:
		return false
	case u.Role.Staff():
		return true
	case u.AccountID != c.AccountID && !slices.Contains(c.CC, strings.ToLower(u.Email)):
		return false
	case u.ID == c.OpenedBy || u.IsAccountAdmin:
		return true
	}
	return slices.Contains(c.CC, strings.ToLower(u.Email))
}

// ActorOf is the state machine's actor for u.
func ActorOf(u *User) Actor {
	if u.Role.Staff() {
		return ActorAgent
	}
	return ActorCustomer
}

// CanReopen reports whether a closed case may still be reopened at now,
// given the reopen window; after it, a follow-up case is opened instead.
func (c *Case) CanReopen(now time.Time, window time.Duration) bool {
	return c.Status == Closed && c.ClosedAt != nil && now.Sub(*c.ClosedAt) <= window
}

// CaseEvent is one entry of a case's timeline.
type CaseEvent struct {
	ID         int64
	CaseID     int64
	At         time.Time
	ActorID    int64
	ActorName  string
	ActorStaff bool
	Kind       string // created, comment, internal_note, status, solution, fields, reopened, survey
	Action     Action
	Body       string
	Internal   bool
	From, To   SubStatus
	Detail     map[string]any
}

// Attachment is a file uploaded to a case.
type Attachment struct {
	ID           int64
	CaseID       int64
	EventID      int64
	Name         string
	Size         int64
	SHA256       string
	ContentType  string
	StorageKey   string
	UploadedBy   int64
	UploaderName string
	UploadedAt   time.Time
}

// Product is an entry of the catalog.
type Product struct {
	ID       int64
	Name     string
	Versions []string
	OSes     []string
	Active   bool
}

// Category groups problems; Names are per language.
type Category struct {
	ID     int64
	NameEN string
	NameJA string
}

// Problem belongs to a category.
type Problem struct {
	ID         int64
	CategoryID int64
	NameEN     string
	NameJA     string
}

// Name returns the name in lang.
func (c Category) Name(lang string) string {
	if lang == "ja" {
		return c.NameJA
	}
	return c.NameEN
}

// Name returns the name in lang.
func (p Problem) Name(lang string) string {
	if lang == "ja" {
		return p.NameJA
	}
	return p.NameEN
}

// SurveyQuestions is the number of 1–5 questions in the satisfaction survey.
const SurveyQuestions = 5
