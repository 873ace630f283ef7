package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/blob"
	"madoguchi/internal/blob/blobtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Fixtures of the attachments area start with att.

// attWorld is a portal with a 1 MB upload limit and its files in a folder
// of the test's: an organization with a contact who opened a case, another
// organization's contact, and an agent, each signed in.
type attWorld struct {
	in                         *apptest.Instance
	dataDir                    string
	files                      *blob.Local
	opener, stranger, agent    *apptest.TestUser
	openerC, strangerC, agentC *apptest.Client
	kase                       *portal.Case
}

func attNew(t *testing.T) *attWorld { return attNewWith(t, nil) }

// attNewWith starts the world with more environment (STORAGE_URL).
func attNewWith(t *testing.T, env map[string]string) *attWorld {
	t.Helper()
	w := &attWorld{dataDir: t.TempDir()}
	opts := apptest.Options{Env: map[string]string{"DATA_DIR": w.dataDir, "MAX_UPLOAD_SIZE": "1MB"}}
	for k, v := range env {
		opts.Env[k] = v
	}
	w.in = apptest.StartWith(t, opts)
	var err error
	if w.files, err = blob.NewLocal(w.dataDir); err != nil {
		t.Fatal(err)
	}
	acme, globex := w.in.Account(t, "Acme"), w.in.Account(t, "Globex")
	w.opener = w.in.User(t, apptest.UserSpec{AccountID: acme.ID, Ready: true})
	w.stranger = w.in.User(t, apptest.UserSpec{AccountID: globex.ID, Ready: true})
	w.agent = w.in.User(t, apptest.UserSpec{Role: portal.RoleAgent, Ready: true})
	w.openerC, w.strangerC, w.agentC = w.in.Client(t), w.in.Client(t), w.in.Client(t)
	w.in.SignIn(t, w.openerC, w.opener)
	w.in.SignIn(t, w.strangerC, w.stranger)
	w.in.SignIn(t, w.agentC, w.agent)
	w.kase = w.attCase(t)
	return w
}

// attCase files a case for the opener, with files stored the way an upload
// stores them: bytes first, then the row.
func (w *attWorld) attCase(t *testing.T, files ...store.NewAttachment) *portal.Case {
	t.Helper()
	c, _, err := w.in.Store.CreateCase(context.Background(), store.NewCase{
		AccountID: w.opener.AccountID, OpenedBy: w.opener.ID, HelpType: portal.HelpProduct, Priority: portal.DefaultPriority,
		Subject: "ログの確認をお願いします", Description: "添付のログをご確認ください。", CC: []string{}, Files: files,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// attStore puts data in storage and returns the attachment to record.
func (w *attWorld) attStore(t *testing.T, name, contentType string, data []byte) store.NewAttachment {
	t.Helper()
	key := "att/2026/11/" + attHex(attRandom(16))
	if _, err := w.files.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return store.NewAttachment{Name: name, Size: int64(len(data)), SHA256: attSHA(data), ContentType: contentType, StorageKey: key}
}

// attInternalNote adds an agent's internal note with one file to c.
func (w *attWorld) attInternalNote(t *testing.T, c *portal.Case, f store.NewAttachment) int64 {
	t.Helper()
	var id int64
	err := w.in.Store.Pool().QueryRow(context.Background(), `WITH e AS (
			INSERT INTO case_events (case_id, actor_id, kind, action, body, internal)
			VALUES ($1, $2, 'internal_note', 'internal_note', '社内メモ', true) RETURNING id)
		INSERT INTO attachments (case_id, event_id, name, size, sha256, content_type, storage_key, uploaded_by)
		SELECT $1, e.id, $3, $4, $5, $6, $7, $2 FROM e RETURNING id`,
		c.ID, w.agent.ID, f.Name, f.Size, f.SHA256, f.ContentType, f.StorageKey).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *attWorld) attachments(t *testing.T, c *portal.Case) []portal.Attachment {
	t.Helper()
	all, err := w.in.Store.CaseAttachments(context.Background(), c.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func (w *attWorld) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := w.in.Store.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// storedFiles lists the files under DATA_DIR, temporary ones included.
func (w *attWorld) storedFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(w.dataDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, w.dataDir))
		}
		return nil
	})
	return out
}

func attPath(c *portal.Case, id int64) string {
	return fmt.Sprintf("/cases/%s/attachments/%d", c.Number, id)
}

func attRandom(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func attHex(b []byte) string { return hex.EncodeToString(b) }

func attSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// attFilename reads the name a browser saves a download under from
// Content-Disposition (filename* when present, as browsers prefer it).
func attFilename(t *testing.T, r *apptest.Response) string {
	t.Helper()
	disp, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" {
		t.Fatalf("Content-Disposition %q is not an attachment: %v", r.Header.Get("Content-Disposition"), err)
	}
	return params["filename"]
}

// attExpectDownload checks the headers every download carries.
func attExpectDownload(t *testing.T, what string, r *apptest.Response, name, contentType string, data []byte) {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("%s: status %d, want 200\n%s", what, r.Status, r.Body)
	}
	if got := attFilename(t, r); got != name {
		t.Errorf("%s: saved as %q, want %q", what, got, name)
	}
	for header, want := range map[string]string{
		"Content-Type":            contentType,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "sandbox",
		"Cache-Control":           "private, no-store",
		"Content-Length":          fmt.Sprint(len(data)),
	} {
		if got := r.Header.Get(header); got != want {
			t.Errorf("%s: %s = %q, want %q", what, header, got, want)
		}
	}
	if r.Body != string(data) {
		t.Errorf("%s: downloaded %d bytes, not the %d stored", what, len(r.Body), len(data))
	}
}

// attPost posts a multipart form (fields, then files by name) to path.
func attPost(t *testing.T, in *apptest.Instance, c *apptest.Client, path string, fields url.Values, files ...attFile) *apptest.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Disposition": {fmt.Sprintf(`form-data; name="attachments"; filename="%s"`, f.name)},
			"Content-Type":        {"text/html"}, // what the client claims is never used
		})
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, in.URL+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", in.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

type attFile struct {
	name string
	data []byte
}

func TestAttachments_Download(t *testing.T) {
	t.Parallel()
	w := attNew(t)
	log := []byte("2026-11-21 14:05:00 ERROR 接続がタイムアウトしました\n")
	png := attRandom(40 << 10)
	c := w.attCase(t, w.attStore(t, "障害ログ 2026年11月.txt", "text/plain; charset=utf-8", log),
		w.attStore(t, "screen.png", "image/png", png))
	files := w.attachments(t, c)

	r := w.openerC.Get(attPath(c, files[0].ID))
	attExpectDownload(t, "the opener's log", r, "障害ログ 2026年11月.txt", "text/plain; charset=utf-8", log)
	if got, want := r.Header.Get("Content-Disposition"),
		`attachment; filename="_ 2026_11_.txt"; filename*=UTF-8''%E9%9A%9C%E5%AE%B3%E3%83%AD%E3%82%B0%202026%E5%B9%B411%E6%9C%88.txt`; got != want {
		t.Errorf("Content-Disposition = %s, want %s", got, want)
	}
	r = w.openerC.Get(attPath(c, files[1].ID))
	attExpectDownload(t, "the opener's screenshot", r, "screen.png", "image/png", png)
	if attSHA([]byte(r.Body)) != files[1].SHA256 || int64(len(r.Body)) != files[1].Size {
		t.Error("the download does not match the recorded SHA-256 and size")
	}

	// Staff downloads are audited; the customer's own are not.
	r = w.agentC.Get(attPath(c, files[1].ID))
	attExpectDownload(t, "the agent's download", r, "screen.png", "image/png", png)
	entries, err := w.in.Store.AuditLog(context.Background(), c.AccountID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var audited []store.AuditEntry
	for _, e := range entries {
		if e.Action == "attachment.download" {
			audited = append(audited, e)
		}
	}
	if len(audited) != 1 || audited[0].ActorID != w.agent.ID || audited[0].Detail["case"] != c.Number ||
		audited[0].Detail["name"] != "screen.png" {
		t.Errorf("audited downloads = %+v, want the agent's one", audited)
	}
}

func TestAttachments_DownloadAccess(t *testing.T) {
	t.Parallel()
	w := attNew(t)
	c := w.attCase(t, w.attStore(t, "public.txt", "text/plain; charset=utf-8", []byte("public")))
	public := w.attachments(t, c)[0]
	noteID := w.attInternalNote(t, c, w.attStore(t, "internal.txt", "text/plain; charset=utf-8", []byte("internal")))
	other := w.attCase(t, w.attStore(t, "other.txt", "text/plain; charset=utf-8", []byte("other")))
	otherFile := w.attachments(t, other)[0]

	for _, tt := range []struct {
		what   string
		c      *apptest.Client
		path   string
		status int
	}{
		{"another organization's contact", w.strangerC, attPath(c, public.ID), 404},
		{"a customer, a file of an internal note", w.openerC, attPath(c, noteID), 404},
		{"an agent, a file of an internal note", w.agentC, attPath(c, noteID), 200},
		{"another case's file through this case", w.openerC, attPath(c, otherFile.ID), 404},
		{"a file that does not exist", w.openerC, attPath(c, 1<<40), 404},
		{"an id that is not a number", w.openerC, "/cases/" + c.Number + "/attachments/x", 404},
		{"a case that does not exist", w.openerC, fmt.Sprintf("/cases/CS9999999/attachments/%d", public.ID), 404},
		{"not a case number", w.openerC, fmt.Sprintf("/cases/..%%2Fetc/attachments/%d", public.ID), 404},
	} {
		if r := tt.c.Get(tt.path); r.Status != tt.status {
			t.Errorf("%s: GET %s = %d, want %d", tt.what, tt.path, r.Status, tt.status)
		} else if tt.status == 404 && strings.Contains(r.Body, "public") {
			t.Errorf("%s: the 404 page shows the file", tt.what)
		}
	}
	r := w.in.Client(t).Get(attPath(c, public.ID))
	rtExpect(t, "signed out", r, 303, "/login?next="+url.QueryEscape(attPath(c, public.ID)))
}

// TestAttachments_ServedAsDownloads: markup files are never served as
// something a browser renders, whatever the row says.
func TestAttachments_ServedAsDownloads(t *testing.T) {
	t.Parallel()
	w := attNew(t)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>`)
	page := []byte(`<html><script>alert(document.cookie)</script></html>`)
	// Rows written by something other than the upload, with the types the
	// files claim.
	c := w.attCase(t, w.attStore(t, "evil.svg", "image/svg+xml", svg), w.attStore(t, "page.html", "text/html", page))
	files := w.attachments(t, c)
	attExpectDownload(t, "the svg", w.openerC.Get(attPath(c, files[0].ID)), "evil.svg", "application/octet-stream", svg)
	attExpectDownload(t, "the html", w.openerC.Get(attPath(c, files[1].ID)), "page.html", "application/octet-stream", page)

	// Uploaded through the comment form, where the server chooses the type.
	r := attPost(t, w.in, w.openerC, "/cases/"+w.kase.Number+"/comments",
		url.Values{"body": {"マークアップのファイルです"}, "version": {fmt.Sprint(w.kase.Version)}},
		attFile{"evil.svg", svg}, attFile{"page.html", page})
	rtExpect(t, "POST comment with markup files", r, 303, "/cases/"+w.kase.Number)
	files = w.attachments(t, w.kase)
	if len(files) != 2 {
		t.Fatalf("the comment recorded %d files, want 2", len(files))
	}
	for i, want := range []attFile{{"evil.svg", svg}, {"page.html", page}} {
		if files[i].ContentType != "application/octet-stream" {
			t.Errorf("%s recorded as %s", want.name, files[i].ContentType)
		}
		attExpectDownload(t, want.name, w.openerC.Get(attPath(w.kase, files[i].ID)), want.name, "application/octet-stream", want.data)
	}
}

// TestAttachments_Upload: files sent with a comment are stored with their
// size and SHA-256 and come back intact, under a safe name.
func TestAttachments_Upload(t *testing.T) {
	t.Parallel()
	w := attNew(t)
	log := attRandom(1 << 20) // exactly the limit
	passwd := []byte("root:x:0:0:root:/root:/bin/bash\n")
	r := attPost(t, w.in, w.openerC, "/cases/"+w.kase.Number+"/comments",
		url.Values{"body": {"ログを送ります"}, "version": {fmt.Sprint(w.kase.Version)}},
		attFile{"障害ログ 2026年11月.txt", log}, attFile{"../../etc/passwd", passwd}, attFile{"", nil})
	rtExpect(t, "POST comment with files", r, 303, "/cases/"+w.kase.Number)
	files := w.attachments(t, w.kase)
	if len(files) != 2 {
		t.Fatalf("recorded %d files, want 2: %+v", len(files), files)
	}
	for i, want := range []struct {
		name, ctype string
		data        []byte
	}{{"障害ログ 2026年11月.txt", "text/plain; charset=utf-8", log}, {"passwd", "application/octet-stream", passwd}} {
		f := files[i]
		if f.Name != want.name || f.Size != int64(len(want.data)) || f.SHA256 != attSHA(want.data) ||
			f.ContentType != want.ctype || f.UploadedBy != w.opener.ID || f.EventID == 0 {
			t.Errorf("file %d = %+v, want %s (%s) with %d bytes, SHA-256 %s", i, f, want.name, want.ctype, len(want.data), attSHA(want.data))
		}
		attExpectDownload(t, want.name, w.openerC.Get(attPath(w.kase, f.ID)), want.name, want.ctype, want.data)
	}
	if got := w.storedFiles(t); len(got) != 2 {
		t.Errorf("DATA_DIR holds %v, want the two files", got)
	}
	for _, f := range w.storedFiles(t) {
		if strings.Contains(f, "passwd") || strings.Contains(f, "..") {
			t.Errorf("a stored file is named after the client's name: %s", f)
		}
	}
}

// TestAttachments_UploadRefused: over a limit, the whole update is refused
// with a message and nothing of it is kept: no comment, no row, no file.
func TestAttachments_UploadRefused(t *testing.T) {
	t.Parallel()
	w := attNew(t)
	path := "/cases/" + w.kase.Number + "/comments"
	events := w.count(t, `SELECT count(*) FROM case_events WHERE case_id = $1`, w.kase.ID)
	fields := url.Values{"body": {"上限を超えるファイル"}, "version": {fmt.Sprint(w.kase.Version)}}

	r := attPost(t, w.in, w.openerC, path, fields, attFile{"small.txt", []byte("small")},
		attFile{"big.bin", attRandom(1<<20 + 1)})
	rtExpect(t, "POST comment with a file over the limit", r, 422, "")
	rtContains(t, "the refusal", r.Body, rtText("en", "upload.too_large", "Name", "big.bin", "Max", "1 MB"),
		// The comment typed before the files comes back to be sent again.
		">上限を超えるファイル</textarea>")

	r = attPost(t, w.in, w.openerC, path, fields, attFile{"1.txt", []byte("1")}, attFile{"2.txt", []byte("2")},
		attFile{"3.txt", []byte("3")}, attFile{"4.txt", []byte("4")})
	rtExpect(t, "POST comment with a fourth file", r, 422, "")
	rtContains(t, "the refusal", r.Body, rtText("en", "upload.too_many", "Max", 3))

	if got := w.storedFiles(t); len(got) != 0 {
		t.Errorf("refused uploads left %v", got)
	}
	if n := w.count(t, `SELECT count(*) FROM attachments`); n != 0 {
		t.Errorf("refused uploads left %d attachment rows", n)
	}
	if n := w.count(t, `SELECT count(*) FROM case_events WHERE case_id = $1`, w.kase.ID); n != events {
		t.Errorf("refused uploads added %d timeline entries", n-events)
	}
}

// TestAttachments_UploadInterrupted: the client hangs up in the middle of
// the third file; the two stored before are deleted, and nothing is recorded.
func TestAttachments_UploadInterrupted(t *testing.T) {
	t.Parallel()
	w := attNew(t)
	events := w.count(t, `SELECT count(*) FROM case_events WHERE case_id = $1`, w.kase.ID)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("body", "途中で切れるアップロード")
	mw.WriteField("version", fmt.Sprint(w.kase.Version))
	for i := range 3 {
		fw, _ := mw.CreateFormFile("attachments", fmt.Sprintf("%d.bin", i))
		fw.Write(attRandom(900 << 10))
	}
	mw.Close()
	body := buf.Bytes()

	u, _ := url.Parse(w.in.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cookies []string
	for _, c := range w.openerC.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "POST /cases/%s/comments HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nSec-Fetch-Site: same-origin\r\n"+
		"Cookie: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		w.kase.Number, u.Host, w.in.URL, strings.Join(cookies, "; "), mw.FormDataContentType(), len(body))
	bw.Write(body[:len(body)-500<<10])
	bw.Flush()
	// Hang up once the files before the third are on disk.
	deadline := time.Now().Add(10 * time.Second)
	for len(w.storedFiles(t)) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(w.storedFiles(t)) < 2 {
		t.Fatalf("the first files were not stored while the body streamed in: %v", w.storedFiles(t))
	}
	conn.Close()

	for len(w.storedFiles(t)) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // nothing comes back afterwards
	if got := w.storedFiles(t); len(got) != 0 {
		t.Errorf("an interrupted upload left %v", got)
	}
	if n := w.count(t, `SELECT count(*) FROM attachments`); n != 0 {
		t.Errorf("an interrupted upload left %d attachment rows", n)
	}
	if n := w.count(t, `SELECT count(*) FROM case_events WHERE case_id = $1`, w.kase.ID); n != events {
		t.Errorf("an interrupted upload added %d timeline entries", n-events)
	}
}

// TestAttachments_S3: with STORAGE_URL naming a bucket of a real MinIO
// server, files go to the bucket and come back intact; a refused upload
// leaves no object and no unfinished multipart upload behind.
func TestAttachments_S3(t *testing.T) {
	t.Parallel()
	srv := blobtest.Start(t)
	bucket, storageURL := srv.Bucket(t, true)
	w := attNewWith(t, map[string]string{"STORAGE_URL": storageURL})
	path := "/cases/" + w.kase.Number + "/comments"
	log := attRandom(900 << 10)

	r := attPost(t, w.in, w.openerC, path, url.Values{"body": {"S3 に保存"}}, attFile{"障害ログ 2026年11月.txt", log})
	rtExpect(t, "POST comment with a file", r, 303, "/cases/"+w.kase.Number)
	r = attPost(t, w.in, w.openerC, path, url.Values{"body": {"上限超え"}}, attFile{"ok.txt", []byte("ok")},
		attFile{"big.bin", attRandom(1<<20 + 1)})
	rtExpect(t, "POST comment with a file over the limit", r, 422, "")

	files := w.attachments(t, w.kase)
	if len(files) != 1 || files[0].SHA256 != attSHA(log) || files[0].Size != int64(len(log)) {
		t.Fatalf("recorded %+v, want the one log", files)
	}
	if objects := srv.Objects(t, bucket); len(objects) != 1 || objects[0] != files[0].StorageKey {
		t.Errorf("the bucket holds %v, want only %s", objects, files[0].StorageKey)
	}
	if got := w.storedFiles(t); len(got) != 0 {
		t.Errorf("DATA_DIR holds %v with S3 storage", got)
	}
	attExpectDownload(t, "the log from S3", w.openerC.Get(attPath(w.kase, files[0].ID)), "障害ログ 2026年11月.txt",
		"text/plain; charset=utf-8", log)
}
