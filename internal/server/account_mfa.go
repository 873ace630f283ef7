package server

import (
	"net/http"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// accountMFAMethod starts pairing another second-factor method (or a new
// phone for the same one). Until the new factor is confirmed on /mfa/setup
// the current one stays in force, so an abandoned switch leaves nothing half
// done and nobody can pair their own device with the password alone.
func (s *Server) accountMFAMethod(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := portal.OTPMethod(r.PostFormValue("otp_method"))
	if !m.Valid() {
		var form Form
		form.Errors.Add("otp_method", "mfa.method_invalid")
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountPage{MFAForm: form})
	}
	s.sessions.Put(ctx, sessPendingMethod, string(m))
	s.sessions.Remove(ctx, sessPendingTOTP)
	return seeOther(w, r, "/mfa/setup")
}

// accountRecoveryCodes replaces the recovery codes; the new ones are shown
// once on /mfa/setup.
func (s *Server) accountRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u := rc.User
	if !u.MFAEnrolled() {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountPage{MFAAlert: rc.L.T("mfa.not_enrolled")})
	}
	codes, hashes := newRecoveryCodes()
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, hashes, store.Audit{ActorID: u.ID, AccountID: u.AccountID,
		Action: "mfa.recovery_codes", IP: rc.IP}); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessRecovery, codes)
	return seeOther(w, r, "/mfa/setup")
}

// accountMFADisable turns the second factor off where the organization
// allows it, after the password is entered again; never for staff.
func (s *Server) accountMFADisable(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u := rc.User
	if u.Role.Staff() {
		return s.renderAccount(w, r, http.StatusForbidden, accountPage{MFAAlert: rc.L.T("mfa.required_staff")})
	}
	if u.MFARequired {
		return s.renderAccount(w, r, http.StatusForbidden, accountPage{MFAAlert: rc.L.T("mfa.required_by_policy")})
	}
	if !u.MFAEnrolled() {
		return seeOther(w, r, "/account")
	}
	if err := s.limit(r, "password:check:"+itoa(u.ID), passwordCheckWindow, passwordChecks); err != nil {
		if portal.ErrorCode(err) != portal.ETOOMANY {
			return err
		}
		return s.renderAccount(w, r, http.StatusTooManyRequests, accountPage{MFAAlert: errorText(rc.L, err)})
	}
	var form Form
	password := r.PostFormValue("password")
	if password == "" {
		form.Errors.Add("password", "account.password_required")
	} else if ok, err := s.hasher.Verify(password, u.PasswordHash); err != nil {
		return err
	} else if !ok {
		form.Errors.Add("password", "account.password_wrong")
	}
	if len(form.Errors) > 0 {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountPage{MFAForm: form})
	}
	to := s.userRecipient(r, u)
	mail, err := s.mail(to, "mfa_disabled", map[string]any{
		"When": s.bundle.Localizer(to.Lang).DateTime(s.now(), userTZ(u)),
	})
	if err != nil {
		return err
	}
	err = s.store.DisableMFA(ctx, u.ID, mail, store.Audit{ActorID: u.ID, AccountID: u.AccountID,
		Action: "mfa.disable", IP: rc.IP})
	if portal.ErrorCode(err) == portal.EFORBIDDEN {
		return s.renderAccount(w, r, http.StatusForbidden, accountPage{MFAAlert: rc.L.T(portal.ErrorMessage(err))})
	}
	if err != nil {
		return err
	}
	s.sessions.Remove(ctx, sessPendingMethod)
	s.sessions.Remove(ctx, sessPendingTOTP)
	s.sessions.Put(ctx, "flash", "mfa.disabled_done")
	return seeOther(w, r, "/account")
}
