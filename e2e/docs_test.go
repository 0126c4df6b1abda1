package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The project explains itself: no comment, doc or example cites a file
// outside the repository (its design lives in ARCHITECTURE.md).
func TestNothingCitesAFileOutsideTheRepository(t *testing.T) {
	outside := []string{"SCENARIO" + ".md", "DESIGN" + ".md", "AWS-BEHAVIORS" + ".md", "../" + "shared"}
	n := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".yaml", ".json":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, o := range outside {
			assert.False(t, strings.Contains(string(b), o), "%s cites %s", path, o)
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, n, 100, "the walk read the repository")
	_, err = os.Stat("../ARCHITECTURE.md")
	assert.NoError(t, err, "the design lives in the repository")
}
