package server

import (
	"context"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Cases a customer may file per hour. Every POST counts, before its body is
// read, so that a refused request stores nothing.
const caseCreatePerHour = 30

// caseFormMax bounds an urlencoded create-case form (readUpload bounds the
// text of a multipart one).
// The description's 20,000 characters are at most 80 kB of UTF-8,
// percent-encoded three times that.
const caseFormMax = 512 << 10

// caseNewFields are the create-case form's text fields: the documented
// interface plus the hidden form_token and follow_up.
var caseNewFields = []string{"type", "product_id", "product_version", "os", "category", "problem", "priority",
	"subject", "description", "cc", "business_impact", "form_token", "follow_up"}

type caseNewPage struct {
	Base
	Form       Form
	Types      []newCaseOption
	Products   []newCaseOption
	Versions   []newCaseGroup
	OSes       []newCaseGroup
	Categories []newCaseOption
	Problems   []newCaseGroup
	Priorities []newCasePriority
	// CCLines are the CC lines refused, shown under the field's message.
	CCLines []string
	// FilesAgain says that files were sent with a form that had errors.
	FilesAgain     bool
	FollowUp       string // the number of the case followed up on
	AttachmentHint string
	MaxFiles       int
	MaxFileSize    int64
	// Messages app.js shows when too many or too large files are chosen,
	// before anything is sent; "{name}" stands for the file's name.
	TooManyText  string
	TooLargeText string
}

// newCaseOption is an <option> (or a radio button); Data is its data-product or
// data-category attribute.
type newCaseOption struct {
	Value    string
	Label    string
	Data     string
	Selected bool
}

type newCaseGroup struct {
	Label   string
	Options []newCaseOption
}

type newCasePriority struct {
	Value    string
	Label    string
	Impact   string
	Selected bool
}

// newCaseCatalog is what the form offers.
type newCaseCatalog struct {
	products   []portal.Product
	categories []portal.Category
	problems   []portal.Problem
}

func (s *Server) newCaseCatalog(ctx context.Context) (*newCaseCatalog, error) {
	var c newCaseCatalog
	var err error
	if c.products, err = s.store.Products(ctx); err != nil {
		return nil, err
	}
	if c.categories, err = s.store.Categories(ctx); err != nil {
		return nil, err
	}
	if c.problems, err = s.store.Problems(ctx); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *newCaseCatalog) product(id int64) *portal.Product {
	for i := range c.products {
		if c.products[i].ID == id {
			return &c.products[i]
		}
	}
	return nil
}

func (c *newCaseCatalog) category(id int64) *portal.Category {
	for i := range c.categories {
		if c.categories[i].ID == id {
			return &c.categories[i]
		}
	}
	return nil
}

func (c *newCaseCatalog) problem(id int64) *portal.Problem {
	for i := range c.problems {
		if c.problems[i].ID == id {
			return &c.problems[i]
		}
	}
	return nil
}

// renderCaseNew draws the form with form's values. Every choice is in the
// HTML: versions and operating systems grouped by product, problems by
// category, so the form works with JavaScript off; app.js only hides the
// options that do not belong to the current choice.
func (s *Server) renderCaseNew(w http.ResponseWriter, r *http.Request, status int, form Form, cat *newCaseCatalog, page caseNewPage) error {
	l := reqCtx(r).L
	v := form.Values
	page.Base = s.base(r)
	page.Form = form
	page.FollowUp = v["follow_up"]
	page.MaxFiles = portal.MaxFilesPerUpdate
	page.MaxFileSize = s.maxFileSize()
	size := fileSize(page.MaxFileSize)
	page.AttachmentHint = l.T("case_new.attachments_hint", "Files", page.MaxFiles, "Size", size)
	page.TooManyText = l.T("case_new.files_too_many", "Max", page.MaxFiles)
	page.TooLargeText = l.T("case_new.file_too_large", "Name", "{name}", "Max", size)
	page.Types = []newCaseOption{
		{Value: string(portal.HelpProduct), Label: l.T("case_new.type_product"), Selected: v["type"] == string(portal.HelpProduct)},
		{Value: string(portal.HelpPortal), Label: l.T("case_new.type_portal"), Selected: v["type"] == string(portal.HelpPortal)},
	}
	for _, p := range cat.products {
		id := strconv.FormatInt(p.ID, 10)
		chosen := v["product_id"] == id
		page.Products = append(page.Products, newCaseOption{Value: id, Label: p.Name, Selected: chosen})
		if len(p.Versions) > 0 {
			g := newCaseGroup{Label: p.Name}
			for _, ver := range p.Versions {
				g.Options = append(g.Options, newCaseOption{Value: ver, Label: ver, Data: id, Selected: chosen && v["product_version"] == ver})
			}
			page.Versions = append(page.Versions, g)
		}
		if len(p.OSes) > 0 {
			g := newCaseGroup{Label: p.Name}
			for _, os := range p.OSes {
				g.Options = append(g.Options, newCaseOption{Value: os, Label: os, Data: id, Selected: chosen && v["os"] == os})
			}
			page.OSes = append(page.OSes, g)
		}
	}
	groups := map[int64]int{}
	for _, c := range cat.categories {
		id := strconv.FormatInt(c.ID, 10)
		page.Categories = append(page.Categories, newCaseOption{Value: id, Label: c.Name(l.Lang), Selected: v["category"] == id})
		groups[c.ID] = len(page.Problems)
		page.Problems = append(page.Problems, newCaseGroup{Label: c.Name(l.Lang)})
	}
	for _, p := range cat.problems {
		i, ok := groups[p.CategoryID]
		if !ok {
			continue
		}
		cid := strconv.FormatInt(p.CategoryID, 10)
		id := strconv.FormatInt(p.ID, 10)
		page.Problems[i].Options = append(page.Problems[i].Options, newCaseOption{Value: id, Label: p.Name(l.Lang), Data: cid,
			Selected: v["category"] == cid && v["problem"] == id})
	}
	page.Problems = slices.DeleteFunc(page.Problems, func(g newCaseGroup) bool { return len(g.Options) == 0 })
	for p := portal.PriorityCritical; p <= portal.PriorityLow; p++ {
		n := strconv.Itoa(p)
		page.Priorities = append(page.Priorities, newCasePriority{Value: n, Label: l.T("priority." + n),
			Impact: l.T("priority." + n + "_impact"), Selected: v["priority"] == n})
	}
	return s.render(w, r, status, "case_new", page)
}

// caseNewForm shows an empty form, or with ?follow_up=CSnnnnnnn one filled
// from a closed case the person may see.
func (s *Server) caseNewForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cat, err := s.newCaseCatalog(ctx)
	if err != nil {
		return err
	}
	v := newCaseValues()
	if number := r.URL.Query().Get("follow_up"); number != "" {
		old, err := s.newCaseFollowUp(ctx, reqCtx(r).User, number)
		if err != nil {
			return err
		}
		subject := reqCtx(r).L.T("case_new.follow_up_subject", "Subject", old.Subject)
		if utf8.RuneCountInString(subject) > portal.MaxSubjectLen {
			subject = string([]rune(subject)[:portal.MaxSubjectLen])
		}
		v["follow_up"] = old.Number
		v["type"] = string(old.HelpType)
		v["subject"] = subject
		v["priority"] = strconv.Itoa(old.Priority)
		if old.ProductID != 0 {
			v["product_id"] = strconv.FormatInt(old.ProductID, 10)
			v["product_version"] = old.ProductVersion
			v["os"] = old.OS
		}
		if old.CategoryID != 0 {
			v["category"] = strconv.FormatInt(old.CategoryID, 10)
		}
		if old.ProblemID != 0 {
			v["problem"] = strconv.FormatInt(old.ProblemID, 10)
		}
		v["cc"] = strings.Join(old.CC, "\n")
	}
	return s.renderCaseNew(w, r, http.StatusOK, Form{Values: v}, cat, caseNewPage{})
}

// newCaseValues are the values of an empty form, with a new form token.
func newCaseValues() map[string]string {
	return map[string]string{
		"type":       string(portal.HelpProduct),
		"priority":   strconv.Itoa(portal.DefaultPriority),
		"form_token": randomString(18),
	}
}

// newCaseFollowUp returns the closed case number that u may follow up on;
// ENOTFOUND for a case they may not see (never revealing that it exists),
// EINVALID for one still open.
func (s *Server) newCaseFollowUp(ctx context.Context, u *portal.User, number string) (*portal.Case, error) {
	c, err := s.store.CaseByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	if !portal.CanView(u, c) {
		return nil, notFound()
	}
	if c.Status != portal.Closed {
		return nil, portal.Errorf(portal.EINVALID, "case_new.follow_up_open")
	}
	return c, nil
}

// caseNewInput is a submitted create-case form: its text fields and the
// files it carried, already in storage.
type caseNewInput struct {
	values url.Values
	files  []store.NewAttachment
	// discard removes the stored files of a submission that creates nothing.
	discard func(ctx context.Context)
}

// caseCreate files a case (DESIGN.md flow 7): validates the form, stores the
// case with its files and the "case opened" mail in one transaction, and
// sends the person to the new case. The same form submitted twice (a
// double-click) creates one case and answers both submissions alike.
func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, l := reqCtx(r).User, reqCtx(r).L
	if err := s.limit(r, "case:create:user:"+strconv.FormatInt(u.ID, 10), time.Hour, caseCreatePerHour); err != nil {
		return err
	}
	cat, err := s.newCaseCatalog(ctx)
	if err != nil {
		return err
	}
	in, typed, err := s.readCaseNew(w, r)
	if err != nil {
		// Over a file limit the whole form is refused and nothing of it
		// stored. The form comes back with the message beside the file
		// input and the text fields as typed: they precede the files in
		// the body (the file input is the form's last field).
		var fe portal.FieldErrors
		if !mergeFieldErrors(l, &fe, err) {
			return err
		}
		form := Form{Values: newCaseValues(), Errors: fe}
		for _, f := range caseNewFields {
			if typed.Has(f) {
				form.Values[f] = typed.Get(f)
			}
		}
		return s.renderCaseNew(w, r, http.StatusUnprocessableEntity, form, cat, caseNewPage{FilesAgain: true})
	}
	// Files are kept only by a case that was created from them; a detached
	// context removes them even when the client has gone away.
	keep := false
	defer func() {
		if !keep && in.discard != nil {
			in.discard(context.WithoutCancel(ctx))
		}
	}()

	form := Form{Values: map[string]string{}}
	for _, f := range caseNewFields {
		form.Values[f] = in.values.Get(f)
	}
	nc, bad, err := s.checkCaseNew(ctx, u, &form, cat)
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return s.renderCaseNew(w, r, http.StatusUnprocessableEntity, form, cat,
			caseNewPage{CCLines: bad, FilesAgain: len(in.files) > 0})
	}
	nc.Files = in.files

	product := ""
	if p := cat.product(nc.ProductID); p != nil {
		product = p.Name
	}
	c, created, err := s.store.CreateCase(ctx, *nc, func(c *portal.Case) ([]store.Mail, error) {
		m, err := s.caseOpenedMail(u, c, product)
		if err != nil {
			return nil, err
		}
		return []store.Mail{m}, nil
	})
	if err != nil {
		return err
	}
	// A repeated submission's files belong to nothing: the first
	// submission's case has its own.
	keep = created
	// The flash is the translated text: the layout translates a flash as a
	// key, and a text that is not one passes through unchanged.
	s.sessions.Put(ctx, "flash", l.T("case_new.created_flash", "Number", c.Number))
	return seeOther(w, r, "/cases/"+c.Number)
}

// readCaseNew reads the submitted form: urlencoded, or multipart with its
// files streamed to storage as they arrive (readUpload). When the form is
// refused for its files, typed holds the text fields read before them.
func (s *Server) readCaseNew(w http.ResponseWriter, r *http.Request) (in *caseNewInput, typed url.Values, err error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, caseFormMax)
	}
	up, err := s.readUpload(r, portal.MaxFilesPerUpdate)
	if err != nil {
		if up != nil {
			typed = up.Values
		}
		return nil, typed, err
	}
	return &caseNewInput{values: up.Values, files: up.Attachments(),
		discard: func(ctx context.Context) { s.discardUpload(ctx, up) }}, nil, nil
}

// checkCaseNew normalizes and validates the form, adding a message beside
// each field in error and returning the CC lines refused. The error is for
// failures of the store, not of the input.
func (s *Server) checkCaseNew(ctx context.Context, u *portal.User, form *Form, cat *newCaseCatalog) (*store.NewCase, []string, error) {
	v := form.Values
	fe := &form.Errors
	nc := &store.NewCase{AccountID: u.AccountID, OpenedBy: u.ID}

	nc.HelpType = portal.HelpType(strings.TrimSpace(v["type"]))
	if !nc.HelpType.Valid() {
		fe.Add("type", "case_new.type_required")
	}
	// A choice is required when the catalog offers something to choose, so
	// that an empty catalog never blocks filing a case.
	if nc.HelpType == portal.HelpProduct {
		id, _ := strconv.ParseInt(strings.TrimSpace(v["product_id"]), 10, 64)
		p := cat.product(id)
		switch {
		case p != nil:
			nc.ProductID = p.ID
			nc.ProductVersion = strings.TrimSpace(v["product_version"])
			nc.OS = strings.TrimSpace(v["os"])
			newCaseChoice(fe, "product_version", nc.ProductVersion, p.Versions, "case_new.version_required", "case_new.version_invalid")
			newCaseChoice(fe, "os", nc.OS, p.OSes, "case_new.os_required", "case_new.os_invalid")
		case len(cat.products) > 0:
			fe.Add("product_id", "case_new.product_required")
		}
	} else if nc.HelpType == portal.HelpPortal {
		// A portal issue concerns no product: what the product fields still
		// hold from an earlier choice is dropped.
		v["product_id"], v["product_version"], v["os"] = "", "", ""
	}

	cid, _ := strconv.ParseInt(strings.TrimSpace(v["category"]), 10, 64)
	pid, _ := strconv.ParseInt(strings.TrimSpace(v["problem"]), 10, 64)
	if c := cat.category(cid); c != nil {
		nc.CategoryID = c.ID
		var offered bool
		for _, p := range cat.problems {
			offered = offered || p.CategoryID == c.ID
		}
		p := cat.problem(pid)
		switch {
		case p != nil && p.CategoryID == c.ID:
			nc.ProblemID = p.ID
		case p != nil || (pid != 0 && offered):
			fe.Add("problem", "case_new.problem_invalid")
		case offered:
			fe.Add("problem", "case_new.problem_required")
		}
	} else if len(cat.categories) > 0 {
		fe.Add("category", "case_new.category_required")
	}

	nc.Priority, _ = strconv.Atoi(strings.TrimSpace(v["priority"]))
	if !portal.ValidPriority(nc.Priority) {
		fe.Add("priority", "case_new.priority_invalid")
	}

	// The subject is one line: it becomes part of e-mail subjects.
	nc.Subject = strings.Join(strings.Fields(norm.Text(v["subject"])), " ")
	switch {
	case nc.Subject == "":
		fe.Add("subject", "case_new.subject_required")
	case utf8.RuneCountInString(nc.Subject) > portal.MaxSubjectLen:
		fe.Add("subject", "case_new.subject_too_long")
	}
	nc.Description = norm.Text(v["description"])
	switch {
	case nc.Description == "":
		fe.Add("description", "case_new.desc_required")
	case utf8.RuneCountInString(nc.Description) > portal.MaxDescriptionLen:
		fe.Add("description", "case_new.desc_too_long")
	}
	nc.BusinessImpact = norm.Text(v["business_impact"])
	if utf8.RuneCountInString(nc.BusinessImpact) > portal.MaxImpactLen {
		fe.Add("business_impact", "case_new.impact_too_long")
	}

	cc, bad, key := s.parseCCLines(v["cc"], u.Email)
	if key != "" {
		fe.Add("cc", key)
	}
	nc.CC = cc

	nc.FormToken = strings.TrimSpace(v["form_token"])
	if len(nc.FormToken) > 64 || strings.ContainsFunc(nc.FormToken, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return nil, nil, portal.Errorf(portal.EINVALID, "error.bad_request")
	}
	if number := strings.TrimSpace(v["follow_up"]); number != "" {
		old, err := s.newCaseFollowUp(ctx, u, number)
		if err != nil {
			return nil, nil, err
		}
		nc.FollowUpOf = old.ID
	}
	return nc, bad, nil
}

// newCaseChoice validates a version or OS against a product's list: a
// choice is required when the list has any, and must be one of them.
func newCaseChoice(fe *portal.FieldErrors, field, value string, offered []string, required, invalid string) {
	switch {
	case value == "" && len(offered) > 0:
		fe.Add(field, required)
	case value != "" && !slices.Contains(offered, value):
		fe.Add(field, invalid)
	}
}

// parseCCLines reads a CC list typed one address per line (commas and
// semicolons separate too, as people paste them from mail clients): each
// address normalized, repeats and the opener's own address dropped (they are
// notified anyway). It returns the addresses, the lines refused and the
// message key for the field ("" when all is well): lines that are not
// addresses first, then the portal's own no-reply address, then more than
// portal.MaxCC addresses.
func (s *Server) parseCCLines(text, self string) (cc, bad []string, key string) {
	self = norm.Email(self)
	own := s.portalOwnAddresses()
	var invalid, portalOwn []string
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }) {
		raw := strings.TrimSpace(norm.Text(line))
		if raw == "" {
			continue
		}
		addr := norm.Email(raw)
		switch {
		case !norm.ValidEmail(addr):
			invalid = append(invalid, raw)
		case slices.Contains(own, addr):
			portalOwn = append(portalOwn, raw)
		case addr == self || slices.Contains(cc, addr):
		default:
			cc = append(cc, addr)
		}
	}
	switch {
	case len(invalid) > 0:
		return cc, invalid, "case_new.cc_invalid"
	case len(portalOwn) > 0:
		return cc, portalOwn, "case_new.cc_portal"
	case len(cc) > portal.MaxCC:
		return cc, nil, "case_new.cc_too_many"
	}
	return cc, nil, ""
}

// portalOwnAddresses are the addresses the portal sends from: MAIL_FROM and
// the no-reply mailboxes of its domains. A copy sent there would go nowhere
// (or loop back into the portal).
func (s *Server) portalOwnAddresses() []string {
	var out []string
	var domains []string
	if a, err := mail.ParseAddress(s.cfg.MailFrom); err == nil {
		addr := norm.Email(a.Address)
		out = append(out, addr)
		if _, d, ok := strings.Cut(addr, "@"); ok {
			domains = append(domains, d)
		}
	}
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Hostname() != "" {
		domains = append(domains, strings.ToLower(u.Hostname()))
	}
	for _, d := range domains {
		out = append(out, "no-reply@"+d, "noreply@"+d)
	}
	return out
}

// caseOpenedMail is the "case opened" notice to the opener, in their
// language (the CC list does not get it: DESIGN.md flow 9).
func (s *Server) caseOpenedMail(u *portal.User, c *portal.Case, product string) (store.Mail, error) {
	l := s.bundle.Localizer(u.Language)
	if c.HelpType == portal.HelpPortal && product == "" {
		product = l.T("case_list.portal")
	}
	return s.mail(recipient{Email: u.Email, Name: u.Name, Lang: l.Lang}, "case_opened", map[string]any{
		"Number":   c.Number,
		"Subject":  c.Subject,
		"Product":  product,
		"Priority": l.T("priority." + strconv.Itoa(c.Priority)),
		"Link":     s.cfg.BaseURL + "/cases/" + c.Number,
	})
}
