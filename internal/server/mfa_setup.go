package server

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/pquerna/otp"

	"madoguchi/internal/auth"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// totpIssuer is the name authenticator apps show above the code.
const totpIssuer = "Madoguchi"

type mfaSetupPage struct {
	Base
	Form Form
	// Codes are the recovery codes, shown once after pairing or
	// regenerating; when set, the page shows only them.
	Codes []string
	// Method is being paired: "app", "email", or "" to choose one first.
	Method   portal.OTPMethod
	QR       template.URL // the otpauth:// URL as a PNG data: URI
	Secret   string       // base32, in groups of four
	Email    string
	Switch   bool // re-pairing from the account page; the current factor stays until confirmed
	Alert    string
	Required bool // the organization (or a staff role) requires a second factor
}

// pairingMethod says which method is to be paired, and whether anything is:
// a method chosen on the account page, else the user's own method when it is
// not paired yet ("" when they have none and must choose one).
func (s *Server) pairingMethod(r *http.Request) (m portal.OTPMethod, needed, switching bool) {
	u := reqCtx(r).sessionUser
	if pm := portal.OTPMethod(s.sessions.GetString(r.Context(), sessPendingMethod)); pm.Valid() {
		return pm, true, u.MFAEnrolled()
	}
	if !u.NeedsPairing() {
		return "", false, false
	}
	if u.OTPMethod.Valid() {
		return u.OTPMethod, true, false
	}
	return "", true, false
}

// totpKey rebuilds the key of a pending secret, for its QR code.
func totpKey(secret, account string) (*otp.Key, error) {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + account, RawQuery: v.Encode()}
	return otp.NewKeyFromURL(u.String())
}

// groupSecret writes a base32 secret in groups of four for typing.
func groupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pendingSecret returns the TOTP secret being paired, making one (kept in the
// session only, never stored until confirmed) if there is none yet.
func (s *Server) pendingSecret(r *http.Request, create bool) (string, error) {
	ctx := r.Context()
	secret := s.sessions.GetString(ctx, sessPendingTOTP)
	if secret != "" || !create {
		return secret, nil
	}
	key, err := auth.NewTOTPKey(totpIssuer, reqCtx(r).sessionUser.Email)
	if err != nil {
		return "", err
	}
	secret = key.Secret()
	s.sessions.Put(ctx, sessPendingTOTP, secret)
	return secret, nil
}

func (s *Server) renderMFASetup(w http.ResponseWriter, r *http.Request, status int, page mfaSetupPage) error {
	u := reqCtx(r).sessionUser
	page.Base = s.base(r)
	page.Email = u.Email
	page.Required = u.MFARequired
	if page.Codes == nil && page.Method == portal.OTPApp {
		secret, err := s.pendingSecret(r, true)
		if err != nil {
			return err
		}
		key, err := totpKey(secret, u.Email)
		if err != nil {
			return err
		}
		png, err := auth.TOTPQRCodePNG(key, 200)
		if err != nil {
			return err
		}
		page.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		page.Secret = groupSecret(secret)
	}
	return s.render(w, r, status, "mfa_setup", page)
}

// mfaSetupForm pairs a second factor, or shows the new recovery codes once.
func (s *Server) mfaSetupForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	if codes, ok := s.sessions.Pop(ctx, sessRecovery).([]string); ok && len(codes) > 0 {
		return s.renderMFASetup(w, r, http.StatusOK, mfaSetupPage{Codes: codes})
	}
	method, needed, switching := s.pairingMethod(r)
	if !needed {
		if rc.User != nil {
			return seeOther(w, r, "/account")
		}
		path, err := s.nextStepPath(r, rc.sessionUser.ID)
		if err != nil {
			return err
		}
		return seeOther(w, r, path)
	}
	return s.renderMFASetup(w, r, http.StatusOK, mfaSetupPage{Method: method, Switch: switching})
}

// mfaSetup chooses a method, mails a code, or confirms a code and pairs.
func (s *Server) mfaSetup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u := rc.sessionUser
	method, needed, switching := s.pairingMethod(r)
	if !needed {
		return seeOther(w, r, "/mfa/setup")
	}
	if method == "" {
		m := portal.OTPMethod(r.PostFormValue("otp_method"))
		if !m.Valid() {
			var form Form
			form.Errors.Add("otp_method", "mfa.method_invalid")
			return s.renderMFASetup(w, r, http.StatusUnprocessableEntity, mfaSetupPage{Form: form})
		}
		s.sessions.Put(ctx, sessPendingMethod, string(m))
		s.sessions.Remove(ctx, sessPendingTOTP)
		return seeOther(w, r, "/mfa/setup")
	}

	page := mfaSetupPage{Method: method, Switch: switching}
	code := norm.Code(r.PostFormValue("code"))
	if method == portal.OTPEmail && (code == "" || r.PostFormValue("send") != "") {
		if err := s.limit(r, codeMailKey(u.ID, "resend"), codeMailWindow, codeResends); err != nil {
			if portal.ErrorCode(err) != portal.ETOOMANY {
				return err
			}
			page.Alert = errorText(rc.L, err)
			return s.renderMFASetup(w, r, http.StatusTooManyRequests, page)
		}
		if err := s.sendEmailCode(r, u); err != nil {
			return err
		}
		s.sessions.Put(ctx, "flash", "mfa.code_sent")
		return seeOther(w, r, "/mfa/setup")
	}
	if code == "" {
		page.Form.Errors.Add("code", "otp.code_required")
		return s.renderMFASetup(w, r, http.StatusUnprocessableEntity, page)
	}
	if err := s.limit(r, "mfa:pair:"+itoa(u.ID), codeMailWindow, pairingAttempts); err != nil {
		if portal.ErrorCode(err) != portal.ETOOMANY {
			return err
		}
		page.Alert = errorText(rc.L, err)
		return s.renderMFASetup(w, r, http.StatusTooManyRequests, page)
	}

	e := store.Enrollment{Method: method,
		Audit: store.Audit{ActorID: u.ID, AccountID: u.AccountID, Action: "mfa.enroll", IP: rc.IP}}
	if switching {
		// Replacing a paired factor is its own act in the audit log: the
		// previous method is what an investigator asks about.
		e.Audit.Action = "mfa.method_change"
		e.Audit.Detail = map[string]any{"previous": string(u.OTPMethod)}
	}
	switch method {
	case portal.OTPApp:
		secret, err := s.pendingSecret(r, false)
		if err != nil {
			return err
		}
		if secret == "" {
			// The session lost the secret (it expired, or another tab
			// paired): start again with a new one.
			s.sessions.Put(ctx, "flash", "mfa.secret_expired")
			return seeOther(w, r, "/mfa/setup")
		}
		step, ok := auth.VerifyTOTP(secret, code, s.now(), 0)
		if !ok {
			page.Form.Errors.Add("code", "mfa.code_invalid")
			return s.renderMFASetup(w, r, http.StatusUnprocessableEntity, page)
		}
		e.TOTPSecret, e.TOTPStep = secret, step
	case portal.OTPEmail:
		ok, err := s.store.UseEmailCode(ctx, u.ID, auth.HashCode(code))
		if err != nil {
			return err
		}
		if !ok {
			page.Form.Errors.Add("code", "mfa.code_invalid")
			return s.renderMFASetup(w, r, http.StatusUnprocessableEntity, page)
		}
	}

	codes, hashes := newRecoveryCodes()
	e.RecoveryHash = hashes
	to := s.userRecipient(r, u)
	mail, err := s.mail(to, "mfa_enrolled", map[string]any{
		"Method": string(method),
		"When":   s.bundle.Localizer(to.Lang).DateTime(s.now(), userTZ(u)),
	})
	if err != nil {
		return err
	}
	e.Mails = []store.Mail{mail}
	if err := s.store.EnrollMFA(ctx, u.ID, e); err != nil {
		return err
	}
	s.sessions.Remove(ctx, sessPendingTOTP)
	s.sessions.Remove(ctx, sessPendingMethod)
	// Confirming a code proves the factor: this session has passed it.
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessSecondDone, true)
	s.sessions.Put(ctx, sessRecovery, codes)
	return seeOther(w, r, "/mfa/setup")
}
