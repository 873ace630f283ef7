// Package blob stores attachment bytes: on local disk by default, or in an
// S3-compatible bucket when several instances must share them.
package blob

import (
	"context"
	"errors"
	"io"
)

// ErrNotFound is returned by Open for a key that holds nothing.
var ErrNotFound = errors.New("blob: not found")

// Store keeps byte streams under keys chosen by the caller.
type Store interface {
	// Put streams r to key and returns how many bytes were stored. On error
	// nothing is left under key.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the bytes under key, or ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
