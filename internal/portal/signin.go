package portal

// SignInStep is what a person who has given a correct password must do next
// before they can use the portal.
type SignInStep string

const (
	StepSecondFactor   SignInStep = "second_factor"   // /login/otp
	StepChangePassword SignInStep = "change_password" // /password/change
	StepTerms          SignInStep = "terms"           // /terms
	StepPairing        SignInStep = "pairing"         // /mfa/setup
	StepDone           SignInStep = "done"
)

// SignInState is what the session knows about a sign-in in progress.
type SignInState struct {
	SecondFactorDone bool
	// RecoveryCodesPending is set when codes were generated and not yet shown.
	RecoveryCodesPending bool
}

// NextSignInStep derives the next step from the user's record and the session,
// so that no step can be skipped by visiting another URL: the code first (it
// proves the person), then a forced password change, the current terms, and
// pairing a second factor (or seeing the recovery codes once).
func NextSignInStep(u *User, s SignInState, currentTerms int) SignInStep {
	switch {
	case u.NeedsSecondFactor() && !s.SecondFactorDone:
		return StepSecondFactor
	case u.MustChangePassword:
		return StepChangePassword
	case u.TermsVersion < currentTerms:
		return StepTerms
	case u.NeedsPairing() || s.RecoveryCodesPending:
		return StepPairing
	}
	return StepDone
}

// Path returns the route of a step.
func (s SignInStep) Path() string {
	switch s {
	case StepSecondFactor:
		return "/login/otp"
	case StepChangePassword:
		return "/password/change"
	case StepTerms:
		return "/terms"
	case StepPairing:
		return "/mfa/setup"
	}
	return ""
}
