package convert_test

import (
	"os"
	"testing"

	"github.com/exaone-go/exaone/convert/fixture"
)

func TestMain(m *testing.M) {
	code := m.Run()
	fixture.Cleanup()
	os.Exit(code)
}
