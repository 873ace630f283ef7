package server

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"madoguchi/internal/auth"
	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Registration requests allowed per client address and hour. Every attempt
// counts, valid or not: the form says when an address is already registered
// (the flow requires it), and the limit keeps that from becoming a cheap
// address-enumeration service.
const registerPerHour = 10

// Limits on what a registration form accepts, in characters.
const (
	regIdentifierMax = 64
	regNameMax       = 100
	regPhoneMax      = 30
	regFormMax       = 64 << 10
)

// sessRegisteredEmail carries the address of a request just sent to the
// "request sent" page.
const sessRegisteredEmail = "registered_email"

var registerFields = []string{"customer_identifier", "name", "email", "time_zone", "country_code", "phone",
	"mobile", "contact_method", "otp_method"}

type registerPage struct {
	Base
	Form           Form
	TimeZones      []regOption
	Countries      []regOption
	ContactMethods []regOption
	OTPMethods     []regOption
}

func (s *Server) renderRegister(w http.ResponseWriter, r *http.Request, status int, form Form) error {
	l := reqCtx(r).L
	otp := []regOption{
		{Value: string(portal.OTPApp), Label: "register.otp_app"},
		{Value: string(portal.OTPEmail), Label: "register.otp_email"},
	}
	for i := range otp {
		otp[i].Selected = otp[i].Value == form.Get("otp_method")
	}
	return s.render(w, r, status, "register", registerPage{
		Base:           s.base(r),
		Form:           form,
		TimeZones:      timeZoneOptions(form.Get("time_zone")),
		Countries:      countryOptions(l, form.Get("country_code")),
		ContactMethods: contactMethodOptions(l, form.Get("contact_method")),
		OTPMethods:     otp,
	})
}

// registerForm shows the registration form (Thales 3.1).
func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderRegister(w, r, http.StatusOK, Form{Values: map[string]string{
		"time_zone": "Asia/Tokyo", "country_code": "JP", "contact_method": portal.ContactMethods[0],
		"otp_method": string(portal.OTPEmail),
	}})
}

// registration is a validated registration form.
type registration struct {
	account   *portal.Account
	approvers []*portal.User
	req       store.NewRegistration
}

// register files a registration request and e-mails every approver of the
// organization a link to decide it.
func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	if err := s.limit(r, "register:ip:"+rc.IP, time.Hour, registerPerHour); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, regFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	form := Form{Values: map[string]string{}}
	for _, f := range registerFields {
		form.Values[f] = r.PostForm.Get(f)
	}
	reg, err := s.checkRegistration(ctx, &form)
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return s.renderRegister(w, r, http.StatusUnprocessableEntity, form)
	}

	token, hash := auth.NewToken()
	now := s.now()
	reg.req.TokenHash = hash
	reg.req.Language = rc.L.Lang
	reg.req.ExpiresAt = now.Add(portal.ApprovalTTL)
	shown := &portal.Registration{
		AccountID: reg.account.ID, AccountName: reg.account.Name, Email: reg.req.Email, Name: reg.req.Name,
		TimeZone: reg.req.TimeZone, CountryCode: reg.req.CountryCode, Phone: reg.req.Phone, Mobile: reg.req.Mobile,
		ContactMethod: reg.req.ContactMethod, OTPMethod: reg.req.OTPMethod, CreatedAt: now, ExpiresAt: reg.req.ExpiresAt,
	}
	mails := make([]store.Mail, 0, len(reg.approvers))
	for _, a := range reg.approvers {
		m, err := s.registrationRequestMail(a, shown, token)
		if err != nil {
			return err
		}
		mails = append(mails, m)
	}
	if err := s.store.CreateRegistration(ctx, reg.req, mails); err != nil {
		if portal.ErrorCode(err) == portal.ECONFLICT {
			// An address registered or requested since the check above.
			form.Errors.Add("email", portal.ErrorMessage(err))
			return s.renderRegister(w, r, http.StatusUnprocessableEntity, form)
		}
		return err
	}
	s.sessions.Put(ctx, sessRegisteredEmail, reg.req.Email)
	return seeOther(w, r, "/register/sent")
}

// checkRegistration normalizes and validates a registration form, adding a
// message beside each field in error; the returned error is for failures of
// the store, not of the input.
func (s *Server) checkRegistration(ctx context.Context, form *Form) (*registration, error) {
	v := form.Values
	fe := &form.Errors
	reg := &registration{req: store.NewRegistration{
		Email:         norm.Email(v["email"]),
		Name:          norm.Text(v["name"]),
		TimeZone:      strings.TrimSpace(v["time_zone"]),
		CountryCode:   strings.ToUpper(strings.TrimSpace(v["country_code"])),
		Phone:         norm.Phone(v["phone"]),
		Mobile:        norm.Phone(v["mobile"]),
		ContactMethod: strings.TrimSpace(v["contact_method"]),
		OTPMethod:     portal.OTPMethod(strings.TrimSpace(v["otp_method"])),
	}}
	req := &reg.req

	identifier := norm.Identifier(v["customer_identifier"])
	switch {
	case identifier == "":
		fe.Add("customer_identifier", "register.identifier_required")
	case utf8.RuneCountInString(identifier) > regIdentifierMax:
		fe.Add("customer_identifier", "register.identifier_unknown")
	default:
		acc, err := s.store.AccountByIdentifier(ctx, identifier)
		switch {
		case portal.ErrorCode(err) == portal.ENOTFOUND:
			fe.Add("customer_identifier", "register.identifier_unknown")
		case err != nil:
			return nil, err
		default:
			approvers, err := s.store.Approvers(ctx, acc.ID)
			if err != nil {
				return nil, err
			}
			if len(approvers) == 0 {
				fe.Add("customer_identifier", "register.no_approver")
			}
			reg.account, reg.approvers = acc, approvers
			req.AccountID = acc.ID
		}
	}

	checkPersonName(fe, "name", req.Name)

	switch {
	case req.Email == "":
		fe.Add("email", "register.email_required")
	case !norm.ValidEmail(req.Email):
		fe.Add("email", "register.email_invalid")
	default:
		registered, pending, err := s.store.EmailInUse(ctx, req.Email)
		if err != nil {
			return nil, err
		}
		if registered {
			fe.Add("email", "register.email_taken")
		} else if pending {
			fe.Add("email", "register.email_pending")
		}
	}

	if !validTimeZoneChoice(req.TimeZone) || !i18n.ValidTimeZone(req.TimeZone) {
		fe.Add("time_zone", "register.time_zone_invalid")
	}
	if _, ok := callingCodeOf(req.CountryCode); !ok {
		fe.Add("country_code", "register.country_invalid")
	}
	if req.Phone == "" {
		fe.Add("phone", "register.phone_required")
	} else if !validRegPhone(req.Phone) {
		fe.Add("phone", "register.phone_invalid")
	}
	if req.Mobile != "" && !validRegPhone(req.Mobile) {
		fe.Add("mobile", "register.phone_invalid")
	}
	if !validContactMethod(req.ContactMethod) {
		fe.Add("contact_method", "register.contact_method_invalid")
	}
	if !req.OTPMethod.Valid() {
		fe.Add("otp_method", "register.otp_method_required")
	}
	return reg, nil
}

// checkPersonName validates a person's name as typed into field.
func checkPersonName(fe *portal.FieldErrors, field, name string) {
	switch {
	case name == "":
		fe.Add(field, "register.name_required")
	case utf8.RuneCountInString(name) > regNameMax:
		fe.Add(field, "register.name_too_long")
	case strings.Contains(name, "://") || strings.ContainsAny(name, "\n\t"):
		// A name is quoted in mails to approvers, where a link in it would
		// look like one of ours.
		fe.Add(field, "register.name_invalid")
	}
}

// validRegPhone accepts what people write in a phone number once normalized:
// digits with spaces, hyphens, parentheses, dots and a leading +.
func validRegPhone(p string) bool {
	if len(p) > regPhoneMax {
		return false
	}
	digits := 0
	for i, c := range p {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		case c == '+' && i == 0:
		default:
			return false
		}
	}
	return digits >= 4
}

func validContactMethod(m string) bool {
	for _, known := range portal.ContactMethods {
		if m == known {
			return true
		}
	}
	return false
}

// registrationRequestMail is the mail to approver a about reg, in the
// approver's language and time zone (Japanese when they have none).
func (s *Server) registrationRequestMail(a *portal.User, reg *portal.Registration, token string) (store.Mail, error) {
	l := s.bundle.Localizer(a.Language)
	tz := a.TimeZone
	if tz == "" {
		tz = "Asia/Tokyo"
	}
	return s.mail(recipient{Email: a.Email, Name: a.Name, Lang: l.Lang}, "registration_request", map[string]any{
		"Applicant": reg.Name,
		"Account":   reg.AccountName,
		"Details":   registrationDetails(l, reg, tz),
		"Link":      s.cfg.BaseURL + "/approvals/" + token,
		"Expires":   l.DateTime(reg.ExpiresAt, tz),
	})
}

type registerSentPage struct {
	Base
	Email string
}

// registerSent confirms that a request went to the approvers.
func (s *Server) registerSent(w http.ResponseWriter, r *http.Request) error {
	email := s.sessions.GetString(r.Context(), sessRegisteredEmail)
	return s.render(w, r, http.StatusOK, "register_done", registerSentPage{Base: s.base(r), Email: email})
}
