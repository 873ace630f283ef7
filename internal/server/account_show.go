package server

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"madoguchi/internal/i18n"
	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Longest values the account page accepts, in characters.
const (
	maxNameLen  = 100
	maxPhoneLen = 30
)

type accountPage struct {
	Base
	Form           Form // the profile
	MFAForm        Form // the second-factor actions (otp_method, password)
	MFAAlert       string
	Email          string
	Organization   string
	RoleKey        string
	TimeZones      []string
	Countries      []regOption // the registration form's country list
	ContactMethods []string
	Languages      []string
	MFAMethod      portal.OTPMethod
	MFAEnrolled    bool
	PairedSince    string
	RecoveryLeft   int
	CanDisable     bool // the policy lets this person turn the second factor off
	Staff          bool
}

// profileForm is the account form filled from the user's record.
func profileForm(u *portal.User) Form {
	return Form{Values: map[string]string{
		"name": u.Name, "time_zone": u.TimeZone, "country_code": u.CountryCode, "phone": u.Phone,
		"mobile": u.Mobile, "contact_method": u.ContactMethod, "language": u.Language,
	}}
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, page accountPage) error {
	ctx := r.Context()
	u := reqCtx(r).User
	page.Base = s.base(r)
	if page.Form.Values == nil {
		page.Form = profileForm(u)
		if !i18n.Supported(page.Form.Values["language"]) {
			page.Form.Values["language"] = page.Lang
		}
	}
	page.Email = u.Email
	page.Organization = u.AccountName
	page.RoleKey = "account.role_" + string(u.Role)
	page.Staff = u.Role.Staff()
	page.TimeZones = i18n.TimeZones
	if tz := page.Form.Get("time_zone"); tz != "" && !slices.Contains(page.TimeZones, tz) && i18n.ValidTimeZone(tz) {
		page.TimeZones = append([]string{tz}, page.TimeZones...)
	}
	page.Countries = accountCountryOptions(page.L, page.Form.Get("country_code"))
	page.ContactMethods = portal.ContactMethods
	page.Languages = i18n.Languages
	page.MFAMethod = u.OTPMethod
	page.MFAEnrolled = u.MFAEnrolled()
	if page.MFAEnrolled {
		page.PairedSince = page.L.DateTime(*u.MFAEnrolledAt, userTZ(u))
		n, err := s.store.RecoveryCodesLeft(ctx, u.ID)
		if err != nil {
			return err
		}
		page.RecoveryLeft = n
	}
	page.CanDisable = page.MFAEnrolled && !u.MFARequired && !u.Role.Staff()
	return s.render(w, r, status, "account", page)
}

// accountShow is the signed-in person's own settings and security page.
func (s *Server) accountShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, accountPage{})
}

// accountSave saves name, time zone, phones, contact method and language.
func (s *Server) accountSave(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rc := reqCtx(r)
	u := rc.User
	if err := s.limit(r, "account:save:"+itoa(u.ID), time.Minute, accountSavesPerMinute); err != nil {
		return err
	}
	p := store.Profile{
		Name:          norm.Text(r.PostFormValue("name")),
		TimeZone:      strings.TrimSpace(r.PostFormValue("time_zone")),
		CountryCode:   strings.ToUpper(strings.TrimSpace(r.PostFormValue("country_code"))),
		Phone:         norm.Phone(r.PostFormValue("phone")),
		Mobile:        norm.Phone(r.PostFormValue("mobile")),
		ContactMethod: r.PostFormValue("contact_method"),
		Language:      r.PostFormValue("language"),
	}
	form := Form{Values: map[string]string{
		"name": p.Name, "time_zone": p.TimeZone, "country_code": p.CountryCode, "phone": p.Phone,
		"mobile": p.Mobile, "contact_method": p.ContactMethod, "language": p.Language,
	}}
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0:
		form.Errors.Add("name", "account.name_required")
	case n > maxNameLen || strings.ContainsAny(p.Name, "\n\t"):
		form.Errors.Add("name", "account.name_invalid")
	}
	if !i18n.ValidTimeZone(p.TimeZone) {
		form.Errors.Add("time_zone", "account.time_zone_invalid")
	}
	// A country of the registration form's list, as registration stores it
	// ("JP"); none; or the value already stored, kept as it is.
	if _, listed := callingCodeOf(p.CountryCode); !listed && p.CountryCode != "" && p.CountryCode != u.CountryCode {
		form.Errors.Add("country_code", "account.country_code_invalid")
	}
	if !validPhone(p.Phone) {
		form.Errors.Add("phone", "account.phone_invalid")
	}
	if !validPhone(p.Mobile) {
		form.Errors.Add("mobile", "account.phone_invalid")
	}
	if !slices.Contains(portal.ContactMethods, p.ContactMethod) {
		form.Errors.Add("contact_method", "account.contact_method_invalid")
	}
	if !i18n.Supported(p.Language) {
		form.Errors.Add("language", "account.language_invalid")
	}
	if len(form.Errors) > 0 {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, accountPage{Form: form})
	}
	if err := s.store.UpdateProfile(ctx, u.ID, p); err != nil {
		return err
	}
	if p.Language != u.Language {
		// Pages shown after signing out follow the choice too.
		http.SetCookie(w, &http.Cookie{
			Name: "lang", Value: p.Language, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
			HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
		})
	}
	s.sessions.Put(ctx, "flash", "account.saved")
	return seeOther(w, r, "/account")
}

// accountCountryOptions is the registration form's country list with a
// "not set" choice first (the field is optional here) and, selected, a stored
// value that is not in the list, so that saving the form keeps it.
func accountCountryOptions(l *i18n.Localizer, selected string) []regOption {
	opts := append([]regOption{{Value: "", Label: l.T("account.country_code_none"), Selected: selected == ""}},
		countryOptions(l, selected)...)
	if _, listed := callingCodeOf(selected); !listed && selected != "" {
		opts = append(opts, regOption{Value: selected, Label: selected, Selected: true})
	}
	return opts
}

// validPhone accepts an empty value or a number as people write it: digits,
// spaces, hyphens, parentheses and a leading plus, at least one digit.
func validPhone(p string) bool {
	if p == "" {
		return true
	}
	if utf8.RuneCountInString(p) > maxPhoneLen {
		return false
	}
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '-' || r == '(' || r == ')':
		case r == '+' && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}
