package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"unicode/utf8"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

const (
	adminAccountsPage = 50
	accountNameMax    = 200
	identifierMax     = 32
	adminSearchMax    = 100
)

// identifierRE is what a customer identifier may be once normalized: what
// people can type on any keyboard and read out on the phone.
var identifierRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]*$`)

type adminAccountsPageData struct {
	Base
	Search   string
	Accounts []adminAccountRow
	Next     string // the next page's URL, if there may be one
	First    string // the first page's URL, when not on it
	Create   Form
}

type adminAccountRow struct {
	Link       string
	Name       string
	Identifier string
	MFAKey     string
	MFAClass   string
	Partner    bool
	Contacts   string
	Created    string
}

// adminAccounts lists organizations by name, with a search over names and
// identifiers, and the form that creates one.
func (s *Server) adminAccounts(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminAccounts(w, r, http.StatusOK, Form{Values: map[string]string{"mfa_required": "1"}})
}

func (s *Server) renderAdminAccounts(w http.ResponseWriter, r *http.Request, status int, create Form) error {
	rc := reqCtx(r)
	l := rc.L
	q := r.URL.Query()
	search := norm.Text(q.Get("q"))
	if utf8.RuneCountInString(search) > adminSearchMax {
		search = string([]rune(search)[:adminSearchMax])
	}
	query := store.AccountQuery{Search: search, Identifier: norm.Identifier(search), Limit: adminAccountsPage + 1}
	if id, err := strconv.ParseInt(q.Get("after_id"), 10, 64); err == nil && id > 0 {
		query.AfterID, query.AfterName = id, q.Get("after_name")
	}
	accounts, err := s.store.ListAccounts(r.Context(), query)
	if err != nil {
		return err
	}
	page := adminAccountsPageData{Base: s.base(r), Search: search, Create: create}
	if len(accounts) > adminAccountsPage {
		accounts = accounts[:adminAccountsPage]
		last := accounts[len(accounts)-1]
		next := url.Values{"after_name": {last.Name}, "after_id": {strconv.FormatInt(last.ID, 10)}}
		if search != "" {
			next.Set("q", search)
		}
		page.Next = "/admin/accounts?" + next.Encode()
	}
	if query.AfterID != 0 {
		page.First = "/admin/accounts"
		if search != "" {
			page.First += "?" + url.Values{"q": {search}}.Encode()
		}
	}
	for _, a := range accounts {
		row := adminAccountRow{
			Link: "/admin/accounts/" + strconv.FormatInt(a.ID, 10), Name: a.Name, Identifier: a.Identifier,
			Partner: a.IsPartner, Created: l.DateTime(a.CreatedAt, rc.User.TimeZone),
			Contacts: strconv.Itoa(a.Contacts),
		}
		if a.Contacts > store.ContactCountCap {
			row.Contacts = l.T("admin.contacts_many", "N", strconv.Itoa(store.ContactCountCap))
		}
		row.MFAKey, row.MFAClass = mfaPolicyLabel(a.MFARequired)
		page.Accounts = append(page.Accounts, row)
	}
	return s.render(w, r, status, "admin_accounts", page)
}

func mfaPolicyLabel(required bool) (key, class string) {
	if required {
		return "admin.mfa_required", "badge--ok"
	}
	return "admin.mfa_optional", "badge--muted"
}

// adminAccountCreate creates an organization, as `madoguchi account create`
// does, and shows it with its identifier.
func (s *Server) adminAccountCreate(w http.ResponseWriter, r *http.Request) error {
	rc := reqCtx(r)
	r.Body = http.MaxBytesReader(w, r.Body, regFormMax)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	form := Form{Values: map[string]string{}}
	for _, f := range []string{"name", "identifier", "mfa_required", "partner"} {
		form.Values[f] = r.PostForm.Get(f)
	}
	na := store.NewAccount{
		Name:        norm.Text(form.Get("name")),
		Identifier:  norm.Identifier(form.Get("identifier")),
		MFARequired: form.Get("mfa_required") == "1",
		Partner:     form.Get("partner") == "1",
	}
	switch {
	case na.Name == "":
		form.Errors.Add("name", "admin.name_required")
	case utf8.RuneCountInString(na.Name) > accountNameMax:
		form.Errors.Add("name", "admin.name_too_long")
	}
	switch {
	case na.Identifier == "":
	case len(na.Identifier) > identifierMax:
		form.Errors.Add("identifier", "admin.identifier_too_long")
	case !identifierRE.MatchString(na.Identifier):
		form.Errors.Add("identifier", "admin.identifier_invalid")
	}
	if len(form.Errors) == 0 {
		acc, err := s.store.CreateAccountAudited(r.Context(), na, store.Audit{ActorID: rc.User.ID, Action: "account.create", IP: rc.IP})
		if err == nil {
			s.sessions.Put(r.Context(), "flash", "admin.created_flash")
			return seeOther(w, r, "/admin/accounts/"+strconv.FormatInt(acc.ID, 10))
		}
		fe, ok := portal.AsFieldErrors(err)
		if !ok {
			return err
		}
		form.Errors = fe
	}
	return s.renderAdminAccounts(w, r, http.StatusUnprocessableEntity, form)
}
