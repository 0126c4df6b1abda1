package lineedit

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReaderError(t *testing.T) {
	e := New(feed("one\rpartial"), io.Discard)
	line, err := e.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "one", line)
	_, err = e.ReadLine()
	assert.ErrorIs(t, err, errEnd)
	_, err = e.ReadLine()
	assert.ErrorIs(t, err, errEnd, "the error stays")

	e = New(iotest.DataErrReader(strings.NewReader("a\rb\r")), io.Discard)
	assert.Equal(t, []string{"a", "b"}, func() []string {
		var got []string
		for {
			line, err := e.ReadLine()
			if err != nil {
				assert.ErrorIs(t, err, io.EOF)
				return got
			}
			got = append(got, line)
		}
	}(), "lines read along with the error come first")
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderWithoutProgress(t *testing.T) {
	_, err := New(emptyReader{}, io.Discard).ReadLine()
	assert.ErrorIs(t, err, io.ErrNoProgress)
}

func TestWriterError(t *testing.T) {
	boom := errors.New("boom")
	e := New(feed("a\r"), errWriter{boom})
	_, err := e.ReadLine()
	assert.ErrorIs(t, err, boom)
	_, err = e.Write([]byte("x"))
	assert.ErrorIs(t, err, boom)
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
