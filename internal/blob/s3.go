package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// DefaultPartSize is the S3 multipart part size. A file of unknown length is
// sent a part at a time, and the client holds one part in memory, so this
// bounds the memory an upload costs; 16 MiB parts keep a 250 MB file to 16
// requests.
const DefaultPartSize = 16 << 20

// minPartSize is S3's smallest allowed part (except the last one).
const minPartSize = 5 << 20

// S3Config says where an S3-compatible bucket is and how to reach it.
type S3Config struct {
	Endpoint  string // host:port; s3.amazonaws.com when empty
	Bucket    string
	Prefix    string // prepended to every key, e.g. "madoguchi/"
	Region    string
	Secure    bool // https
	AccessKey string
	SecretKey string
	PartSize  uint64 // DefaultPartSize when 0
}

// Credentials are S3 keys given outside the URL (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY); keys in the URL win.
type Credentials struct {
	AccessKey string
	SecretKey string
}

// ParseS3URL reads s3://bucket[/prefix]?endpoint=host:port&region=…&secure=false
// [&access_key=…&secret_key=…][&part_size=16777216]. secure defaults to true.
func ParseS3URL(raw string, cred Credentials) (S3Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return S3Config{}, errors.New("blob: STORAGE_URL is not an s3:// URL")
	}
	q := u.Query()
	c := S3Config{
		Endpoint:  q.Get("endpoint"),
		Bucket:    u.Host,
		Prefix:    strings.Trim(u.Path, "/"),
		Region:    q.Get("region"),
		Secure:    true,
		AccessKey: cred.AccessKey,
		SecretKey: cred.SecretKey,
	}
	if c.Bucket == "" {
		return S3Config{}, errors.New("blob: STORAGE_URL names no bucket (s3://bucket?endpoint=…)")
	}
	if c.Prefix != "" {
		if !ValidKey(c.Prefix) {
			return S3Config{}, fmt.Errorf("blob: STORAGE_URL: prefix %q is not a valid key", c.Prefix)
		}
		c.Prefix += "/"
	}
	if c.Endpoint == "" {
		c.Endpoint = "s3.amazonaws.com"
	}
	if v := q.Get("secure"); v != "" {
		if c.Secure, err = strconv.ParseBool(v); err != nil {
			return S3Config{}, fmt.Errorf("blob: STORAGE_URL: secure=%q is not true or false", v)
		}
	}
	if v := q.Get("access_key"); v != "" {
		c.AccessKey = v
	}
	if v := q.Get("secret_key"); v != "" {
		c.SecretKey = v
	}
	if v := q.Get("part_size"); v != "" {
		if c.PartSize, err = strconv.ParseUint(v, 10, 64); err != nil || c.PartSize < minPartSize {
			return S3Config{}, fmt.Errorf("blob: STORAGE_URL: part_size=%q must be a number of bytes ≥ %d", v, minPartSize)
		}
	}
	return c, nil
}

// S3 keeps blobs as objects in an S3-compatible bucket (AWS S3, MinIO, …), so
// that several servers share them.
type S3 struct {
	client   *minio.Client
	bucket   string
	prefix   string
	partSize uint64
	secure   bool
}

// NewS3 returns a store on the bucket c names. It makes no request; a wrong
// endpoint, bucket or key shows with the first Put or Open (see Check).
func NewS3(c S3Config) (*S3, error) {
	opts := &minio.Options{Secure: c.Secure, Region: c.Region}
	if c.AccessKey != "" || c.SecretKey != "" {
		opts.Creds = credentials.NewStaticV4(c.AccessKey, c.SecretKey, "")
	}
	client, err := minio.New(c.Endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("blob: s3: %w", err)
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	return &S3{client: client, bucket: c.Bucket, prefix: c.Prefix, partSize: c.PartSize, secure: c.Secure}, nil
}

// Check reports whether the bucket exists and the keys may see it.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob: s3: bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob: s3: bucket %s does not exist", s.bucket)
	}
	return nil
}

func (s *S3) object(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("blob: invalid key %q", key)
	}
	return s.prefix + key, nil
}

// Put streams r to key without knowing its length: the client sends it as a
// multipart upload one part at a time (holding one part in memory) and
// aborts the upload, leaving nothing, when r or the bucket fails.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	name, err := s.object(key)
	if err != nil {
		return 0, err
	}
	info, err := s.client.PutObject(ctx, s.bucket, name, &strictReader{r: r}, -1, minio.PutObjectOptions{
		PartSize:    s.partSize,
		ContentType: "application/octet-stream",
		// Each part's bytes are protected by TLS over https, else by a
		// Content-MD5. The default, a SHA-256 signature of every 64 KiB
		// chunk, halves the throughput and doubles the garbage (measured
		// by BenchmarkUpload250MB/s3); the file's own SHA-256 is computed
		// by the caller anyway.
		DisableContentSha256: true,
		SendContentMd5:       !s.secure,
	})
	if err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	return info.Size, nil
}

// Open returns the object under key, read as it is consumed.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return obj, nil
}

// Delete removes the object under key; S3 does not mind a missing one.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

// errCutShort is io.ErrUnexpectedEOF in a form minio-go does not take for the
// end of the stream.
var errCutShort = fmt.Errorf("blob: input cut short: %w", io.ErrUnexpectedEOF)

// strictReader keeps a failing reader failing. minio-go reads a part with
// its own ReadFull that takes io.ErrUnexpectedEOF (what a request body cut
// short returns) for the end of the stream, and drops an error returned
// with the last bytes of a full part; either would store a truncated object.
type strictReader struct {
	r   io.Reader
	err error
}

func (s *strictReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = errCutShort
	}
	s.err = err
	if err != nil && err != io.EOF && n > 0 {
		return n, nil // the error again with the next Read, on its own
	}
	return n, err
}
