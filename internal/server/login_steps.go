package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// Session keys of the sign-in area beyond those middleware.go declares.
const (
	// sessPendingMethod is the second-factor method a signed-in person is
	// pairing from the account page. Their current factor stays in force
	// until the new one is confirmed, so abandoning the switch loses nothing.
	sessPendingMethod = "otp_method_pending"
)

// Limits of the sign-in area. Per-address limits are strict; per-IP limits
// leave room for an office of people behind one NAT.
const (
	loginPerIPPerMinute   = 60 // password attempts from one address
	otpPerIPPerMinute     = 60 // code attempts from one address
	codeMailsAtLogin      = 10 // codes mailed by sign-ins, per user per 10 minutes
	codeResends           = 5  // codes mailed on request, per user per 10 minutes
	codeMailWindow        = 10 * time.Minute
	pairingAttempts       = 20 // wrong codes while pairing, per user per 10 minutes
	passwordChecks        = 10 // re-entered passwords, per user per 15 minutes
	passwordCheckWindow   = 15 * time.Minute
	forgotPerAddress      = 3 // reset mails per address per hour
	forgotPerIPPerHour    = 30
	resetPerIPPerMinute   = 20
	accountSavesPerMinute = 30
)

// nextStepPath re-reads the user after a sign-in step changed them and
// returns where they go now: the next step, or their landing page.
func (s *Server) nextStepPath(r *http.Request, userID int64) (string, error) {
	ctx := r.Context()
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return "", err
	}
	step := portal.NextSignInStep(u, s.signInState(ctx), u.CurrentTerms)
	if step == portal.StepDone {
		return s.landing(r, u), nil
	}
	return step.Path(), nil
}

// userRecipient addresses a mail to u in their language, or in the page's
// language when they have not chosen one.
func (s *Server) userRecipient(r *http.Request, u *portal.User) recipient {
	lang := u.Language
	if !i18n.Supported(lang) {
		lang = reqCtx(r).L.Lang
	}
	return recipient{Email: u.Email, Name: u.Name, Lang: lang}
}

// userTZ is the time zone times are shown in for u.
func userTZ(u *portal.User) string {
	if u == nil || u.TimeZone == "" {
		return "Asia/Tokyo"
	}
	return u.TimeZone
}

// fieldErrors turns err into messages for the "field" partial, which
// translates each value as a key. A message that needs data (such as the
// minimum password length) is translated here; a translated text passes
// through the partial unchanged, as it is not a key.
func fieldErrors(l *i18n.Localizer, err error) (portal.FieldErrors, bool) {
	var pe *portal.Error
	if errors.As(err, &pe) && pe.Field != "" && pe.Data != nil {
		return portal.FieldErrors{pe.Field: l.TMap(pe.Message, pe.Data)}, true
	}
	return portal.AsFieldErrors(err)
}

// mergeFieldErrors adds the messages of err to fe; it reports false when err
// is not about fields.
func mergeFieldErrors(l *i18n.Localizer, fe *portal.FieldErrors, err error) bool {
	more, ok := fieldErrors(l, err)
	if !ok {
		return false
	}
	for f, m := range more {
		fe.Add(f, m)
	}
	return true
}

// errorText is the translated message of a portal error with its data, for
// showing a refusal (such as a rate limit) on the page the person is on.
func errorText(l *i18n.Localizer, err error) string {
	var pe *portal.Error
	if errors.As(err, &pe) {
		if pe.Data != nil {
			return l.TMap(pe.Message, pe.Data)
		}
		return l.T(pe.Message)
	}
	return l.T("error.internal")
}

// retryText says when a lock that ends at until lets the person try again,
// in their time zone (Asia/Tokyo before anyone is known, the same for
// every address so that it reveals nothing).
func (s *Server) retryText(r *http.Request, key string, until time.Time) string {
	rc := reqCtx(r)
	tz := "Asia/Tokyo"
	if rc.sessionUser != nil {
		tz = userTZ(rc.sessionUser)
	}
	return rc.L.T(key, "Time", rc.L.Time(until, s.now(), tz))
}

// maskEmail shows enough of an address for its owner to recognise it
// ("t•••@example.com") without spelling it out on a shared screen.
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return email
	}
	first := []rune(local)[0]
	return string(first) + "•••@" + domain
}

// isTOTPShaped reports whether code (normalized) looks like a 6-digit code
// rather than a recovery code.
func isTOTPShaped(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
