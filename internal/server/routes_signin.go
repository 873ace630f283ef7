package server

import (
	"github.com/go-chi/chi/v5"

	"madoguchi/internal/portal"
)

// signInRoutes: sign-in, second factor, terms, password change, forgot and
// reset password.
func (s *Server) signInRoutes(r chi.Router) {
	r.Get("/login", s.h(s.loginForm))
	r.Post("/login", s.h(s.login))
	r.Post("/logout", s.h(s.logout))

	r.Group(func(r chi.Router) {
		r.Use(s.requireStep(portal.StepSecondFactor, false))
		r.Get("/login/otp", s.h(s.otpForm))
		r.Post("/login/otp", s.h(s.otpSubmit))
		r.Post("/login/otp/resend", s.h(s.otpResend))
	})
	r.Group(func(r chi.Router) {
		r.Use(s.requireStep(portal.StepChangePassword, true))
		r.Get("/password/change", s.h(s.passwordChangeForm))
		r.Post("/password/change", s.h(s.passwordChange))
	})
	// A signed-in person may read the terms again; accepting is a step.
	r.With(s.requireStep(portal.StepTerms, true)).Get("/terms", s.h(s.termsForm))
	r.With(s.requireStep(portal.StepTerms, false)).Post("/terms", s.h(s.termsAccept))
	r.Group(func(r chi.Router) {
		r.Use(s.requireStep(portal.StepPairing, true))
		r.Get("/mfa/setup", s.h(s.mfaSetupForm))
		r.Post("/mfa/setup", s.h(s.mfaSetup))
	})

	r.Get("/password/forgot", s.h(s.passwordForgotForm))
	r.Post("/password/forgot", s.h(s.passwordForgot))
	r.Get("/password/forgot/sent", s.h(s.passwordForgotSent))
	r.Get("/password/reset/{token}", s.h(s.passwordResetForm))
	r.Post("/password/reset/{token}", s.h(s.passwordReset))
}

// accountRoutes: the signed-in person's own account page.
func (s *Server) accountRoutes(r chi.Router) {
	r.Get("/account", s.h(s.accountShow))
	r.Post("/account", s.h(s.accountSave))
	r.Post("/account/mfa/method", s.h(s.accountMFAMethod))
	r.Post("/account/mfa/recovery-codes", s.h(s.accountRecoveryCodes))
	r.Post("/account/mfa/disable", s.h(s.accountMFADisable))
}
