package store_test

import (
	"os"
	"testing"

	"madoguchi/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }
