package portal

import "time"

// Role is what a user is to the portal.
type Role string

const (
	RoleCustomer Role = "customer"
	RoleAgent    Role = "agent"
	RoleAdmin    Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleCustomer || r == RoleAgent || r == RoleAdmin
}

// Staff reports whether r belongs to the vendor's staff.
func (r Role) Staff() bool { return r == RoleAgent || r == RoleAdmin }

// UserStatus is where a user stands with the portal.
type UserStatus string

const (
	// StatusInvited users have no password yet: a welcome link is pending.
	StatusInvited  UserStatus = "invited"
	StatusActive   UserStatus = "active"
	StatusDisabled UserStatus = "disabled"
)

// OTPMethod is how a user receives second-factor codes.
type OTPMethod string

const (
	OTPApp   OTPMethod = "app"
	OTPEmail OTPMethod = "email"
	// OTPNone means second factor turned off, where the organization allows it.
	OTPNone OTPMethod = "none"
)

// Valid reports whether m is a method a user may choose.
func (m OTPMethod) Valid() bool { return m == OTPApp || m == OTPEmail }

// ContactMethods are the preferred ways to be contacted, in display order.
var ContactMethods = []string{"portal", "email", "phone"}

// MaxOTPFailures consecutive wrong codes lock the second factor until an
// administrator resets it.
const MaxOTPFailures = 100

// Account is a customer organization.
type Account struct {
	ID          int64
	Identifier  string
	Name        string
	MFARequired bool
	// IsPartner marks a partner organization: its contacts file and follow
	// cases for the customer organizations linked to it.
	IsPartner bool
	CreatedAt time.Time
}

// User is anyone who signs in: a customer contact or a member of staff.
type User struct {
	ID                 int64
	AccountID          int64 // 0 for staff
	AccountName        string
	Email              string
	Name               string
	Role               Role
	IsApprover         bool
	IsAccountAdmin     bool
	Status             UserStatus
	PasswordHash       string
	MustChangePassword bool
	OTPMethod          OTPMethod
	TOTPSecret         string
	TOTPLastStep       int64
	MFAEnrolledAt      *time.Time
	OTPFailures        int
	OTPLockedUntil     *time.Time
	TermsVersion       int
	TimeZone           string
	CountryCode        string
	Phone              string
	Mobile             string
	ContactMethod      string
	Language           string
	SessionEpoch       int
	MFARequired        bool // the organization's policy; always true for staff
	CurrentTerms       int  // the newest published terms version, read with the user
	CreatedAt          time.Time
}

// MFAEnrolled reports whether the user has paired a second factor.
func (u *User) MFAEnrolled() bool { return u.MFAEnrolledAt != nil && u.OTPMethod != OTPNone }

// NeedsSecondFactor reports whether signing in asks for a code after the
// password. An e-mail code can be sent before anything is paired, since the
// address itself was proved by the welcome or reset link; an authenticator app
// must have been paired first.
func (u *User) NeedsSecondFactor() bool {
	switch u.OTPMethod {
	case OTPEmail:
		return true
	case OTPApp:
		return u.MFAEnrolledAt != nil
	}
	return false
}

// NeedsPairing reports whether the user must pair a second factor before
// using the portal.
func (u *User) NeedsPairing() bool {
	if u.MFAEnrolled() {
		return false
	}
	return u.OTPMethod != OTPNone || u.MFARequired
}

// OTPLocked reports whether second-factor entry is locked at now, and until when.
func (u *User) OTPLocked(now time.Time) (bool, time.Time) {
	if u.OTPFailures >= MaxOTPFailures {
		return true, time.Time{}
	}
	if u.OTPLockedUntil != nil && now.Before(*u.OTPLockedUntil) {
		return true, *u.OTPLockedUntil
	}
	return false, time.Time{}
}

// CanManageAccount reports whether u administers customer account accountID.
func (u *User) CanManageAccount(accountID int64) bool {
	return u.Role == RoleCustomer && u.IsAccountAdmin && u.AccountID == accountID
}

// CanDecideRegistrations reports whether u may approve or reject requests to
// join account accountID: its approvers and account administrators, and staff
// administrators, who administer every organization.
func (u *User) CanDecideRegistrations(accountID int64) bool {
	if u.Role == RoleAdmin {
		return true
	}
	return u.Role == RoleCustomer && u.AccountID == accountID && (u.IsApprover || u.IsAccountAdmin)
}

// RegistrationState is where a registration request stands.
type RegistrationState string

const (
	RegistrationRequested RegistrationState = "requested"
	RegistrationApproved  RegistrationState = "approved"
	RegistrationRejected  RegistrationState = "rejected"
)

// Registration is a person's request to join a customer account.
type Registration struct {
	ID            int64
	AccountID     int64
	AccountName   string
	Email         string
	Name          string
	TimeZone      string
	CountryCode   string
	Phone         string
	Mobile        string
	ContactMethod string
	OTPMethod     OTPMethod
	Language      string
	State         RegistrationState
	Reason        string
	DecidedByName string
	DecidedAt     *time.Time
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Durations of the single-use links and codes.
const (
	ApprovalTTL     = 14 * 24 * time.Hour
	WelcomeTTL      = 72 * time.Hour
	ResetTTL        = time.Hour
	EmailCodeTTL    = 10 * time.Minute
	RecoveryCodeNum = 10
)

// TokenPurpose names what a single-use link is for.
type TokenPurpose string

const (
	TokenWelcome TokenPurpose = "welcome"
	TokenReset   TokenPurpose = "reset"
)
