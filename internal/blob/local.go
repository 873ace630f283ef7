package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Local keeps blobs as files under a directory (DATA_DIR). A key's folders
// become folders, and a two-character shard taken from the key's hash spreads
// the files of one folder over 256 subfolders: key "att/2026/11/x" is the
// file <dir>/att/2026/11/<shard>/x.
type Local struct {
	dir string
}

// NewLocal returns a store in dir. The directory is created with the first
// Put, so a server that never receives a file leaves nothing on disk; if dir
// exists it must be a directory.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("blob: local: no directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: local: %w", err)
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("blob: local: %s is not a directory", abs)
	}
	return &Local{dir: abs}, nil
}

// ValidKey reports whether key may name a blob: slash-separated segments of
// ASCII letters, digits, '-', '_' and '.', none of them empty, "." or "..",
// at most 512 bytes. Keys are chosen by the server, but a key is a path on
// disk here, so it is checked anyway.
func ValidKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
	}
	return true
}

// path returns the file of key, which always lies under l.dir.
func (l *Local) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("blob: invalid key %q", key)
	}
	sum := sha256.Sum256([]byte(key))
	folder, name := path.Split(key)
	p := filepath.Join(l.dir, filepath.FromSlash(folder), hex.EncodeToString(sum[:1]), name)
	if !strings.HasPrefix(p, l.dir+string(filepath.Separator)) {
		return "", fmt.Errorf("blob: key %q escapes the data directory", key)
	}
	return p, nil
}

// Put writes r to a temporary file next to key's file, syncs it and renames
// it into place, so a reader never sees a partial file and a crash leaves at
// most a temporary file behind. On any error (the reader's, the disk's or
// ctx's) the temporary file is removed.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	p, err := l.path(key)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	folder := filepath.Dir(p)
	if err := os.MkdirAll(folder, 0o750); err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	f, err := os.CreateTemp(folder, ".put-*")
	if err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	buf := getBuffer()
	defer putBuffer(buf)
	n, err = copyFull(ctx, f, r, *buf)
	if err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	// The rename is durable once the folder's entry is.
	if d, derr := os.Open(folder); derr == nil {
		d.Sync()
		d.Close()
	}
	return n, nil
}

// Open opens key's file.
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return f, nil
}

// Delete removes key's file.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

// bufferSize is the size of the chunks Put reads and writes: large enough
// that a 250 MB file costs few system calls, small enough to keep many
// concurrent uploads cheap.
const bufferSize = 1 << 20

var buffers = sync.Pool{New: func() any { b := make([]byte, bufferSize); return &b }}

func getBuffer() *[]byte  { return buffers.Get().(*[]byte) }
func putBuffer(b *[]byte) { buffers.Put(b) }

// copyFull copies r to w through buf, filling buf before each write (a
// multipart part hands out a few kilobytes per Read) and stopping as soon as
// ctx is done. Only io.EOF ends the copy without error: a reader that fails
// with io.ErrUnexpectedEOF (a request body cut short) fails the copy.
func copyFull(ctx context.Context, w io.Writer, r io.Reader, buf []byte) (int64, error) {
	var written int64
	for {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		n, rerr := fill(r, buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			written += int64(m)
			if werr != nil {
				return written, werr
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

// fill reads into buf until it is full or r fails, returning r's error as is
// (io.ReadFull would turn a short read's io.EOF into io.ErrUnexpectedEOF and
// hide a real one).
func fill(r io.Reader, buf []byte) (int, error) {
	n, empty := 0, 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty > 100 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}
