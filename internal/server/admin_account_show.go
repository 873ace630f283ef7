package server

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

type adminAccountPage struct {
	Base
	ID          int64
	Action      string // /admin/accounts/{id}
	Name        string
	Identifier  string
	Created     string
	MFARequired bool
	MFAKey      string
	MFAClass    string
	Partner     bool
	Customers   []adminLinkedAccount // a partner's customers
	Partners    []adminLinkedAccount // the partners serving a customer
	Link        Form
	Rename      Form
	Contacts    []contactRow
	Requests    []requestRow
	Invite      Form
	Error       string // translated: why an action was refused
}

type adminLinkedAccount struct {
	Link       string
	Name       string
	Identifier string
	Remove     string // the unlink action, on a partner's page
}

// adminAccountOf returns the organization named in the URL.
func (s *Server) adminAccountOf(r *http.Request) (*portal.Account, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return nil, notFound()
	}
	return s.store.AccountByID(r.Context(), id)
}

func accountPath(id int64) string { return "/admin/accounts/" + strconv.FormatInt(id, 10) }

func (s *Server) staffAudit(r *http.Request, action string) store.Audit {
	rc := reqCtx(r)
	return store.Audit{ActorID: rc.User.ID, Action: action, IP: rc.IP}
}

// adminAccountShow shows an organization: its identifier, 2FA policy,
// partner links, contacts and pending registration requests.
func (s *Server) adminAccountShow(w http.ResponseWriter, r *http.Request) error {
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return err
	}
	return s.renderAdminAccount(w, r, http.StatusOK, acc, adminPage{})
}

// adminPage carries the forms of a failed action back to the page.
type adminPage struct {
	rename Form
	link   Form
	invite Form
	errKey string
}

func (s *Server) renderAdminAccount(w http.ResponseWriter, r *http.Request, status int, acc *portal.Account, p adminPage) error {
	ctx := r.Context()
	rc := reqCtx(r)
	l, me, now := rc.L, rc.User, s.now()
	page := adminAccountPage{
		Base: s.base(r), ID: acc.ID, Action: accountPath(acc.ID), Name: acc.Name, Identifier: acc.Identifier,
		Created: l.DateTime(acc.CreatedAt, me.TimeZone), MFARequired: acc.MFARequired, Partner: acc.IsPartner,
		Link: p.link, Invite: p.invite, Rename: p.rename,
	}
	if page.Rename.Values == nil {
		page.Rename = Form{Values: map[string]string{"account_name": acc.Name}}
	}
	if page.Invite.Values == nil {
		page.Invite = Form{Values: map[string]string{"otp_method": string(portal.OTPEmail), "language": "ja"}}
	}
	if p.errKey != "" {
		page.Error = l.T(p.errKey)
	}
	page.MFAKey, page.MFAClass = mfaPolicyLabel(acc.MFARequired)
	if acc.IsPartner {
		customers, err := s.store.PartnerCustomers(ctx, acc.ID)
		if err != nil {
			return err
		}
		for _, c := range customers {
			page.Customers = append(page.Customers, adminLinkedAccount{Link: accountPath(c.ID), Name: c.Name,
				Identifier: c.Identifier, Remove: page.Action + "/customers/" + strconv.FormatInt(c.ID, 10) + "/remove"})
		}
	}
	partners, err := s.store.PartnersOf(ctx, acc.ID)
	if err != nil {
		return err
	}
	for _, p := range partners {
		page.Partners = append(page.Partners, adminLinkedAccount{Link: accountPath(p.ID), Name: p.Name, Identifier: p.Identifier})
	}
	users, err := s.store.AccountUsers(ctx, acc.ID)
	if err != nil {
		return err
	}
	for _, u := range users {
		page.Contacts = append(page.Contacts, contactRowOf(l, u, me, now))
	}
	regs, err := s.store.PendingRegistrations(ctx, acc.ID, maxRequestsShown)
	if err != nil {
		return err
	}
	for _, reg := range regs {
		key, class, _ := registrationStatus(reg, now)
		page.Requests = append(page.Requests, requestRow{
			Name: reg.Name, Email: reg.Email, RequestedAt: l.DateTime(reg.CreatedAt, me.TimeZone),
			StateKey: key, StateClass: class,
			Link: page.Action + "/requests/" + strconv.FormatInt(reg.ID, 10),
		})
	}
	return s.render(w, r, status, "admin_account", page)
}

// adminAccountMFA sets whether the organization's contacts must use a
// second factor. It applies to each contact from their next request: one
// without a paired factor is sent to pair one.
func (s *Server) adminAccountMFA(w http.ResponseWriter, r *http.Request) error {
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return err
	}
	required := r.PostFormValue("mfa_required") == "1"
	if err := s.store.SetAccountMFARequired(r.Context(), acc.ID, required, s.staffAudit(r, "account.mfa_policy")); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), "flash", "admin.mfa_saved_flash")
	return seeOther(w, r, accountPath(acc.ID))
}

// adminAccountPartner marks the organization as a partner or not.
func (s *Server) adminAccountPartner(w http.ResponseWriter, r *http.Request) error {
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return err
	}
	partner := r.PostFormValue("partner") == "1"
	if err := s.store.SetAccountPartner(r.Context(), acc.ID, partner, s.staffAudit(r, "account.partner")); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), "flash", "admin.partner_saved_flash")
	return seeOther(w, r, accountPath(acc.ID))
}

// adminAccountLink lets a partner organization serve the customer
// organization whose identifier is typed.
func (s *Server) adminAccountLink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return err
	}
	raw := r.PostFormValue("identifier")
	form := Form{Values: map[string]string{"identifier": raw}}
	identifier := norm.Identifier(raw)
	var customer *portal.Account
	switch {
	case !acc.IsPartner:
		form.Errors.Add("identifier", "admin.not_partner")
	case identifier == "":
		form.Errors.Add("identifier", "admin.customer_required")
	case len(identifier) > identifierMax:
		form.Errors.Add("identifier", "admin.customer_unknown")
	default:
		customer, err = s.store.AccountByIdentifier(ctx, identifier)
		switch {
		case portal.ErrorCode(err) == portal.ENOTFOUND:
			form.Errors.Add("identifier", "admin.customer_unknown")
		case err != nil:
			return err
		case customer.ID == acc.ID:
			form.Errors.Add("identifier", "partner.self")
		}
	}
	if len(form.Errors) == 0 {
		err = s.store.LinkPartner(ctx, acc.ID, customer.ID, s.staffAudit(r, "partner.link"))
		if err == nil {
			s.sessions.Put(ctx, "flash", "admin.linked_flash")
			return seeOther(w, r, accountPath(acc.ID))
		}
		if portal.ErrorCode(err) != portal.EINVALID {
			return err
		}
		form.Errors.Add("identifier", portal.ErrorMessage(err))
	}
	return s.renderAdminAccount(w, r, http.StatusUnprocessableEntity, acc, adminPage{link: form})
}

// adminAccountUnlink ends a partner's link to a customer organization.
func (s *Server) adminAccountUnlink(w http.ResponseWriter, r *http.Request) error {
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return err
	}
	customer, err := strconv.ParseInt(chi.URLParam(r, "customer"), 10, 64)
	if err != nil {
		return notFound()
	}
	if err := s.store.UnlinkPartner(r.Context(), acc.ID, customer, s.staffAudit(r, "partner.unlink")); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), "flash", "admin.unlinked_flash")
	return seeOther(w, r, accountPath(acc.ID))
}

// adminAccountRename changes the organization's name; its identifier, which
// its contacts know it by, stays.
func (s *Server) adminAccountRename(w http.ResponseWriter, r *http.Request) error {
	acc, err := s.adminAccountOf(r)
	if err != nil {
		return err
	}
	// Not "name": the invitation form on the same page has that field.
	raw := r.PostFormValue("account_name")
	form := Form{Values: map[string]string{"account_name": raw}}
	name := norm.Text(raw)
	switch {
	case name == "":
		form.Errors.Add("account_name", "admin.name_required")
	case utf8.RuneCountInString(name) > accountNameMax:
		form.Errors.Add("account_name", "admin.name_too_long")
	default:
		err = s.store.RenameAccount(r.Context(), acc.ID, name, s.staffAudit(r, "account.rename"))
		if err == nil {
			s.sessions.Put(r.Context(), "flash", "admin.renamed_flash")
			return seeOther(w, r, accountPath(acc.ID))
		}
		fe, ok := portal.AsFieldErrors(err)
		if !ok {
			return err
		}
		form.Errors.Add("account_name", fe["name"])
	}
	return s.renderAdminAccount(w, r, http.StatusUnprocessableEntity, acc, adminPage{rename: form})
}
