package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Helpers of the create-case and my-cases area start with cn so that they
// cannot clash with other areas' helpers in package server_test.

// cnWorld is a running portal with a product catalog, an organization
// (Acme) with a contact, a colleague and an account administrator, another
// organization (Globex) with a contact, and an agent.
type cnWorld struct {
	in                       *apptest.Instance
	dataDir                  string
	acc, other               *portal.Account
	taro, jiro, admin, eve   *apptest.TestUser
	agent                    *apptest.TestUser
	gate, cloud              *portal.Product
	lic, inst                *portal.Category
	activation, move, broken *portal.Problem
}

func cnNew(t *testing.T) *cnWorld {
	t.Helper()
	return cnNewWith(t, nil)
}

// cnNewWith starts the world with more environment variables.
func cnNewWith(t *testing.T, env map[string]string) *cnWorld {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	all := map[string]string{"DATA_DIR": dir}
	for k, v := range env {
		all[k] = v
	}
	in := apptest.StartWith(t, apptest.Options{Env: all})
	w := &cnWorld{in: in, dataDir: dir, acc: in.Account(t, "Acme"), other: in.Account(t, "Globex")}
	w.taro = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "Taro Yamada", Email: "taro@acme.example"})
	w.jiro = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Name: "Jiro Suzuki", Email: "jiro@acme.example"})
	w.admin = in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, AccountAdmin: true, Name: "Acme Admin",
		Email: "admin@acme.example"})
	w.eve = in.User(t, apptest.UserSpec{AccountID: w.other.ID, Ready: true, Name: "Globex Eve", Email: "eve@globex.example"})
	w.agent = in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true, Name: "Agent Sato"})
	var err error
	must := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	w.gate, err = in.Store.CreateProduct(ctx, "Madoguchi SecureGate", []string{"5.1", "6.0"}, []string{"RHEL 9", "Windows Server 2022"})
	must(err)
	w.cloud, err = in.Store.CreateProduct(ctx, "Cloud Console", nil, nil)
	must(err)
	_, err = in.Store.CreateProduct(ctx, "Backup Server", []string{"7.0"}, []string{"Ubuntu 24.04"})
	must(err)
	w.lic, err = in.Store.CreateCategory(ctx, "Licensing", "ライセンス", 10)
	must(err)
	w.inst, err = in.Store.CreateCategory(ctx, "Installation", "インストール", 20)
	must(err)
	w.activation, err = in.Store.CreateProblem(ctx, w.lic.ID, "Activation fails", "アクティベーションが失敗する", 10)
	must(err)
	w.move, err = in.Store.CreateProblem(ctx, w.lic.ID, "Moving a license", "ライセンスの移行", 20)
	must(err)
	w.broken, err = in.Store.CreateProblem(ctx, w.inst.ID, "Installation fails", "インストールが失敗する", 10)
	must(err)
	return w
}

// cnClient signs u in on a new client.
func (w *cnWorld) cnClient(t *testing.T, u *apptest.TestUser) *apptest.Client {
	t.Helper()
	c := w.in.Client(t)
	w.in.SignIn(t, c, u)
	return c
}

func cnID(id int64) string { return strconv.FormatInt(id, 10) }

// cnForm is a valid create-case form.
func (w *cnWorld) cnForm(token string) url.Values {
	return url.Values{
		"type":            {"product"},
		"product_id":      {cnID(w.gate.ID)},
		"product_version": {"6.0"},
		"os":              {"RHEL 9"},
		"category":        {cnID(w.lic.ID)},
		"problem":         {cnID(w.activation.ID)},
		"priority":        {"2"},
		"subject":         {"License activation fails after upgrading to 6.0"},
		"description":     {"Since the upgrade the license server answers ERR-42.\nSteps: …"},
		"business_impact": {"Our gateway is down."},
		"cc":              {"ops@acme.example\n\nＯＰＳ２@acme.example\nops@acme.example"},
		"form_token":      {token},
	}
}

// cnMultipart posts vals and files to path as a browser's multipart form.
func (w *cnWorld) cnMultipart(t *testing.T, c *apptest.Client, path string, vals url.Values, files map[string][]byte) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile("attachments", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, w.in.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", w.in.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

// cnCount is how many cases u opened.
func (w *cnWorld) cnCount(t *testing.T, u *apptest.TestUser) int {
	t.Helper()
	var n int
	if err := w.in.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM cases WHERE opened_by = $1`, u.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cnStoredFiles lists the files under DATA_DIR.
func (w *cnWorld) cnStoredFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(w.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

var cnCaseURL = regexp.MustCompile(`^/cases/(CS\d{7})$`)

func TestCaseNew_Form(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	c := w.cnClient(t, w.taro)
	r := c.Get("/cases/new")
	rtExpect(t, "GET /cases/new", r, 200, "")
	gate, lic := cnID(w.gate.ID), cnID(w.lic.ID)
	rtContains(t, "the create-case form", r.Body,
		`enctype="multipart/form-data"`, `name="form_token" value="`,
		`<input type="radio" name="type" value="product" checked`, rtText("en", "case_new.type_portal"),
		`<option value="`+gate+`">Madoguchi SecureGate</option>`,
		`<optgroup label="Madoguchi SecureGate">`, `<option value="6.0" data-product="`+gate+`">6.0</option>`,
		`<option value="RHEL 9" data-product="`+gate+`">RHEL 9</option>`,
		`<optgroup label="Licensing">`, `<option value="`+cnID(w.activation.ID)+`" data-category="`+lic+`">Activation fails</option>`,
		`<input type="radio" name="priority" value="3" checked`, rtText("en", "priority.1_impact"), rtText("en", "priority.4"),
		`name="attachments" multiple`, rtText("en", "case_new.attachments_hint", "Files", 3, "Size", "250 MB"),
		`<a href="/cases/new" aria-current="page">`+rtText("en", "case_new.title")+`</a>`)
	// Products in name order, and no product with nothing to offer gets a group.
	if i, j := strings.Index(r.Body, ">Backup Server</option>"), strings.Index(r.Body, ">Cloud Console</option>"); i < 0 || j < i {
		t.Error("products are not listed by name")
	}
	if strings.Contains(r.Body, `<optgroup label="Cloud Console">`) {
		t.Error("a product without versions has a version group")
	}
	// Each GET draws a new token.
	re := regexp.MustCompile(`name="form_token" value="([^"]+)"`)
	if a, b := re.FindStringSubmatch(r.Body), re.FindStringSubmatch(c.Get("/cases/new").Body); a == nil || b == nil || a[1] == b[1] {
		t.Errorf("form tokens %v and %v", a, b)
	}

	// In Japanese: categories and problems in Japanese.
	ja := w.in.User(t, apptest.UserSpec{AccountID: w.acc.ID, Ready: true, Language: "ja"})
	r = w.cnClient(t, ja).Get("/cases/new")
	rtContains(t, "the Japanese form", r.Body, `<optgroup label="ライセンス">`, ">アクティベーションが失敗する</option>",
		rtText("ja", "case_new.type_product"), rtText("ja", "priority.3"), rtText("ja", "priority.3_impact"))
}

func TestCaseNew_Create(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	ctx := context.Background()
	c := w.cnClient(t, w.taro)

	r := c.PostForm("/cases/new", w.cnForm("tok-create-1"))
	rtExpect(t, "POST /cases/new", r, 303, "")
	m := cnCaseURL.FindStringSubmatch(r.Location)
	if m == nil {
		t.Fatalf("redirected to %q, want /cases/CSnnnnnnn", r.Location)
	}
	number := m[1]

	// The case page shows "Created CS…".
	page := c.Get(r.Location)
	rtExpect(t, "GET "+r.Location, page, 200, "")
	rtContains(t, "the new case's page", page.Body, rtText("en", "case_new.created_flash", "Number", number))

	got, err := w.in.Store.CaseByNumber(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if got.OpenedBy != w.taro.ID || got.AccountID != w.acc.ID || got.HelpType != portal.HelpProduct ||
		got.ProductID != w.gate.ID || got.ProductVersion != "6.0" || got.OS != "RHEL 9" || got.CategoryID != w.lic.ID ||
		got.ProblemID != w.activation.ID || got.Priority != 2 || got.Subject != "License activation fails after upgrading to 6.0" ||
		!strings.Contains(got.Description, "ERR-42.\nSteps") || got.BusinessImpact != "Our gateway is down." ||
		strings.Join(got.CC, ",") != "ops@acme.example,ops2@acme.example" || got.SubStatus != portal.SubNew {
		t.Errorf("stored case = %+v", got)
	}

	// The opener is mailed, in their language, with a link to the case.
	mail := rtWait(t, w.in, w.taro.Email, number)
	if want := rtBundle().Localizer("en").T("case_opened_mail.subject", "Number", number, "Subject", got.Subject); mail.Subject != want {
		t.Errorf("mail subject %q, want %q", mail.Subject, want)
	}
	if link := mail.Link("/cases/"); link != w.in.URL+"/cases/"+number {
		t.Errorf("mail link %q", link)
	}
	rtContains(t, "the opened mail", mail.Text, "Madoguchi SecureGate", rtBundle().Localizer("en").T("priority.2"))

	// The same form again (a double-click): the same answer, one case.
	r2 := c.PostForm("/cases/new", w.cnForm("tok-create-1"))
	rtExpect(t, "POST /cases/new again", r2, 303, r.Location)
	if n := w.cnCount(t, w.taro); n != 1 {
		t.Errorf("%d cases after a double submission, want 1", n)
	}
	// A new form (new token) is a new case; without a token (an external
	// tool posting the documented fields only) too.
	rtExpect(t, "POST another form", c.PostForm("/cases/new", w.cnForm("tok-create-2")), 303, "")
	noToken := w.cnForm("")
	noToken.Del("form_token")
	rtExpect(t, "POST without a token", c.PostForm("/cases/new", noToken), 303, "")
	if n := w.cnCount(t, w.taro); n != 3 {
		t.Errorf("%d cases, want 3", n)
	}
	// A malformed token is refused.
	rtExpect(t, "POST with a bad token", c.PostForm("/cases/new", w.cnForm("<bad token>")), 422, "")

	// Only the opener is told: CC addresses get comments, not this notice.
	for _, msg := range w.in.Mail.Messages() {
		for _, to := range msg.To {
			if strings.HasPrefix(to, "ops") {
				t.Errorf("the opened notice went to CC address %s", to)
			}
		}
	}
}

func TestCaseNew_PortalIssue(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	c := w.cnClient(t, w.taro)
	vals := url.Values{"type": {"portal"}, "product_id": {cnID(w.gate.ID)}, "product_version": {"bogus"},
		"category": {cnID(w.inst.ID)}, "problem": {cnID(w.broken.ID)}, "priority": {"3"},
		"subject": {"Cannot see my colleague's cases"}, "description": {"The list is empty."}}
	r := c.PostForm("/cases/new", vals)
	rtExpect(t, "POST a portal issue", r, 303, "")
	got, err := w.in.Store.CaseByNumber(context.Background(), strings.TrimPrefix(r.Location, "/cases/"))
	if err != nil {
		t.Fatal(err)
	}
	if got.HelpType != portal.HelpPortal || got.ProductID != 0 || got.ProductVersion != "" || got.OS != "" {
		t.Errorf("portal issue stored as %+v", got)
	}
}

func TestCaseNew_Attachments(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	c := w.cnClient(t, w.taro)

	// Invalid input with files: 422, nothing stored, the page says to
	// choose the files again.
	bad := w.cnForm("tok-files-1")
	bad.Set("subject", "")
	r := w.cnMultipart(t, c, "/cases/new", bad, map[string][]byte{"ログ.txt": []byte("hello")})
	rtExpect(t, "POST invalid with a file", r, 422, "")
	rtContains(t, "the 422 page", r.Body, rtText("en", "case_new.files_again"), rtText("en", "case_new.subject_required"))
	if files := w.cnStoredFiles(t); len(files) != 0 {
		t.Errorf("files left behind by a refused form: %v", files)
	}

	// Valid: the files are stored and recorded with the case.
	files := map[string][]byte{"ログ.txt": []byte("hello"), "screen.png": {0x89, 'P', 'N', 'G'}}
	r = w.cnMultipart(t, c, "/cases/new", w.cnForm("tok-files-2"), files)
	rtExpect(t, "POST with files", r, 303, "")
	number := strings.TrimPrefix(r.Location, "/cases/")
	rows, err := w.in.Store.Pool().Query(context.Background(), `SELECT a.name, a.size, a.uploaded_by FROM attachments a
		JOIN cases c ON c.id = a.case_id WHERE c.number = $1 ORDER BY a.name`, number)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var name string
		var size, by int64
		rows.Scan(&name, &size, &by)
		got = append(got, fmt.Sprintf("%s:%d:%v", name, size, by == w.taro.ID))
	}
	if strings.Join(got, " ") != "screen.png:4:true ログ.txt:5:true" {
		t.Errorf("attachments = %v", got)
	}
	if n := len(w.cnStoredFiles(t)); n != 2 {
		t.Errorf("%d files stored, want 2", n)
	}

	// The same form again with its files: one case, and the second copy of
	// the files is not kept.
	r2 := w.cnMultipart(t, c, "/cases/new", w.cnForm("tok-files-2"), files)
	rtExpect(t, "POST with files again", r2, 303, r.Location)
	if n := len(w.cnStoredFiles(t)); n != 2 {
		t.Errorf("%d files stored after a double submission, want 2", n)
	}

	// A fourth file is refused, and nothing of the form is kept.
	four := map[string][]byte{"a.txt": {1}, "b.txt": {2}, "c.txt": {3}, "d.txt": {4}}
	r = w.cnMultipart(t, c, "/cases/new", w.cnForm("tok-files-3"), four)
	rtExpect(t, "POST four files", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-attachments"`, rtText("en", "case_new.files_again"),
		// The typed text comes back (it precedes the files in the body).
		`value="License activation fails after upgrading to 6.0"`, `name="form_token" value="tok-files-3"`,
		">Since the upgrade the license server answers ERR-42.\nSteps: …</textarea>",
		`<option value="6.0" data-product="`+cnID(w.gate.ID)+`" selected>`)
	if n := len(w.cnStoredFiles(t)); n != 2 {
		t.Errorf("%d files stored after a refused upload, want 2", n)
	}
}

func TestCaseNew_FileTooLarge(t *testing.T) {
	t.Parallel()
	w := cnNewWith(t, map[string]string{"MAX_UPLOAD_SIZE": "1KB"})
	c := w.cnClient(t, w.taro)
	r := c.Get("/cases/new")
	rtContains(t, "the form", r.Body, `data-max-size="1024"`, rtText("en", "case_new.attachments_hint", "Files", 3, "Size", "1 KB"))
	r = w.cnMultipart(t, c, "/cases/new", w.cnForm("tok-large"), map[string][]byte{"big.log": bytes.Repeat([]byte("x"), 4096)})
	rtExpect(t, "POST a file over the limit", r, 422, "")
	rtContains(t, "the 422 page", r.Body, `id="e-attachments"`, "big.log", rtText("en", "case_new.files_again"),
		`value="License activation fails after upgrading to 6.0"`)
	if files := w.cnStoredFiles(t); len(files) != 0 {
		t.Errorf("files left behind: %v", files)
	}
	if n := w.cnCount(t, w.taro); n != 0 {
		t.Errorf("%d cases", n)
	}
}

func TestCaseNew_Validation(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	c := w.cnClient(t, w.taro)
	cc21 := make([]string, 21)
	for i := range cc21 {
		cc21[i] = fmt.Sprintf("user%d@acme.example", i)
	}
	for _, tc := range []struct {
		name  string
		edit  func(url.Values)
		field string
		key   string
		also  []string // more text the page must show
	}{
		{"NoType", func(v url.Values) { v.Del("type") }, "type", "case_new.type_required", nil},
		{"BadType", func(v url.Values) { v.Set("type", "threat") }, "type", "case_new.type_required", nil},
		{"NoProduct", func(v url.Values) { v.Del("product_id") }, "product_id", "case_new.product_required", nil},
		{"UnknownProduct", func(v url.Values) { v.Set("product_id", "999999") }, "product_id", "case_new.product_required", nil},
		{"NoVersion", func(v url.Values) { v.Del("product_version") }, "product_version", "case_new.version_required", nil},
		{"VersionOfAnotherProduct", func(v url.Values) { v.Set("product_version", "7.0") }, "product_version", "case_new.version_invalid", nil},
		{"NoOS", func(v url.Values) { v.Set("os", "") }, "os", "case_new.os_required", nil},
		{"OSOfAnotherProduct", func(v url.Values) { v.Set("os", "Ubuntu 24.04") }, "os", "case_new.os_invalid", nil},
		{"NoCategory", func(v url.Values) { v.Del("category") }, "category", "case_new.category_required", nil},
		{"NoProblem", func(v url.Values) { v.Del("problem") }, "problem", "case_new.problem_required", nil},
		{"ProblemOfAnotherCategory", func(v url.Values) { v.Set("problem", cnID(w.broken.ID)) }, "problem", "case_new.problem_invalid", nil},
		{"BadPriority", func(v url.Values) { v.Set("priority", "5") }, "priority", "case_new.priority_invalid", nil},
		{"NoSubject", func(v url.Values) { v.Set("subject", " 　") }, "subject", "case_new.subject_required", nil},
		{"LongSubject", func(v url.Values) { v.Set("subject", strings.Repeat("件", 201)) }, "subject", "case_new.subject_too_long", nil},
		{"NoDescription", func(v url.Values) { v.Set("description", "\n") }, "description", "case_new.desc_required", nil},
		{"LongDescription", func(v url.Values) { v.Set("description", strings.Repeat("a", 20001)) }, "description", "case_new.desc_too_long", nil},
		{"LongImpact", func(v url.Values) { v.Set("business_impact", strings.Repeat("a", 4001)) }, "business_impact", "case_new.impact_too_long", nil},
		{"CCInvalid", func(v url.Values) { v.Set("cc", "ok@acme.example\nnot an address\nfoo@") }, "cc", "case_new.cc_invalid",
			[]string{"<code>not an address</code>", "<code>foo@</code>"}},
		{"CCTooMany", func(v url.Values) { v.Set("cc", strings.Join(cc21, "\n")) }, "cc", "case_new.cc_too_many", nil},
		{"CCPortal", func(v url.Values) { v.Set("cc", "ok@acme.example\nNo-Reply@madoguchi.test") }, "cc", "case_new.cc_portal",
			[]string{"<code>No-Reply@madoguchi.test</code>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := w.cnForm("tok-" + tc.name)
			vals.Set("subject", "Kept <subject> & 件名")
			vals.Set("description", "Kept description\nline two")
			tc.edit(vals)
			r := c.PostForm("/cases/new", vals)
			rtExpect(t, "POST "+tc.name, r, 422, "")
			rtContains(t, "the 422 page", r.Body, rtText("en", "form.has_errors"), `id="e-`+tc.field+`"`,
				rtText("en", tc.key), `aria-invalid="true"`, `name="form_token" value="tok-`+tc.name+`"`)
			rtContains(t, "the 422 page", r.Body, tc.also...)
			if tc.field != "subject" {
				rtContains(t, "the 422 page", r.Body, `value="Kept &lt;subject&gt; &amp; 件名"`)
			}
			if tc.field != "description" {
				rtContains(t, "the 422 page", r.Body, ">Kept description\nline two</textarea>")
			}
			if tc.field != "product_id" && tc.field != "product_version" {
				rtContains(t, "the 422 page", r.Body, `<option value="6.0" data-product="`+cnID(w.gate.ID)+`" selected>`)
			}
			if tc.field != "priority" {
				rtContains(t, "the 422 page", r.Body, `<input type="radio" name="priority" value="2" checked`)
			}
		})
	}
	if n := w.cnCount(t, w.taro); n != 0 {
		t.Errorf("%d cases created from invalid forms", n)
	}
	// The contact's own address in CC is dropped, not refused; twenty
	// addresses are fine.
	vals := w.cnForm("tok-cc-ok")
	vals.Set("cc", strings.Join(cc21[:20], "\n")+"\nTaro@Acme.example")
	r := c.PostForm("/cases/new", vals)
	rtExpect(t, "POST 20 CC addresses", r, 303, "")
	got, _ := w.in.Store.CaseByNumber(context.Background(), strings.TrimPrefix(r.Location, "/cases/"))
	if got == nil || len(got.CC) != 20 {
		t.Errorf("CC = %v", got)
	}
}

func TestCaseNew_Access(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	rtExpect(t, "GET /cases/new signed out", w.in.Client(t).Get("/cases/new"), 303, "/login?next="+url.QueryEscape("/cases/new"))
	rtExpect(t, "POST /cases/new signed out", w.in.Client(t).PostForm("/cases/new", w.cnForm("x")), 303, "")
	agent := w.cnClient(t, w.agent)
	rtExpect(t, "GET /cases/new as an agent", agent.Get("/cases/new"), 403, "")
	rtExpect(t, "POST /cases/new as an agent", agent.PostForm("/cases/new", w.cnForm("x")), 403, "")
	// Another site cannot file a case for a signed-in customer.
	c := w.cnClient(t, w.taro)
	rtExpect(t, "cross-site POST", c.PostFormFrom("https://evil.example", "/cases/new", w.cnForm("x")), 403, "")
	if n := w.cnCount(t, w.agent); n != 0 {
		t.Error("an agent filed a case")
	}
}

func TestCaseNew_FollowUp(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	ctx := context.Background()
	old, _, err := w.in.Store.CreateCase(ctx, store.NewCase{AccountID: w.acc.ID, OpenedBy: w.taro.ID,
		HelpType: portal.HelpProduct, ProductID: w.gate.ID, ProductVersion: "5.1", OS: "Windows Server 2022",
		CategoryID: w.inst.ID, ProblemID: w.broken.ID, Priority: 4, Subject: "Setup <stops>", Description: "d",
		CC: []string{"ops@acme.example"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	open, _, err := w.in.Store.CreateCase(ctx, store.NewCase{AccountID: w.acc.ID, OpenedBy: w.taro.ID,
		HelpType: portal.HelpPortal, Priority: 3, Subject: "still open", Description: "d"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.in.Store.Pool().Exec(ctx, `UPDATE cases SET status = 'closed', sub_status = 'resolved',
		closed_at = now() - interval '40 days' WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	c := w.cnClient(t, w.taro)
	r := c.Get("/cases/new?follow_up=" + old.Number)
	rtExpect(t, "GET follow-up form", r, 200, "")
	rtContains(t, "the follow-up form", r.Body,
		`name="follow_up" value="`+old.Number+`"`, rtText("en", "case_new.follow_up_of", "Number", old.Number),
		`value="`+rtText("en", "case_new.follow_up_subject", "Subject", old.Subject)+`"`,
		`<option value="`+cnID(w.gate.ID)+`" selected>`, `<option value="5.1" data-product="`+cnID(w.gate.ID)+`" selected>`,
		`<option value="Windows Server 2022" data-product="`+cnID(w.gate.ID)+`" selected>`,
		`<option value="`+cnID(w.inst.ID)+`" selected>`, `data-category="`+cnID(w.inst.ID)+`" selected>`,
		`<input type="radio" name="priority" value="4" checked`, ">ops@acme.example</textarea>")

	vals := w.cnForm("tok-follow")
	vals.Set("follow_up", old.Number)
	r = c.PostForm("/cases/new", vals)
	rtExpect(t, "POST follow-up", r, 303, "")
	got, err := w.in.Store.CaseByNumber(ctx, strings.TrimPrefix(r.Location, "/cases/"))
	if err != nil || got.FollowUpOf != old.ID || got.FollowUpNumber != old.Number {
		t.Errorf("follow-up case = %+v, %v", got, err)
	}

	// An open case is followed up by commenting on it; another
	// organization's case does not exist for this person.
	rtExpect(t, "GET follow-up of an open case", c.Get("/cases/new?follow_up="+open.Number), 422, "")
	eve := w.cnClient(t, w.eve)
	rtExpect(t, "GET follow-up of another organization's case", eve.Get("/cases/new?follow_up="+old.Number), 404, "")
	vals.Set("form_token", "tok-follow-eve")
	rtExpect(t, "POST follow-up of another organization's case", eve.PostForm("/cases/new", vals), 404, "")
	rtExpect(t, "GET follow-up of no case", c.Get("/cases/new?follow_up=CS9999999"), 404, "")
}

func TestCaseNew_RateLimit(t *testing.T) {
	t.Parallel()
	w := cnNew(t)
	c := w.cnClient(t, w.jiro)
	for i := range 30 {
		vals := w.cnForm(fmt.Sprint("tok-rate-", i))
		vals.Set("subject", "") // invalid ones count too: nothing is read past the limit
		rtExpect(t, "POST "+strconv.Itoa(i), c.PostForm("/cases/new", vals), 422, "")
	}
	r := c.PostForm("/cases/new", w.cnForm("tok-rate-last"))
	rtExpect(t, "POST 31", r, 429, "")
	if n := w.cnCount(t, w.jiro); n != 0 {
		t.Errorf("%d cases", n)
	}
	// Another person is not affected.
	rtExpect(t, "POST by another contact", w.cnClient(t, w.taro).PostForm("/cases/new", w.cnForm("tok-rate-taro")), 303, "")
}
