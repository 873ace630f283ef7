package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// Limits of one form besides its files.
const (
	uploadField      = "attachments" // the form field files arrive in
	maxUploadText    = 1 << 20       // all text fields of one form together
	maxUploadParts   = 200           // parts of one form, fields and files
	maxFileNameBytes = 255           // a stored file name, in UTF-8
	uploadBufferSize = 256 << 10     // read-ahead on the request body
	uploadSlack      = 1 << 20       // multipart headers and boundaries
)

// uploadedFile is a file of a form whose bytes are stored under Key.
type uploadedFile struct {
	Name        string // the client's name, cleaned
	ContentType string // chosen by the server from the name
	Key         string // blob key
	SHA256      string // hex
	Size        int64
}

// upload is a form read by readUpload: its text fields and its stored files.
type upload struct {
	Values url.Values
	Files  []uploadedFile
}

// Attachments returns the files as the store records them.
func (up *upload) Attachments() []store.NewAttachment {
	if up == nil {
		return nil
	}
	out := make([]store.NewAttachment, 0, len(up.Files))
	for _, f := range up.Files {
		out = append(out, store.NewAttachment{Name: f.Name, Size: f.Size, SHA256: f.SHA256,
			ContentType: f.ContentType, StorageKey: f.Key})
	}
	return out
}

// maxFileSize is the largest file one may attach (MAX_UPLOAD_SIZE).
func (s *Server) maxFileSize() int64 {
	if s.cfg.MaxUploadSize > 0 {
		return s.cfg.MaxUploadSize
	}
	return portal.DefaultMaxFileSize
}

// readUpload reads a form that may carry files. A multipart/form-data body
// is read part by part with a multipart.Reader (never ParseMultipartForm, so
// a file is never held in memory or spooled to a temporary file): text
// fields go to Values (at most 1 MiB of text in all), and each file chosen in
// the "attachments" field is streamed to blob storage under a new random key
// while its size is counted against MAX_UPLOAD_SIZE and its SHA-256 computed.
// File inputs left empty are skipped; at most maxFiles files are accepted.
// Any other body (application/x-www-form-urlencoded) is parsed as usual and
// yields no files. Values are also set as r.PostForm and r.Form.
//
// On error nothing of the form stays stored; the upload returned with it
// (nil for a body that could not be read at all) holds no files, only the
// text fields read before the error, so that the page can come back with
// what was typed (the forms put their file input last). The error is one of
//   - a field error on "attachments": upload.too_large (Data: Name, Max),
//     upload.total_too_large (Data: Files, Max), upload.too_many (Data: Max),
//     or upload.failed (the client went away or sent a broken body);
//   - EINVALID upload.form_too_large or error.bad_request, not about a field;
//   - an internal error when storage fails.
//
// Field errors carry Data: show them with fieldErrors or mergeFieldErrors.
//
// On success the files are stored but recorded nowhere: the caller must
// call discardUpload when it does not go on to record them (invalid input,
// a stale version, a failed transaction), or they are left orphaned.
func (s *Server) readUpload(r *http.Request, maxFiles int) (*upload, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return nil, portal.Errorf(portal.EINVALID, "error.bad_request")
		}
		return &upload{Values: r.PostForm}, nil
	}
	ctx := r.Context()
	maxFile := s.maxFileSize()
	// The most a valid form can weigh: beyond it there is no point reading.
	maxTotal := int64(maxFiles)*maxFile + maxUploadText + uploadSlack
	if r.ContentLength > maxTotal {
		return nil, &portal.Error{Code: portal.EINVALID, Field: uploadField, Message: "upload.total_too_large",
			Data: map[string]any{"Files": maxFiles, "Max": fileSize(maxFile)}}
	}

	// Read the body in large chunks: the multipart reader asks for 4 KiB at
	// a time, and a system call for each would cost more than the copying.
	orig := r.Body
	body := &countingBody{rc: orig}
	br := bodyReaders.Get().(*bufio.Reader)
	br.Reset(body)
	r.Body = bufferedBody{br, body}
	defer func() {
		r.Body = orig
		br.Reset(nil)
		bodyReaders.Put(br)
	}()
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, portal.Errorf(portal.EINVALID, "error.bad_request")
	}

	up := &upload{Values: url.Values{}}
	err = s.readParts(ctx, mr, up, maxFiles, maxFile)
	if err != nil {
		s.discardUpload(ctx, up)
		up.Files = nil
		var pe *portal.Error
		if errors.As(err, &pe) && pe.Message != "upload.failed" {
			// Read what the client is still sending (up to what a valid
			// form could weigh), so that it sees the answer instead of a
			// connection reset.
			if left := maxTotal - body.n; left > 0 {
				io.CopyN(io.Discard, br, left)
			}
		}
		return up, err
	}
	r.PostForm = up.Values
	r.Form = url.Values{}
	for k, v := range up.Values {
		r.Form[k] = append(r.Form[k], v...)
	}
	for k, v := range r.URL.Query() {
		r.Form[k] = append(r.Form[k], v...)
	}
	return up, nil
}

var errFileTooLarge = errors.New("upload: file too large")

// readParts reads every part of a multipart form into up.
func (s *Server) readParts(ctx context.Context, mr *multipart.Reader, up *upload, maxFiles int, maxFile int64) error {
	failed := func(err error) error {
		s.logger.InfoContext(ctx, "upload failed", "err", err)
		return portal.FieldError(uploadField, "upload.failed")
	}
	textLeft := int64(maxUploadText)
	for parts := 0; ; parts++ {
		if parts >= maxUploadParts {
			return portal.Errorf(portal.EINVALID, "upload.form_too_large")
		}
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return failed(err)
		}
		if err := ctx.Err(); err != nil {
			return failed(err)
		}
		// A part is read to its end only when it is within its limit
		// (Part.Close would read the rest of an oversized one).
		name := part.FormName()
		if name == uploadField && isFilePart(part) {
			if err := s.readFile(ctx, part, up, maxFiles, maxFile); err != nil {
				return err
			}
			continue
		}
		// A text field, or a file where none is expected: its bytes count
		// against the text limit, and only a text field keeps them.
		b, err := io.ReadAll(io.LimitReader(part, textLeft+1))
		if err != nil {
			return failed(err)
		}
		if textLeft -= int64(len(b)); textLeft < 0 {
			return portal.Errorf(portal.EINVALID, "upload.form_too_large")
		}
		if name != "" && !isFilePart(part) {
			up.Values.Add(name, string(b))
		}
	}
}

// isFilePart reports whether a part is a file input: it has a filename
// parameter, empty when no file was chosen.
func isFilePart(p *multipart.Part) bool {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return false
	}
	_, ok := params["filename"]
	return ok
}

// readFile streams one file part to storage and adds it to up.
func (s *Server) readFile(ctx context.Context, part *multipart.Part, up *upload, maxFiles int, maxFile int64) error {
	name := part.FileName()
	// A file input left empty arrives as a part with no name and no bytes.
	var first [1]byte
	n, err := io.ReadFull(part, first[:])
	if n == 0 && err == io.EOF && name == "" {
		return nil
	}
	if n == 0 && err != io.EOF {
		s.logger.InfoContext(ctx, "upload failed", "err", err)
		return portal.FieldError(uploadField, "upload.failed")
	}
	if len(up.Files) >= maxFiles {
		return &portal.Error{Code: portal.EINVALID, Field: uploadField, Message: "upload.too_many",
			Data: map[string]any{"Max": maxFiles}}
	}
	name = cleanFileName(name)
	f := uploadedFile{Name: name, ContentType: contentTypeFor(name), Key: s.newBlobKey()}
	m := &meter{r: io.MultiReader(strings.NewReader(string(first[:n])), part), max: maxFile, hash: sha256.New()}
	stored, err := s.blob.Put(ctx, f.Key, m)
	switch {
	case errors.Is(m.err, errFileTooLarge):
		return &portal.Error{Code: portal.EINVALID, Field: uploadField, Message: "upload.too_large",
			Data: map[string]any{"Name": name, "Max": fileSize(maxFile)}}
	case m.err != nil:
		s.logger.InfoContext(ctx, "upload failed", "file", name, "err", m.err)
		return portal.FieldError(uploadField, "upload.failed")
	case err != nil && ctx.Err() != nil:
		s.logger.InfoContext(ctx, "upload failed", "file", name, "err", err)
		return portal.FieldError(uploadField, "upload.failed")
	case err != nil:
		return fmt.Errorf("upload %q: %w", name, err)
	case stored != m.n:
		s.blob.Delete(context.WithoutCancel(ctx), f.Key)
		return fmt.Errorf("upload %q: stored %d bytes of %d", name, stored, m.n)
	}
	f.Size = m.n
	f.SHA256 = hex.EncodeToString(m.hash.Sum(nil))
	up.Files = append(up.Files, f)
	return nil
}

// discardUpload deletes the stored files of up (which may be nil), for a
// form that will not be recorded. It works on a context of its own, so it
// also runs after the client has gone.
func (s *Server) discardUpload(ctx context.Context, up *upload) {
	if up == nil || len(up.Files) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, f := range up.Files {
		if err := s.blob.Delete(ctx, f.Key); err != nil {
			s.logger.ErrorContext(ctx, "discard upload", "key", f.Key, "err", err)
		}
	}
	up.Files = nil
}

// newBlobKey returns a fresh random key, grouped by month:
// att/2026/11/<32 hex digits>.
func (s *Server) newBlobKey() string {
	var b [16]byte
	rand.Read(b[:])
	now := s.now().UTC()
	return fmt.Sprintf("att/%04d/%02d/%s", now.Year(), int(now.Month()), hex.EncodeToString(b[:]))
}

// meter passes a file through while counting it against the limit and
// hashing it; it never hands out a byte past the limit, and reads at most
// one byte more than the limit from the client. err remembers why it
// stopped: errFileTooLarge or the client's read error.
type meter struct {
	r    io.Reader
	max  int64
	n    int64
	hash hash.Hash
	err  error
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if left := m.max + 1 - m.n; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := m.r.Read(p)
	if m.n+int64(n) > m.max {
		m.err = errFileTooLarge
		return 0, m.err
	}
	m.n += int64(n)
	m.hash.Write(p[:n])
	if err != nil && err != io.EOF {
		m.err = err
	}
	return n, err
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	rc io.ReadCloser
	n  int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n += int64(n)
	return n, err
}

// bufferedBody reads a request body through a large buffer.
type bufferedBody struct {
	*bufio.Reader
	body *countingBody
}

func (b bufferedBody) Close() error { return b.body.rc.Close() }

var bodyReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, uploadBufferSize) }}

// cleanFileName makes a client's file name safe to store and show: no
// folders (../, C:\…), no control or bidirectional-override characters,
// valid UTF-8 in NFC (macOS sends Japanese names decomposed), at most
// maxFileNameBytes bytes with the extension kept; "attachment" if nothing is
// left.
func cleanFileName(raw string) string {
	if i := strings.LastIndexAny(raw, `/\`); i >= 0 {
		raw = raw[i+1:]
	}
	raw = norm.NFC.String(strings.ToValidUTF8(raw, "_"))
	var b strings.Builder
	for _, r := range raw {
		switch {
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r) && r != '\u200d':
			continue
		default:
			b.WriteRune(r)
		}
	}
	name := strings.TrimRight(strings.TrimSpace(b.String()), " .")
	if strings.Trim(name, ".") == "" {
		return "attachment"
	}
	if len(name) <= maxFileNameBytes {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 32 {
		ext = ""
	}
	stem := name[:maxFileNameBytes-len(ext)]
	for !utf8.ValidString(stem) {
		stem = stem[:len(stem)-1]
	}
	return strings.TrimRight(stem, " .") + ext
}

// servedTypes are the only Content-Types attachments are served with, by
// extension. Nothing a browser would run or render as a page (HTML, SVG,
// XML, JavaScript) is on the list; everything else is
// application/octet-stream.
var servedTypes = map[string]string{
	".txt":  "text/plain; charset=utf-8",
	".log":  "text/plain; charset=utf-8",
	".csv":  "text/csv; charset=utf-8",
	".json": "application/json",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".bmp":  "image/bmp",
	".pdf":  "application/pdf",
	".zip":  "application/zip",
	".gz":   "application/gzip",
	".tgz":  "application/gzip",
	".7z":   "application/x-7z-compressed",
	".tar":  "application/x-tar",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".ppt":  "application/vnd.ms-powerpoint",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

const octetStream = "application/octet-stream"

// contentTypeFor chooses the Content-Type a file is served with from its
// name; what the client claimed is never used.
func contentTypeFor(name string) string {
	if ct, ok := servedTypes[strings.ToLower(path.Ext(name))]; ok {
		return ct
	}
	return octetStream
}

// safeContentType returns ct if it is one the server chooses, else
// application/octet-stream (for a row written by something else).
func safeContentType(ct string) string {
	for _, v := range servedTypes {
		if ct == v {
			return ct
		}
	}
	return octetStream
}

// fileSize writes a byte count for people: 250 MB, 1.5 MB, 12 KB, 7
// B (binary units, as DefaultMaxFileSize is 250 << 20).
func fileSize(n int64) string {
	switch {
	case n >= 1<<30:
		return trimUnit(float64(n)/(1<<30)) + " GB"
	case n >= 1<<20:
		return trimUnit(float64(n)/(1<<20)) + " MB"
	case n >= 1<<10:
		return trimUnit(float64(n)/(1<<10)) + " KB"
	}
	return fmt.Sprintf("%d B", n)
}

func trimUnit(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}
