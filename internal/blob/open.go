package blob

import (
	"errors"
	"net/url"
)

// Open returns the store STORAGE_URL names: file:///path is Local in path,
// s3://bucket?endpoint=… is S3 (with cred unless the URL carries keys), and
// an empty URL is Local in dataDir (DATA_DIR).
func Open(rawURL, dataDir string, cred Credentials) (Store, error) {
	if rawURL == "" {
		return NewLocal(dataDir)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("blob: STORAGE_URL is not a URL")
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, errors.New("blob: STORAGE_URL file:// URLs take an absolute path (file:///var/lib/madoguchi)")
		}
		if u.Path == "" {
			return nil, errors.New("blob: STORAGE_URL file:// names no directory")
		}
		return NewLocal(u.Path)
	case "s3":
		c, err := ParseS3URL(rawURL, cred)
		if err != nil {
			return nil, err
		}
		return NewS3(c)
	}
	return nil, errors.New("blob: STORAGE_URL must be file:///path or s3://bucket?endpoint=…")
}
