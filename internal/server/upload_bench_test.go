package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madoguchi/internal/app/apptest"
	"madoguchi/internal/blob/blobtest"
	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// BenchmarkUpload250MB posts a comment with one 250 MB file to the real
// application on loopback, as a browser does (multipart/form-data with a
// Content-Length), and reports the throughput (MB/s, from SetBytes) and how
// much the process's memory grew while the upload ran:
//
//   - heap-peak-MB: the peak of live and not yet collected heap objects,
//     over what was there before;
//   - go-mem-peak-MB: the peak of all memory the Go runtime had mapped
//     (heap, stacks, runtime structures: what RSS follows), over before.
//
// Server and client share the process; the client holds 1 MiB of data and
// its connection buffers, so nearly all the growth is the server's. The
// "x4" variants run four uploads at once and report the growth per upload.
// The s3 variants store the files in a MinIO server (a separate process,
// not measured) and are skipped without one (see blobtest).
//
// Run with: make bench, or
// go test -run '^$' -bench Upload250MB -benchtime 1x ./internal/server/
func BenchmarkUpload250MB(b *testing.B) {
	const size = 250 << 20
	b.Run("disk", func(b *testing.B) { benchUpload(b, size, 1, nil) })
	b.Run("disk-x4", func(b *testing.B) { benchUpload(b, size, 4, nil) })
	b.Run("s3", func(b *testing.B) {
		srv := blobtest.Start(b)
		_, storageURL := srv.Bucket(b, true)
		benchUpload(b, size, 1, map[string]string{"STORAGE_URL": storageURL})
	})
}

func benchUpload(b *testing.B, size int64, concurrent int, env map[string]string) {
	dataDir := b.TempDir()
	opts := apptest.Options{Env: map[string]string{"DATA_DIR": dataDir}}
	for k, v := range env {
		opts.Env[k] = v
	}
	in := apptest.StartWith(b, opts)
	acc := in.Account(b, "Bench")
	u := in.User(b, apptest.UserSpec{AccountID: acc.ID, Ready: true})
	c := in.Client(b)
	in.SignIn(b, c, u)
	var cases []string
	for range concurrent {
		k, _, err := in.Store.CreateCase(context.Background(), newBenchCase(acc.ID, u.ID), nil)
		if err != nil {
			b.Fatal(err)
		}
		cases = append(cases, k.Number)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	chunk := make([]byte, 1<<20)
	rand.Read(chunk)

	b.SetBytes(size * int64(concurrent))
	b.ReportAllocs()
	var heapPeak, memPeak float64
	for b.Loop() {
		b.StopTimer()
		os.RemoveAll(filepath.Join(dataDir, "att"))
		runtime.GC()
		before := readMem()
		mon := startMemMonitor()
		b.StartTimer()

		var wg sync.WaitGroup
		var failed atomic.Value
		for _, number := range cases {
			wg.Go(func() {
				req := benchRequest(b, in.URL, number, c, chunk, size)
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther {
					failed.Store(fmt.Sprintf("POST comment: %d, want 303", resp.StatusCode))
				}
			})
		}
		wg.Wait()

		b.StopTimer()
		peak := mon.stop()
		if msg := failed.Load(); msg != nil {
			b.Fatal(msg)
		}
		heapPeak = max(heapPeak, (peak.heap-before.heap)/float64(concurrent))
		memPeak = max(memPeak, (peak.total-before.total)/float64(concurrent))
		b.StartTimer()
	}
	b.ReportMetric(heapPeak/(1<<20), "heap-peak-MB")
	b.ReportMetric(memPeak/(1<<20), "go-mem-peak-MB")
}

// benchRequest is a comment with one size-byte file, streamed from a 1 MiB
// chunk, with its length known up front as a browser's is.
func benchRequest(b *testing.B, base, number string, c *apptest.Client, chunk []byte, size int64) *http.Request {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("body", "benchmark upload")
	if _, err := mw.CreateFormFile("attachments", "bench.bin"); err != nil {
		b.Fatal(err)
	}
	n := head.Len()
	mw.Close()
	tail := append([]byte(nil), head.Bytes()[n:]...)
	head.Truncate(n)
	body := io.MultiReader(&head, &repeatReader{chunk: chunk, left: size}, bytes.NewReader(tail))
	req, err := http.NewRequest(http.MethodPost, base+"/cases/"+number+"/comments", body)
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = int64(n) + size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, ck := range c.Cookies() {
		req.AddCookie(ck)
	}
	return req
}

// repeatReader yields left bytes by repeating chunk.
type repeatReader struct {
	chunk []byte
	off   int
	left  int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), r.left)], r.chunk[r.off:])
	r.off = (r.off + n) % len(r.chunk)
	r.left -= int64(n)
	return n, nil
}

type memSample struct{ heap, total float64 }

var memMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes"}

func readMem() memSample {
	s := make([]metrics.Sample, len(memMetrics))
	for i, name := range memMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	return memSample{heap: float64(s[0].Value.Uint64()), total: float64(s[1].Value.Uint64())}
}

// memMonitor samples memory every 10 ms and keeps the peaks.
type memMonitor struct {
	done chan struct{}
	peak chan memSample
}

func startMemMonitor() *memMonitor {
	m := &memMonitor{done: make(chan struct{}), peak: make(chan memSample)}
	go func() {
		var peak memSample
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			s := readMem()
			peak.heap, peak.total = max(peak.heap, s.heap), max(peak.total, s.total)
			select {
			case <-m.done:
				m.peak <- peak
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memMonitor) stop() memSample {
	close(m.done)
	return <-m.peak
}

func newBenchCase(accountID, userID int64) store.NewCase {
	return store.NewCase{
		AccountID: accountID, OpenedBy: userID, HelpType: portal.HelpProduct, Priority: portal.DefaultPriority,
		Subject: "Upload benchmark", Description: "A case to attach large files to.", CC: []string{},
	}
}
