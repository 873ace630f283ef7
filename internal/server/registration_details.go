package server

import (
	"time"

	"madoguchi/internal/i18n"
	"madoguchi/internal/portal"
)

// callingCode is a country offered in the registration form's country-code
// list. The form stores the country (ISO 3166-1 alpha-2), from which the
// calling code follows.
type callingCode struct {
	Country string
	Code    string
}

// callingCodes are the countries offered, most likely first. Their names are
// the keys register.country.code_XX.
var callingCodes = []callingCode{
	{"JP", "81"}, {"US", "1"}, {"CA", "1"}, {"GB", "44"}, {"DE", "49"}, {"FR", "33"}, {"IT", "39"},
	{"ES", "34"}, {"NL", "31"}, {"CH", "41"}, {"SE", "46"}, {"AU", "61"}, {"NZ", "64"}, {"CN", "86"},
	{"KR", "82"}, {"TW", "886"}, {"HK", "852"}, {"SG", "65"}, {"TH", "66"}, {"MY", "60"}, {"ID", "62"},
	{"PH", "63"}, {"VN", "84"}, {"IN", "91"}, {"BR", "55"}, {"MX", "52"},
}

// countryKey is the message key of a country's name.
func countryKey(country string) string { return "register.country.code_" + country }

func callingCodeOf(country string) (string, bool) {
	for _, c := range callingCodes {
		if c.Country == country {
			return c.Code, true
		}
	}
	return "", false
}

// countryLabel is how a stored country code is shown: "日本 | +81".
func countryLabel(l *i18n.Localizer, country string) string {
	code, ok := callingCodeOf(country)
	if !ok {
		return country
	}
	return l.T(countryKey(country)) + " | +" + code
}

// contactMethodKeys name the portal.ContactMethods.
var contactMethodKeys = map[string]string{
	"portal": "register.contact.portal",
	"email":  "register.contact.email",
	"phone":  "register.contact.phone",
}

func contactMethodLabel(l *i18n.Localizer, m string) string {
	if key, ok := contactMethodKeys[m]; ok {
		return l.T(key)
	}
	return m
}

func otpMethodLabel(l *i18n.Localizer, m portal.OTPMethod) string {
	switch m {
	case portal.OTPApp:
		return l.T("register.otp_app")
	case portal.OTPEmail:
		return l.T("register.otp_email")
	}
	return l.T("contacts.mfa_off")
}

func validTimeZoneChoice(tz string) bool {
	for _, z := range i18n.TimeZones {
		if z == tz {
			return true
		}
	}
	return false
}

// regOption is one <option> or radio button, labelled in the page's language.
type regOption struct {
	Value    string
	Label    string
	Selected bool
}

func timeZoneOptions(selected string) []regOption {
	opts := make([]regOption, 0, len(i18n.TimeZones))
	for _, z := range i18n.TimeZones {
		opts = append(opts, regOption{Value: z, Label: z, Selected: z == selected})
	}
	return opts
}

func countryOptions(l *i18n.Localizer, selected string) []regOption {
	opts := make([]regOption, 0, len(callingCodes))
	for _, c := range callingCodes {
		opts = append(opts, regOption{
			Value: c.Country, Label: l.T(countryKey(c.Country)) + " (+" + c.Code + ")", Selected: c.Country == selected,
		})
	}
	return opts
}

func contactMethodOptions(l *i18n.Localizer, selected string) []regOption {
	opts := make([]regOption, 0, len(portal.ContactMethods))
	for _, m := range portal.ContactMethods {
		opts = append(opts, regOption{Value: m, Label: contactMethodLabel(l, m), Selected: m == selected})
	}
	return opts
}

// regDetail is one labelled value of a registration request, as the approval
// page and the approvers' e-mail list them.
type regDetail struct {
	Label string
	Value string
}

// registrationDetails lists what a registrant entered, in the language of l,
// times in tz: the fields of the Thales approval mail.
func registrationDetails(l *i18n.Localizer, reg *portal.Registration, tz string) []regDetail {
	return []regDetail{
		{l.T("register.name"), reg.Name},
		{l.T("approval.account"), reg.AccountName},
		{l.T("register.email"), reg.Email},
		{l.T("register.time_zone"), reg.TimeZone},
		{l.T("register.country_code"), countryLabel(l, reg.CountryCode)},
		{l.T("register.phone"), reg.Phone},
		{l.T("register.mobile"), reg.Mobile},
		{l.T("register.contact_method"), contactMethodLabel(l, reg.ContactMethod)},
		{l.T("approval.otp_method"), otpMethodLabel(l, reg.OTPMethod)},
		{l.T("approval.requested_at"), l.DateTime(reg.CreatedAt, tz)},
	}
}

// registrationStatus is where a request stands at now, for display: an
// undecided request past its expiry, or one closed because a newer request
// for the address replaced it after expiry, shows as expired.
func registrationStatus(reg *portal.Registration, now time.Time) (key, class string, pending bool) {
	switch {
	case reg.State == portal.RegistrationRequested && now.Before(reg.ExpiresAt):
		return "approval.states.requested", "badge--warn", true
	case reg.State == portal.RegistrationRequested, reg.DecidedAt == nil:
		return "approval.states.expired", "badge--muted", false
	case reg.State == portal.RegistrationApproved:
		return "approval.states.approved", "badge--ok", false
	default:
		return "approval.states.rejected", "badge--muted", false
	}
}
