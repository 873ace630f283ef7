// Package e2e holds the browser tests: real Chromium against the real app.
package e2e

import (
	"os"
	"testing"

	"madoguchi/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }
