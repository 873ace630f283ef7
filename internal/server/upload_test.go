package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"madoguchi/internal/blob"
	"madoguchi/internal/config"
	"madoguchi/internal/portal"
)

// upTest is a server that only reads uploads, on a real listener so that a
// client can hang up halfway; each request's outcome arrives on results.
type upTest struct {
	s       *Server
	dir     string
	srv     *httptest.Server
	results chan upResult
}

type upResult struct {
	up   *upload
	err  error
	read int64 // bytes of the body readUpload read
	// form is r.PostForm after readUpload, as later handler code sees it.
	form url.Values
}

func newUpTest(t *testing.T, maxSize int64, store blob.Store) *upTest {
	t.Helper()
	dir := t.TempDir()
	if store == nil {
		local, err := blob.NewLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		store = local
	}
	ut := &upTest{dir: dir, results: make(chan upResult, 1)}
	ut.s = &Server{cfg: config.Config{MaxUploadSize: maxSize}, blob: store, logger: slog.New(slog.DiscardHandler),
		now: func() time.Time { return time.Date(2026, 11, 21, 14, 5, 0, 0, time.UTC) }}
	ut.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := &countingBody{rc: r.Body}
		r.Body = struct {
			io.Reader
			io.Closer
		}{body, r.Body}
		up, err := ut.s.readUpload(r, portal.MaxFilesPerUpdate)
		ut.results <- upResult{up: up, err: err, form: r.PostForm, read: body.n}
		if err != nil {
			http.Error(w, portal.ErrorMessage(err), http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(ut.srv.Close)
	return ut
}

// post sends body and returns the status the client saw and readUpload's
// outcome.
func (ut *upTest) post(t *testing.T, contentType string, body io.Reader) (int, upResult) {
	t.Helper()
	resp, err := http.Post(ut.srv.URL, contentType, body)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, <-ut.results
}

// files lists every file under the data directory.
func (ut *upTest) files(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(ut.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (ut *upTest) read(t *testing.T, key string) []byte {
	t.Helper()
	rc, err := ut.s.blob.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// part is one part of a multipart form: a text field, or a file when
// disposition is set (the Content-Disposition header, as a browser sends it).
type part struct {
	name, value string
	disposition string
	data        []byte
}

func fileField(filename string, data []byte) part {
	return part{disposition: fmt.Sprintf(`form-data; name="attachments"; filename="%s"`, filename), data: data}
}

func form(t *testing.T, parts ...part) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.disposition == "" {
			mw.WriteField(p.name, p.value)
			continue
		}
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {p.disposition},
			"Content-Type": {"text/html"}})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func randomData(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fieldMessage(err error) (field, message string, data map[string]any) {
	var pe *portal.Error
	if errors.As(err, &pe) {
		return pe.Field, pe.Message, pe.Data
	}
	return "", "", nil
}

func TestReadUpload_Form(t *testing.T) {
	t.Parallel()
	ut := newUpTest(t, 1<<20, nil)
	log := randomData(700 << 10)
	png := randomData(3000)
	ct, body := form(t,
		part{name: "body", value: "ログを添付します。\r\n<b>よろしく</b>"},
		part{name: "version", value: "3"},
		fileField("障害ログ 2026年11月.txt", log),
		// A file input left empty.
		part{disposition: `form-data; name="attachments"; filename=""`},
		fileField("screen.PNG", png),
		fileField("empty.txt", nil),
		// A file in a field that takes none is not kept.
		part{disposition: `form-data; name="body"; filename="x.txt"`, data: []byte("ignored")},
	)
	status, res := ut.post(t, ct, bytes.NewReader(body))
	if status != 200 || res.err != nil {
		t.Fatalf("status %d, err %v", status, res.err)
	}
	up := res.up
	if got := up.Values["body"]; len(got) != 1 || got[0] != "ログを添付します。\r\n<b>よろしく</b>" {
		t.Errorf("body = %q", got)
	}
	if up.Values.Get("version") != "3" || res.form.Get("version") != "3" {
		t.Errorf("version = %q, r.PostForm version = %q", up.Values.Get("version"), res.form.Get("version"))
	}
	want := []uploadedFile{
		{Name: "障害ログ 2026年11月.txt", ContentType: "text/plain; charset=utf-8", SHA256: sha(log), Size: int64(len(log))},
		{Name: "screen.PNG", ContentType: "image/png", SHA256: sha(png), Size: int64(len(png))},
		{Name: "empty.txt", ContentType: "text/plain; charset=utf-8", SHA256: sha(nil), Size: 0},
	}
	if len(up.Files) != len(want) {
		t.Fatalf("Files = %+v, want %d files", up.Files, len(want))
	}
	keys := map[string]bool{}
	for i, f := range up.Files {
		w := want[i]
		w.Key = f.Key
		if f != w {
			t.Errorf("Files[%d] = %+v, want %+v", i, f, w)
		}
		if !strings.HasPrefix(f.Key, "att/2026/11/") || len(f.Key) != len("att/2026/11/")+32 || !blob.ValidKey(f.Key) {
			t.Errorf("key %q is not att/2026/11/<32 hex digits>", f.Key)
		}
		keys[f.Key] = true
	}
	if len(keys) != 3 {
		t.Errorf("keys are not distinct: %v", keys)
	}
	if got := ut.read(t, up.Files[0].Key); !bytes.Equal(got, log) {
		t.Error("stored bytes differ from the uploaded file")
	}
	atts := up.Attachments()
	if len(atts) != 3 || atts[1].Name != "screen.PNG" || atts[1].StorageKey != up.Files[1].Key || atts[1].SHA256 != sha(png) ||
		atts[1].Size != int64(len(png)) || atts[1].ContentType != "image/png" {
		t.Errorf("Attachments() = %+v", atts)
	}

	ut.s.discardUpload(context.Background(), up)
	if left := ut.files(t); len(left) != 0 {
		t.Errorf("discardUpload left %v", left)
	}
	ut.s.discardUpload(context.Background(), nil)
}

func TestReadUpload_URLEncoded(t *testing.T) {
	t.Parallel()
	ut := newUpTest(t, 1<<20, nil)
	status, res := ut.post(t, "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"body": {"こんにちは"}, "version": {"2"}}.Encode()))
	if status != 200 || res.err != nil || res.up.Values.Get("body") != "こんにちは" || len(res.up.Files) != 0 {
		t.Fatalf("status %d, err %v, upload %+v", status, res.err, res.up)
	}
	if len(res.up.Attachments()) != 0 {
		t.Error("Attachments of a form without files is not empty")
	}
}

func TestReadUpload_Refused(t *testing.T) {
	t.Parallel()
	const max = 1 << 20
	tests := []struct {
		name    string
		parts   []part
		field   string
		message string
		data    map[string]any
	}{
		{"OneByteOverTheLimit", []part{fileField("a.txt", randomData(100)), fileField("big.bin", randomData(max+1))},
			"attachments", "upload.too_large", map[string]any{"Name": "big.bin", "Max": "1 MB"}},
		{"FarOverTheLimit", []part{fileField("a.txt", randomData(100)), fileField("big.bin", randomData(3*max))},
			"attachments", "upload.too_large", map[string]any{"Name": "big.bin", "Max": "1 MB"}},
		{"FourthFile", []part{fileField("1.txt", randomData(10)), fileField("2.txt", randomData(10)),
			fileField("3.txt", randomData(10)), fileField("4.txt", randomData(10))},
			"attachments", "upload.too_many", map[string]any{"Max": 3}},
		{"TooMuchText", []part{fileField("1.txt", randomData(10)), {name: "body", value: strings.Repeat("あ", 400<<10)}},
			"", "upload.form_too_large", nil},
		{"TooManyParts", func() []part {
			ps := []part{fileField("1.txt", randomData(10))}
			for range maxUploadParts {
				ps = append(ps, part{name: "x", value: "y"})
			}
			return ps
		}(), "", "upload.form_too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ut := newUpTest(t, max, nil)
			ct, body := form(t, tt.parts...)
			// The client gets the answer (the rest of its body is read, not
			// refused with a reset).
			status, res := ut.post(t, ct, bytes.NewReader(body))
			if status != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", status)
			}
			field, message, data := fieldMessage(res.err)
			if field != tt.field || message != tt.message || fmt.Sprint(data) != fmt.Sprint(tt.data) {
				t.Errorf("error = %v (data %v), want %s on %q with %v", res.err, data, tt.message, tt.field, tt.data)
			}
			// What comes back is the text read before the refusal, no files.
			if res.up != nil && len(res.up.Files) != 0 {
				t.Errorf("upload = %+v, want no files", res.up)
			}
			if left := ut.files(t); len(left) != 0 {
				t.Errorf("a refused upload left %v", left)
			}
		})
	}

	t.Run("ExactlyTheLimit", func(t *testing.T) {
		t.Parallel()
		ut := newUpTest(t, max, nil)
		data := randomData(max)
		ct, body := form(t, fileField("exact.bin", data))
		status, res := ut.post(t, ct, bytes.NewReader(body))
		if status != 200 || len(res.up.Files) != 1 || res.up.Files[0].Size != max || res.up.Files[0].SHA256 != sha(data) {
			t.Fatalf("status %d, err %v, upload %+v", status, res.err, res.up)
		}
	})

	t.Run("StopsReading", func(t *testing.T) {
		t.Parallel()
		ut := newUpTest(t, max, nil)
		// A body of unknown length (chunked) with a 40 MB file: the server
		// stops reading once a valid form could not be any larger.
		ct, body := form(t, fileField("huge.bin", randomData(40*max)))
		req, _ := http.NewRequest(http.MethodPost, ut.srv.URL, io.MultiReader(bytes.NewReader(body)))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		res := <-ut.results
		if _, message, _ := fieldMessage(res.err); message != "upload.too_large" {
			t.Errorf("error = %v, want upload.too_large", res.err)
		}
		if limit := int64(3*max + maxUploadText + uploadSlack + uploadBufferSize); res.read > limit {
			t.Errorf("read %d bytes of the body, want at most %d", res.read, limit)
		}
	})

	t.Run("DeclaredLengthTooLarge", func(t *testing.T) {
		t.Parallel()
		ut := newUpTest(t, max, nil)
		// A body that says it is larger than any valid form is refused
		// before a byte of it is read.
		req, _ := http.NewRequest(http.MethodPost, ut.srv.URL, io.LimitReader(zeros{}, 6*max))
		req.ContentLength = 6 * max
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		res := <-ut.results
		if _, message, data := fieldMessage(res.err); message != "upload.total_too_large" || data["Files"] != 3 || data["Max"] != "1 MB" {
			t.Errorf("error = %v (%v), want upload.total_too_large", res.err, data)
		}
	})

	t.Run("BrokenBody", func(t *testing.T) {
		t.Parallel()
		ut := newUpTest(t, max, nil)
		status, res := ut.post(t, "multipart/form-data; boundary=abc", strings.NewReader("--abc\r\nnot a header\r\n\r\n"))
		if _, message, _ := fieldMessage(res.err); status != 422 || message != "upload.failed" {
			t.Errorf("status %d, error %v; want 422 upload.failed", status, res.err)
		}
		status, res = ut.post(t, "multipart/form-data", strings.NewReader("x"))
		if _, message, _ := fieldMessage(res.err); status != 422 || message != "error.bad_request" {
			t.Errorf("no boundary: status %d, error %v; want 422 error.bad_request", status, res.err)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestReadUpload_ClientHangsUp: the client sends two files and half of a
// third, then closes the connection; nothing stays stored.
func TestReadUpload_ClientHangsUp(t *testing.T) {
	t.Parallel()
	ut := newUpTest(t, 8<<20, nil)
	ct, body := form(t, part{name: "body", value: "x"}, fileField("1.bin", randomData(2<<20)),
		fileField("2.bin", randomData(2<<20)), fileField("3.bin", randomData(4<<20)))
	conn, err := net.Dial("tcp", ut.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		ut.srv.Listener.Addr(), ct, len(body))
	w.Write(body[:len(body)-2<<20])
	w.Flush()
	// The first two files are stored by now or soon; hang up mid-third.
	time.Sleep(100 * time.Millisecond)
	conn.Close()

	var res upResult
	select {
	case res = <-ut.results:
	case <-time.After(10 * time.Second):
		t.Fatal("readUpload did not return after the client hung up")
	}
	if field, message, _ := fieldMessage(res.err); field != "attachments" || message != "upload.failed" {
		t.Errorf("error = %v, want upload.failed on attachments", res.err)
	}
	if left := ut.files(t); len(left) != 0 {
		t.Errorf("an interrupted upload left %v", left)
	}
}

// failingStore fails the Put of the second file, and records deletions.
type failingStore struct {
	blob.Store
	mu      sync.Mutex
	puts    int
	deleted []string
}

func (f *failingStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	f.mu.Lock()
	f.puts++
	n := f.puts
	f.mu.Unlock()
	if n == 2 {
		io.CopyN(io.Discard, r, 10)
		return 0, errors.New("disk full")
	}
	return f.Store.Put(ctx, key, r)
}

func (f *failingStore) Delete(ctx context.Context, key string) error {
	f.mu.Lock()
	f.deleted = append(f.deleted, key)
	f.mu.Unlock()
	return f.Store.Delete(ctx, key)
}

func TestReadUpload_StorageFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	local, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := &failingStore{Store: local}
	ut := newUpTest(t, 1<<20, fs)
	ut.dir = dir
	ct, body := form(t, fileField("1.txt", randomData(1000)), fileField("2.txt", randomData(1000)))
	_, res := ut.post(t, ct, bytes.NewReader(body))
	if res.err == nil || portal.ErrorCode(res.err) != portal.EINTERNAL || !strings.Contains(res.err.Error(), "disk full") {
		t.Fatalf("error = %v, want an internal error about the disk", res.err)
	}
	if len(fs.deleted) != 1 {
		t.Errorf("deleted %v, want the first file's key", fs.deleted)
	}
	if left := ut.files(t); len(left) != 0 {
		t.Errorf("left %v", left)
	}
}

func TestReadUpload_FileNames(t *testing.T) {
	t.Parallel()
	ut := newUpTest(t, 1<<20, nil)
	nfd := "\u30ed\u30af\u3099.txt" // ログ.txt as macOS sends it, decomposed
	tests := []struct {
		disposition string
		name, ctype string
	}{
		{`form-data; name="attachments"; filename="../../etc/passwd"`, "passwd", "application/octet-stream"},
		{`form-data; name="attachments"; filename="..\\..\\windows\\win.ini"`, "win.ini", "application/octet-stream"},
		{`form-data; name="attachments"; filename="障害ログ 2026年11月.txt"`, "障害ログ 2026年11月.txt", "text/plain; charset=utf-8"},
		{`form-data; name="attachments"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf`, "報告書.pdf", "application/pdf"},
		{`form-data; name="attachments"; filename="` + nfd + `"`, "ログ.txt", "text/plain; charset=utf-8"},
		{`form-data; name="attachments"; filename="evil.svg"`, "evil.svg", "application/octet-stream"},
		{`form-data; name="attachments"; filename="page.html"`, "page.html", "application/octet-stream"},
		{`form-data; name="attachments"; filename="a` + "\u202e" + `txt.exe"`, "atxt.exe", "application/octet-stream"},
		{`form-data; name="attachments"; filename=".."`, "attachment", "application/octet-stream"},
	}
	for i := 0; i < len(tests); i += 3 {
		var parts []part
		for _, tt := range tests[i:min(i+3, len(tests))] {
			parts = append(parts, part{disposition: tt.disposition, data: []byte("data")})
		}
		ct, body := form(t, parts...)
		status, res := ut.post(t, ct, bytes.NewReader(body))
		if status != 200 {
			t.Fatalf("status %d: %v", status, res.err)
		}
		for j, f := range res.up.Files {
			tt := tests[i+j]
			if f.Name != tt.name || f.ContentType != tt.ctype {
				t.Errorf("%s: name %q type %q, want %q %q", tt.disposition, f.Name, f.ContentType, tt.name, tt.ctype)
			}
		}
	}
}

func TestCleanFileName(t *testing.T) {
	long := strings.Repeat("障", 100) + ".log" // 304 bytes
	tests := map[string]string{
		"report.txt":                   "report.txt",
		"C:\\Users\\田中\\report.txt":    "report.txt",
		"dir/sub/file.zip":             "file.zip",
		"  spaced name.txt  ":          "spaced name.txt",
		"tab\there.txt":                "tab here.txt",
		"bell\x07.txt":                 "bell.txt",
		"new\nline.txt":                "new line.txt",
		"trailing.txt. . ":             "trailing.txt",
		"":                             "attachment",
		"...":                          "attachment",
		"\xff\xfe.txt":                 "_.txt",
		".htaccess":                    ".htaccess",
		"👨\u200d💻.png":                 "👨\u200d💻.png",
		"\ufeffbom.txt":                "bom.txt",
		"ｶﾀｶﾅ.txt":                     "ｶﾀｶﾅ.txt", // NFC, not NFKC: the name stays as typed
		long:                           strings.Repeat("障", 83) + ".log",
		strings.Repeat("a", 300):       strings.Repeat("a", 255),
		"x." + strings.Repeat("e", 40): ("x." + strings.Repeat("e", 40)),
	}
	for in, want := range tests {
		if got := cleanFileName(in); got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
		if got := cleanFileName(in); len(got) > maxFileNameBytes {
			t.Errorf("cleanFileName(%q) is %d bytes", in, len(got))
		}
	}
}

func TestContentDisposition(t *testing.T) {
	tests := map[string]string{
		"report.pdf":              `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
		"障害ログ 2026年11月.txt":       `attachment; filename="_ 2026_11_.txt"; filename*=UTF-8''%E9%9A%9C%E5%AE%B3%E3%83%AD%E3%82%B0%202026%E5%B9%B411%E6%9C%88.txt`,
		`say "hi"\now.txt`:        `attachment; filename="say _hi_now.txt"; filename*=UTF-8''say%20%22hi%22%5Cnow.txt`,
		"100%; filename=evil.exe": `attachment; filename="100%; filename=evil.exe"; filename*=UTF-8''100%25%3B%20filename%3Devil.exe`,
	}
	for in, want := range tests {
		if got := contentDisposition(in); got != want {
			t.Errorf("contentDisposition(%q) =\n %s\nwant\n %s", in, got, want)
		}
	}
}

func TestFileSize(t *testing.T) {
	for n, want := range map[int64]string{7: "7 B", 1 << 10: "1 KB", 1536: "1.5 KB", 1 << 20: "1 MB",
		250 << 20: "250 MB", 1 << 30: "1 GB", 5<<20 + 1: "5 MB"} {
		if got := fileSize(n); got != want {
			t.Errorf("fileSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSafeContentType(t *testing.T) {
	for in, want := range map[string]string{"image/png": "image/png", "text/html": octetStream,
		"image/svg+xml": octetStream, "": octetStream, "text/plain; charset=utf-8": "text/plain; charset=utf-8"} {
		if got := safeContentType(in); got != want {
			t.Errorf("safeContentType(%q) = %q, want %q", in, got, want)
		}
	}
}
