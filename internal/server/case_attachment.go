package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"madoguchi/internal/blob"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// attachmentDownload sends a case's file as a download. Whoever may not see
// the case, or the note the file came with, gets 404 as if it did not exist.
// The file is never shown as a page of the portal: it is an attachment, with
// the type chosen at upload, no sniffing, and a sandbox CSP in case a browser
// opens it anyway.
func (s *Server) attachmentDownload(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := reqCtx(r).User
	c, err := s.store.CaseByNumber(ctx, chi.URLParam(r, "number"))
	if err != nil {
		return err
	}
	if !portal.CanView(u, c) {
		return notFound()
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return notFound()
	}
	a, internal, err := s.store.AttachmentByID(ctx, c.ID, id)
	if err != nil {
		return err
	}
	if internal && !u.Role.Staff() {
		return notFound()
	}
	rc, err := s.blob.Open(ctx, a.StorageKey)
	if errors.Is(err, blob.ErrNotFound) {
		return fmt.Errorf("attachment %d of %s: no bytes under %s", a.ID, c.Number, a.StorageKey)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	if u.Role.Staff() {
		if err := s.store.Record(ctx, store.Audit{ActorID: u.ID, AccountID: c.AccountID, Action: "attachment.download",
			IP: reqCtx(r).IP, Detail: map[string]any{"case": c.Number, "attachment_id": a.ID, "name": a.Name}}); err != nil {
			return err
		}
	}

	h := w.Header()
	h.Set("Content-Type", safeContentType(a.ContentType))
	h.Set("Content-Disposition", contentDisposition(a.Name))
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	buf := downloadBuffers.Get().(*[]byte)
	defer downloadBuffers.Put(buf)
	if _, err := io.CopyBuffer(writerOnly{w}, readerOnly{rc}, *buf); err != nil {
		// The status is out; all that is left is to say why the body stops.
		s.logger.WarnContext(ctx, "download interrupted", "case", c.Number, "attachment", a.ID, "err", err)
	}
	return nil
}

// writerOnly and readerOnly hide ReadFrom and WriteTo, so that CopyBuffer
// uses the pooled buffer.
type (
	writerOnly struct{ io.Writer }
	readerOnly struct{ io.Reader }
)

var downloadBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// contentDisposition is an RFC 6266 attachment header: an ASCII fallback in
// filename for old clients and the exact UTF-8 name in filename* (RFC 5987),
// so that Japanese names arrive intact.
func contentDisposition(name string) string {
	return `attachment; filename="` + asciiFileName(name) + `"; filename*=UTF-8''` + rfc5987(name)
}

// asciiFileName replaces each run of characters outside printable ASCII,
// and the quote and backslash, with one underscore.
func asciiFileName(name string) string {
	var b strings.Builder
	under := false
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			if !under {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
		b.WriteRune(r)
	}
	return b.String()
}

// rfc5987 percent-encodes every byte of s that is not an attr-char.
func rfc5987(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
