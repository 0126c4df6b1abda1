package lineedit

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// chunkReader reads r at most size bytes at a time, calling check before
// each read, and ends with errEnd.
type chunkReader struct {
	r     *bytes.Reader
	size  int
	check func()
}

func (c *chunkReader) Read(p []byte) (int, error) {
	c.check()
	if c.r.Len() == 0 {
		return 0, errEnd
	}
	return c.r.Read(p[:min(len(p), c.size)])
}

// FuzzEditor feeds arbitrary keys, in reads of a few bytes, at any width:
// ReadLine must not panic, must get to the end of the input, and after each
// read the screen must show the line being edited.
func FuzzEditor(f *testing.F) {
	for _, seed := range []string{
		"hello\r", "a\r\nb\n", "ab\x1b[Dc\x1bOH\x1b[3~\r", "\x1b[200~one\ntwo\x1b[201~\r",
		"\x1b[" + strings.Repeat("9", 40) + "~x\r", "\x12ec\x12\x12\x07\x03", "ex\t\t\r", "d\t\t\t",
		"abc\x01\x0b\x19\x19\x17\x15\x1bb\x1bf\x1bd\x1b\x7f\r", "\x1b\x1b[A\x1bO\x1b[1;5C\x04\x04",
		"é\xff\xc3\u0085\x1b\xe2\x82\r", "\x0c\x1b[B\x1b[A\x10\x0e", "\x1b[200~\x1b[20", "\x12\x1b[200~a\tb\x1b[201~\r",
	} {
		f.Add([]byte(seed), uint8(0), uint8(1))
		f.Add([]byte(seed), uint8(3), uint8(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, cols, chunk uint8) {
		width := int(cols)
		if width == 0 {
			width = 80
		}
		s := newScreen(width, 60)
		var e *Editor
		r := &chunkReader{r: bytes.NewReader(data), size: 1 + int(chunk)%16, check: func() { checkScreen(t, e, s) }}
		e = New(r, s)
		e.SetSize(int(cols), 0)
		e.SetPrompt("$ ")
		e.SetCompleter(wordCompleter("echo", "exit", "export", "dir/", "dir/sub/"))
		e.AddHistory("echo hello")
		e.AddHistory("ls -l")
		// Each ReadLine but the last consumes at least a byte.
		for range len(data) + 2 {
			if _, err := e.ReadLine(); errors.Is(err, errEnd) {
				return
			}
		}
		require.Fail(t, "ReadLine never reached the end of the input")
	})
}
