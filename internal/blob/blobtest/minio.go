// Package blobtest runs a real MinIO server for tests of the S3 store.
//
// The server binary is $MINIO_BIN, else `minio` on PATH, else
// .bin/minio at the top of the source tree (scripts/minio.sh builds it there
// from the Go module proxy). Without one, tests that need it are skipped
// with a message saying how to get it.
package blobtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Root credentials of every test server.
const (
	AccessKey = "madoguchi-test"
	SecretKey = "madoguchi-test-secret"
)

// Binary returns the MinIO server binary to run, or "".
func Binary() string {
	if p := os.Getenv("MINIO_BIN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	if root := moduleRoot(); root != "" {
		p := filepath.Join(root, ".bin", "minio")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Server is a running MinIO server.
type Server struct {
	Endpoint string // 127.0.0.1:port
	Client   *minio.Client
}

var buckets atomic.Int64

// Start returns a MinIO server on 127.0.0.1 with its data in a temporary
// folder, skipping the test when no binary is available. The server lives
// until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Binary()
	if bin == "" {
		tb.Skip("blobtest: no MinIO server binary: set MINIO_BIN, put minio on PATH, or run scripts/minio.sh " +
			"(builds github.com/minio/minio into .bin/minio from the Go module proxy)")
	}
	dir := tb.TempDir()
	addr := freeAddr(tb)
	console := freeAddr(tb)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "server", "--quiet", "--address", addr, "--console-address", console, dir)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("blobtest: start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cancel()
		<-exited
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			tb.Fatalf("blobtest: minio exited:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("blobtest: minio did not become ready:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	client, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, "")})
	if err != nil {
		tb.Fatal(err)
	}
	return &Server{Endpoint: addr, Client: client}
}

// Bucket creates a new empty bucket and returns its STORAGE_URL, with the
// keys in the URL when withKeys is true.
func (s *Server) Bucket(tb testing.TB, withKeys bool) (name, storageURL string) {
	tb.Helper()
	name = fmt.Sprintf("test-%d-%d", time.Now().UnixNano()%1e9, buckets.Add(1))
	if err := s.Client.MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		tb.Fatalf("blobtest: make bucket: %v", err)
	}
	q := url.Values{"endpoint": {s.Endpoint}, "secure": {"false"}, "region": {"us-east-1"}}
	if withKeys {
		q.Set("access_key", AccessKey)
		q.Set("secret_key", SecretKey)
	}
	return name, "s3://" + name + "?" + q.Encode()
}

// Objects lists the names of every object in bucket, and of every
// unfinished multipart upload (a leftover of a failed Put).
func (s *Server) Objects(tb testing.TB, bucket string) []string {
	tb.Helper()
	ctx := context.Background()
	var names []string
	for o := range s.Client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			tb.Fatalf("blobtest: list %s: %v", bucket, o.Err)
		}
		names = append(names, o.Key)
	}
	for u := range s.Client.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			tb.Fatalf("blobtest: list uploads %s: %v", bucket, u.Err)
		}
		names = append(names, "(incomplete) "+u.Key)
	}
	return names
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
