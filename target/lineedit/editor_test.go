package lineedit

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// errEnd ends a test's input, unlike Ctrl-D's io.EOF.
var errEnd = errors.New("end of test input")

func feed(in string) io.Reader {
	return io.MultiReader(strings.NewReader(in), iotest.ErrReader(errEnd))
}

// readAll calls ReadLine until the input ends and returns what each call
// gave: the line, or <EOF> for Ctrl-D, <INT> for Ctrl-C.
func readAll(t *testing.T, e *Editor) []string {
	t.Helper()
	var got []string
	for range 1000 {
		line, err := e.ReadLine()
		switch {
		case err == nil:
			got = append(got, line)
		case errors.Is(err, io.EOF):
			got = append(got, "<EOF>")
		case errors.Is(err, ErrInterrupt):
			got = append(got, "<INT>")
		case errors.Is(err, errEnd):
			return got
		default:
			require.NoError(t, err)
		}
	}
	require.Fail(t, "ReadLine never reached the end of the input")
	return nil
}
