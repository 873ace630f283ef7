package server

import (
	"fmt"
	"net/http"
	"time"

	"madoguchi/internal/auth"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

type otpPage struct {
	Base
	Form        Form
	Method      portal.OTPMethod
	MaskedEmail string
	Alert       string
	Locked      bool // locked until an administrator resets the factor
}

func (s *Server) renderOTP(w http.ResponseWriter, r *http.Request, status int, form Form, alert string) error {
	u := reqCtx(r).sessionUser
	page := otpPage{Base: s.base(r), Form: form, Method: u.OTPMethod, MaskedEmail: maskEmail(u.Email), Alert: alert}
	if locked, until := u.OTPLocked(s.now()); locked && until.IsZero() {
		page.Locked = true
	}
	return s.render(w, r, status, "login_otp", page)
}

// otpLockAlert is the message for a second factor that is locked now, or "".
func (s *Server) otpLockAlert(r *http.Request, u *portal.User) string {
	locked, until := u.OTPLocked(s.now())
	switch {
	case !locked:
		return ""
	case until.IsZero():
		return reqCtx(r).L.T("otp.locked_admin")
	default:
		return s.retryText(r, "otp.locked_until", until)
	}
}

// otpForm asks for the second factor.
func (s *Server) otpForm(w http.ResponseWriter, r *http.Request) error {
	u := reqCtx(r).sessionUser
	return s.renderOTP(w, r, http.StatusOK, Form{}, s.otpLockAlert(r, u))
}

// codeMailKey is the rate-limit key of codes mailed to a user for a reason.
func codeMailKey(userID int64, why string) string {
	return fmt.Sprintf("otp:mail:%s:%d", why, userID)
}

// sendEmailCode mails u a new one-time code, voiding the previous one. The
// text holds the code as its only 6-digit number: the validity is written
// as minutes and a clock time, never as a run of six digits.
func (s *Server) sendEmailCode(r *http.Request, u *portal.User) error {
	code := auth.NewEmailCode()
	now := s.now()
	expires := now.Add(portal.EmailCodeTTL)
	to := s.userRecipient(r, u)
	l := s.bundle.Localizer(to.Lang)
	mail, err := s.mail(to, "otp_code", map[string]any{
		"Code":    code,
		"Minutes": int(portal.EmailCodeTTL / time.Minute),
		"Until":   l.Time(expires, now, userTZ(u)),
	})
	if err != nil {
		return err
	}
	return s.store.CreateEmailCode(r.Context(), u.ID, auth.HashCode(code), expires, mail)
}

// otpSubmit checks a TOTP code, an e-mailed code or a recovery code.
func (s *Server) otpSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u := rc.sessionUser
	if err := s.limit(r, "otp:ip:"+rc.IP, time.Minute, otpPerIPPerMinute); err != nil {
		return err
	}
	if alert := s.otpLockAlert(r, u); alert != "" {
		return s.renderOTP(w, r, http.StatusTooManyRequests, Form{}, alert)
	}
	code := norm.Code(r.PostFormValue("code"))
	var form Form
	if code == "" {
		form.Errors.Add("code", "otp.code_required")
		return s.renderOTP(w, r, http.StatusUnprocessableEntity, form, "")
	}

	method, ok, err := s.checkSecondFactor(r, u, code)
	if err != nil {
		return err
	}
	if !ok {
		failures, until, err := s.store.RecordOTPFailure(ctx, u.ID, auth.OTPLockout, store.Audit{ActorID: u.ID,
			AccountID: u.AccountID, TargetUserID: u.ID, Action: "login.otp_failure", IP: rc.IP})
		if err != nil {
			return err
		}
		form.Errors.Add("code", "otp.invalid")
		switch {
		case failures >= portal.MaxOTPFailures:
			u.OTPFailures = failures
			return s.renderOTP(w, r, http.StatusTooManyRequests, form, rc.L.T("otp.locked_admin"))
		case until != nil && until.After(s.now()):
			return s.renderOTP(w, r, http.StatusTooManyRequests, form, s.retryText(r, "otp.locked_until", *until))
		}
		return s.renderOTP(w, r, http.StatusUnprocessableEntity, form, "")
	}

	if err := s.store.ClearOTPFailures(ctx, u.ID); err != nil {
		return err
	}
	if err := s.store.Record(ctx, store.Audit{ActorID: u.ID, AccountID: u.AccountID, TargetUserID: u.ID,
		Action: "login.otp_success", IP: rc.IP, Detail: map[string]any{"method": method}}); err != nil {
		return err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessSecondDone, true)
	if u.OTPMethod == portal.OTPEmail && u.MFAEnrolledAt == nil {
		// The first code that reaches the mailbox pairs the e-mail method;
		// the recovery codes are shown once at the end of signing in.
		codes, hashes := newRecoveryCodes()
		if err := s.store.EnrollMFA(ctx, u.ID, store.Enrollment{Method: portal.OTPEmail, RecoveryHash: hashes,
			Audit: store.Audit{ActorID: u.ID, AccountID: u.AccountID, Action: "mfa.enroll", IP: rc.IP}}); err != nil {
			return err
		}
		s.sessions.Put(ctx, sessRecovery, codes)
	}
	if method == "recovery" {
		s.sessions.Put(ctx, "flash", "otp.recovery_used")
	}
	path, err := s.nextStepPath(r, u.ID)
	if err != nil {
		return err
	}
	return seeOther(w, r, path)
}

// checkSecondFactor reports whether code is a valid second factor for u and
// consumes it, so that no code is accepted twice: a TOTP step is recorded
// with a conditional update, an e-mailed or recovery code is marked used by
// the update that checks it.
func (s *Server) checkSecondFactor(r *http.Request, u *portal.User, code string) (method string, ok bool, err error) {
	ctx := r.Context()
	if isTOTPShaped(code) {
		switch u.OTPMethod {
		case portal.OTPApp:
			if u.MFAEnrolledAt == nil || u.TOTPSecret == "" {
				return "app", false, nil
			}
			step, ok := auth.VerifyTOTP(u.TOTPSecret, code, s.now(), u.TOTPLastStep)
			if !ok {
				return "app", false, nil
			}
			ok, err := s.store.UseTOTPStep(ctx, u.ID, step)
			return "app", ok, err
		case portal.OTPEmail:
			ok, err := s.store.UseEmailCode(ctx, u.ID, auth.HashCode(code))
			return "email", ok, err
		}
		return "", false, nil
	}
	if !u.MFAEnrolled() {
		return "recovery", false, nil
	}
	ok, err = s.store.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(code), reqCtx(r).IP)
	return "recovery", ok, err
}

// newRecoveryCodes returns fresh recovery codes and their stored hashes.
func newRecoveryCodes() (codes, hashes []string) {
	codes = auth.NewRecoveryCodes(portal.RecoveryCodeNum)
	for _, c := range codes {
		hashes = append(hashes, auth.HashRecoveryCode(c))
	}
	return codes, hashes
}

// otpResend mails a new code, voiding the previous one.
func (s *Server) otpResend(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := reqCtx(r).sessionUser
	if u.OTPMethod != portal.OTPEmail {
		return seeOther(w, r, "/login/otp")
	}
	if locked, until := u.OTPLocked(s.now()); locked && until.IsZero() {
		return s.renderOTP(w, r, http.StatusTooManyRequests, Form{}, reqCtx(r).L.T("otp.locked_admin"))
	}
	if err := s.limit(r, codeMailKey(u.ID, "resend"), codeMailWindow, codeResends); err != nil {
		if portal.ErrorCode(err) != portal.ETOOMANY {
			return err
		}
		return s.renderOTP(w, r, http.StatusTooManyRequests, Form{}, errorText(reqCtx(r).L, err))
	}
	if err := s.sendEmailCode(r, u); err != nil {
		return err
	}
	s.sessions.Put(ctx, "flash", "otp.resent")
	return seeOther(w, r, "/login/otp")
}
