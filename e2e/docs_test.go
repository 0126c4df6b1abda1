package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
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

// The README lists the instance's commands as help does.
func TestReadmeListsTheShellsCommands(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	out, errs, st := onInstance(t, l, "help", nil)
	require.Equal(t, 0, st, errs)
	_, list, ok := strings.Cut(out, "Commands:\n")
	require.True(t, ok, out)
	helped := strings.Fields(list)
	require.Greater(t, len(helped), 40)

	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, _ := strings.Cut(string(b), "<!-- commands -->\n")
	section, _, _ = strings.Cut(section, "<!-- /commands -->")
	var listed []string
	for _, f := range strings.Split(section, "`") {
		if f = strings.TrimSpace(f); f != "" && !strings.ContainsAny(f, ",\n") {
			listed = append(listed, f)
		}
	}
	want := "`" + strings.Join(helped, "`, `") + "`"
	assert.Equal(t, helped, listed, "the README's list between the commands markers should read:\n%s", want)
}
