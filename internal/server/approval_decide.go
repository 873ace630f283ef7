package server

import (
	"net/http"
	"unicode/utf8"

	"madoguchi/internal/auth"
	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// maxReasonLen is the longest rejection reason, in characters.
const maxReasonLen = 1000

// approvalDecide approves or rejects a pending request. A request decided or
// expired before answers 410 with its page saying so; of two approvers
// pressing at once, one decides and the other sees that answer.
func (s *Server) approvalDecide(by approvalLookup, approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		rc := reqCtx(r)
		t, ok, err := s.approvalLoad(w, r, by)
		if !ok {
			return err
		}
		if _, _, pending := registrationStatus(t.reg, s.now()); !pending {
			return s.renderApproval(w, r, http.StatusGone, t, Form{}, rc.L.T(goneNotice(t.reg)))
		}
		r.Body = http.MaxBytesReader(w, r.Body, regFormMax)
		if err := r.ParseForm(); err != nil {
			return portal.Errorf(portal.EINVALID, "error.bad_request")
		}
		reg := t.reg
		d := store.Decision{RegistrationID: reg.ID, Approve: approve, Decider: rc.User, IP: rc.IP}
		to := recipient{Email: reg.Email, Name: reg.Name, Lang: registrantLang(reg)}
		var mail store.Mail
		if approve {
			token, hash := auth.NewToken()
			d.WelcomeHash, d.WelcomeExpires = hash, s.now().Add(portal.WelcomeTTL)
			mail, err = s.mail(to, "registration_approved", map[string]any{
				"Account": reg.AccountName,
				"Link":    s.cfg.BaseURL + "/welcome/" + token,
				"Hours":   int(portal.WelcomeTTL.Hours()),
			})
		} else {
			raw := r.PostForm.Get("reason")
			d.Reason = norm.Text(raw)
			form := Form{Values: map[string]string{"reason": raw}}
			switch {
			case d.Reason == "":
				form.Errors.Add("reason", "approval.reason_required")
			case utf8.RuneCountInString(d.Reason) > maxReasonLen:
				form.Errors.Add("reason", "approval.reason_too_long")
			}
			if len(form.Errors) > 0 {
				return s.renderApproval(w, r, http.StatusUnprocessableEntity, t, form, "")
			}
			mail, err = s.mail(to, "registration_rejected", map[string]any{
				"Account": reg.AccountName,
				"Reason":  d.Reason,
			})
		}
		if err != nil {
			return err
		}
		d.Mail = func(*portal.Registration) store.Mail { return mail }

		decided, err := s.store.DecideRegistration(ctx, d)
		switch portal.ErrorCode(err) {
		case "":
		case portal.EGONE:
			// Another approver was quicker: show what they decided.
			if again, lerr := s.approvalReload(r, t); lerr == nil {
				t = again
			}
			return s.renderApproval(w, r, http.StatusGone, t, Form{}, rc.L.T(portal.ErrorMessage(err)))
		case portal.ECONFLICT:
			// The address was registered (by an invitation) since the
			// request was made: it can only be rejected now.
			return s.renderApproval(w, r, http.StatusConflict, t, Form{}, rc.L.T("approval.email_taken"))
		default:
			return err
		}
		flash := "approval.approved_flash"
		if decided.State == portal.RegistrationRejected {
			flash = "approval.rejected_flash"
		}
		s.sessions.Put(ctx, "flash", flash)
		return seeOther(w, r, t.path)
	}
}

// approvalReload reads a request again after a refused decision.
func (s *Server) approvalReload(r *http.Request, t approvalTarget) (approvalTarget, error) {
	reg, err := s.store.RegistrationByID(r.Context(), t.reg.AccountID, t.reg.ID)
	if err != nil {
		return t, err
	}
	return approvalTarget{reg: reg, path: t.path}, nil
}

// goneNotice says why a request can no longer be decided.
func goneNotice(reg *portal.Registration) string {
	if reg.DecidedAt == nil {
		return "approval.expired"
	}
	return "approval.already_decided"
}

// registrantLang is the language a registrant reads their mails in: the one
// they registered in.
func registrantLang(reg *portal.Registration) string {
	if i18n.Supported(reg.Language) {
		return reg.Language
	}
	return i18n.Languages[0]
}
