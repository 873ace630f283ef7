package portal

import (
	"testing"
	"time"
)

func TestNextSignInStep(t *testing.T) {
	enrolled := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		user  User
		state SignInState
		terms int
		want  SignInStep
	}{
		{"EmailCodeFirst", User{OTPMethod: OTPEmail, MFARequired: true, MustChangePassword: true}, SignInState{}, 1, StepSecondFactor},
		{"UnpairedAppSkipsCode", User{OTPMethod: OTPApp, MFARequired: true, MustChangePassword: true}, SignInState{}, 1, StepChangePassword},
		{"PairedAppAsksCode", User{OTPMethod: OTPApp, MFAEnrolledAt: &enrolled, MFARequired: true}, SignInState{}, 1, StepSecondFactor},
		{"ChangeBeforeTerms", User{OTPMethod: OTPEmail, MustChangePassword: true}, SignInState{SecondFactorDone: true}, 1, StepChangePassword},
		{"TermsBeforePairing", User{OTPMethod: OTPApp, MFARequired: true, TermsVersion: 0}, SignInState{}, 1, StepTerms},
		{"NewTermsVersion", User{OTPMethod: OTPEmail, MFAEnrolledAt: &enrolled, TermsVersion: 1}, SignInState{SecondFactorDone: true}, 2, StepTerms},
		{"PairApp", User{OTPMethod: OTPApp, MFARequired: true, TermsVersion: 1}, SignInState{}, 1, StepPairing},
		{"EmailNotYetEnrolled", User{OTPMethod: OTPEmail, TermsVersion: 1}, SignInState{SecondFactorDone: true}, 1, StepPairing},
		{"RecoveryCodesToShow", User{OTPMethod: OTPEmail, MFAEnrolledAt: &enrolled, TermsVersion: 1}, SignInState{SecondFactorDone: true, RecoveryCodesPending: true}, 1, StepPairing},
		{"DoneWithEmail", User{OTPMethod: OTPEmail, MFAEnrolledAt: &enrolled, TermsVersion: 1}, SignInState{SecondFactorDone: true}, 1, StepDone},
		{"DoneWithApp", User{OTPMethod: OTPApp, MFAEnrolledAt: &enrolled, TermsVersion: 1}, SignInState{SecondFactorDone: true}, 1, StepDone},
		{"TwoFactorOffAllowed", User{OTPMethod: OTPNone, MFARequired: false, TermsVersion: 1}, SignInState{}, 1, StepDone},
		{"TwoFactorOffButRequired", User{OTPMethod: OTPNone, MFARequired: true, TermsVersion: 1}, SignInState{}, 1, StepPairing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextSignInStep(&tt.user, tt.state, tt.terms); got != tt.want {
				t.Errorf("NextSignInStep = %s, want %s", got, tt.want)
			}
		})
	}
}
