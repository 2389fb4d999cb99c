package httpparser

import (
	"testing"

	"netlings/tools/testkit"
)

// TestMain: plain go test first says how to get the checker's report.
func TestMain(m *testing.M) { testkit.Main(m) }
