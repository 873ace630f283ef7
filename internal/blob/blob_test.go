package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"madoguchi/internal/blob"
	"madoguchi/internal/blob/blobtest"
)

// testStore runs the behaviour every Store must have. leftovers lists what a
// store holds besides complete blobs (temporary files, unfinished uploads),
// so that a failed Put can be shown to leave nothing.
func testStore(t *testing.T, s blob.Store, leftovers func(t *testing.T) []string) {
	ctx := context.Background()

	t.Run("PutOpenDelete", func(t *testing.T) {
		data := randomBytes(t, 3<<20+17) // several 1 MiB buffers and a ragged end
		n, err := s.Put(ctx, "att/2026/11/put-open", bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Put = %d, %v; want %d", n, err, len(data))
		}
		if got := read(t, s, "att/2026/11/put-open"); !bytes.Equal(got, data) {
			t.Fatalf("Open read %d bytes, not what was put", len(got))
		}
		// A second Put replaces the bytes.
		if _, err := s.Put(ctx, "att/2026/11/put-open", strings.NewReader("second")); err != nil {
			t.Fatal(err)
		}
		if got := read(t, s, "att/2026/11/put-open"); string(got) != "second" {
			t.Fatalf("after a second Put, Open = %q", got)
		}
		if err := s.Delete(ctx, "att/2026/11/put-open"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, "att/2026/11/put-open"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Open after Delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "att/2026/11/put-open"); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		if n, err := s.Put(ctx, "att/empty", strings.NewReader("")); err != nil || n != 0 {
			t.Fatalf("Put empty = %d, %v", n, err)
		}
		if got := read(t, s, "att/empty"); len(got) != 0 {
			t.Fatalf("Open empty = %q", got)
		}
	})

	t.Run("OpenMissing", func(t *testing.T) {
		if _, err := s.Open(ctx, "att/never"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Open = %v, want ErrNotFound", err)
		}
	})

	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		boom := errors.New("client went away")
		for name, r := range map[string]io.Reader{
			"ReaderError":   io.MultiReader(bytes.NewReader(randomBytes(t, 2<<20)), iotest.ErrReader(boom)),
			"UnexpectedEOF": io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(io.ErrUnexpectedEOF)),
			"LargeError":    io.MultiReader(bytes.NewReader(randomBytes(t, 20<<20)), iotest.ErrReader(boom)),
		} {
			key := "att/fail/" + name
			if _, err := s.Put(ctx, key, r); err == nil {
				t.Fatalf("%s: Put succeeded", name)
			}
			if _, err := s.Open(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("%s: Open after a failed Put = %v, want ErrNotFound", name, err)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, "att/fail/cancelled", strings.NewReader("x")); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		// Cancelled while streaming.
		cctx, cancel = context.WithCancel(ctx)
		pr, pw := io.Pipe()
		go func() {
			pw.Write(randomBytes(t, 1<<20))
			cancel()
			pw.CloseWithError(context.Canceled)
		}()
		if _, err := s.Put(cctx, "att/fail/cancelled-midway", pr); err == nil {
			t.Fatal("Put cancelled midway succeeded")
		}
		if left := leftovers(t); len(left) > 0 {
			t.Fatalf("failed Puts left %v", left)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		want := make([][]byte, 8)
		for i := range want {
			want[i] = randomBytes(t, 1<<20+i*4099)
		}
		errs := make(chan error, 2*len(want))
		for i := range want {
			wg.Go(func() {
				key := fmt.Sprintf("att/2026/11/concurrent-%d", i)
				if _, err := s.Put(ctx, key, bytes.NewReader(want[i])); err != nil {
					errs <- err
				}
			})
			// Several writers of one key: the last rename wins, and a
			// reader never sees a mixture.
			wg.Go(func() {
				if _, err := s.Put(ctx, "att/2026/11/same", bytes.NewReader(want[i])); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i := range want {
			if got := read(t, s, fmt.Sprintf("att/2026/11/concurrent-%d", i)); !bytes.Equal(got, want[i]) {
				t.Errorf("concurrent-%d: read back %d bytes, not what was put", i, len(got))
			}
		}
		got := read(t, s, "att/2026/11/same")
		found := false
		for i := range want {
			found = found || bytes.Equal(got, want[i])
		}
		if !found {
			t.Errorf("the key written by several Puts holds %d bytes that none of them wrote", len(got))
		}
		if left := leftovers(t); len(left) > 0 {
			t.Fatalf("concurrent Puts left %v", left)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		for _, key := range []string{"", "../escape", "att/../../escape", "/abs", "att//x", "att/./x", "att/x/",
			`att\x`, "att/名前", "att/x y", strings.Repeat("a", 513)} {
			if _, err := s.Put(ctx, key, strings.NewReader("x")); err == nil {
				t.Errorf("Put(%q) succeeded", key)
			}
			if _, err := s.Open(ctx, key); err == nil || errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q) = %v, want an invalid-key error", key, err)
			}
			if err := s.Delete(ctx, key); err == nil {
				t.Errorf("Delete(%q) succeeded", key)
			}
		}
	})
}

func TestLocal(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	s, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("NewLocal created %s before the first Put", dir)
	}
	testStore(t, s, func(t *testing.T) []string {
		var left []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".") {
				left = append(left, p)
			}
			return nil
		})
		return left
	})

	// Nothing is written outside the data directory, and keys are sharded.
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Errorf("file outside the data directory: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), "att/2026/11/abc", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	shards, err := filepath.Glob(filepath.Join(dir, "att", "2026", "11", "??", "abc"))
	if err != nil || len(shards) != 1 {
		t.Fatalf("att/2026/11/abc is not stored in one shard folder: %v %v", shards, err)
	}
}

func TestLocalNotADirectory(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.NewLocal(f); err == nil {
		t.Fatal("NewLocal on a file succeeded")
	}
}

func TestS3(t *testing.T) {
	t.Parallel()
	srv := blobtest.Start(t)
	bucket, storageURL := srv.Bucket(t, false)
	s, err := blob.Open(storageURL, "unused", blob.Credentials{AccessKey: blobtest.AccessKey, SecretKey: blobtest.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.(*blob.S3).Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	testStore(t, s, func(t *testing.T) []string {
		var left []string
		for _, name := range srv.Objects(t, bucket) {
			if strings.HasPrefix(name, "(incomplete)") || strings.Contains(name, "/fail/") {
				left = append(left, name)
			}
		}
		return left
	})

	t.Run("KeysInURLAndPrefix", func(t *testing.T) {
		bucket, storageURL := srv.Bucket(t, true)
		s, err := blob.Open(strings.Replace(storageURL, "?", "/tenant-a?", 1), "", blob.Credentials{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(context.Background(), "att/x", strings.NewReader("hello")); err != nil {
			t.Fatal(err)
		}
		if got := srv.Objects(t, bucket); len(got) != 1 || got[0] != "tenant-a/att/x" {
			t.Fatalf("objects = %v, want [tenant-a/att/x]", got)
		}
	})

	t.Run("WrongKeys", func(t *testing.T) {
		_, storageURL := srv.Bucket(t, false)
		s, err := blob.Open(storageURL, "", blob.Credentials{AccessKey: blobtest.AccessKey, SecretKey: "wrong"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(context.Background(), "att/x", strings.NewReader("hello")); err == nil {
			t.Fatal("Put with a wrong secret succeeded")
		}
		if err := s.(*blob.S3).Check(context.Background()); err == nil {
			t.Fatal("Check with a wrong secret succeeded")
		}
	})
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		url, dataDir string
		want         string // type, or "" for an error
	}{
		{"", dir, "*blob.Local"},
		{"file://" + dir, "ignored", "*blob.Local"},
		{"file://localhost" + dir, "", "*blob.Local"},
		{"file://host/x", "", ""},
		{"file://", "", ""},
		{"s3://bucket?endpoint=127.0.0.1:9000&secure=false&region=ap-northeast-1", "", "*blob.S3"},
		{"s3://bucket", "", "*blob.S3"},
		{"s3://?endpoint=x", "", ""},
		{"s3://bucket?secure=maybe", "", ""},
		{"s3://bucket?part_size=1024", "", ""},
		{"s3://bucket/../x", "", ""},
		{"ftp://x", "", ""},
		{"::", "", ""},
	}
	for _, tt := range tests {
		s, err := blob.Open(tt.url, tt.dataDir, blob.Credentials{})
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("Open(%q) succeeded", tt.url)
		case tt.want != "" && err != nil:
			t.Errorf("Open(%q): %v", tt.url, err)
		case tt.want != "" && fmt.Sprintf("%T", s) != tt.want:
			t.Errorf("Open(%q) = %T, want %s", tt.url, s, tt.want)
		}
	}
	c, err := blob.ParseS3URL("s3://b/p?endpoint=h:1&secure=false&region=r&access_key=a&secret_key=s&part_size=8388608",
		blob.Credentials{AccessKey: "env", SecretKey: "env"})
	if err != nil {
		t.Fatal(err)
	}
	want := blob.S3Config{Endpoint: "h:1", Bucket: "b", Prefix: "p/", Region: "r", AccessKey: "a", SecretKey: "s", PartSize: 8 << 20}
	if c != want {
		t.Errorf("ParseS3URL = %+v, want %+v", c, want)
	}
	c, _ = blob.ParseS3URL("s3://b", blob.Credentials{AccessKey: "env-a", SecretKey: "env-s"})
	if c.AccessKey != "env-a" || c.SecretKey != "env-s" || !c.Secure || c.Endpoint != "s3.amazonaws.com" {
		t.Errorf("ParseS3URL without keys or endpoint = %+v", c)
	}
}

func read(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}
