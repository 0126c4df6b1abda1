package lineedit

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wordCompleter completes the blank-separated word before the cursor from
// words.
func wordCompleter(words ...string) func(string, int) (int, []string) {
	return func(line string, pos int) (int, []string) {
		from := strings.LastIndexByte(line[:pos], ' ') + 1
		var c []string
		for _, w := range words {
			if strings.HasPrefix(w, line[from:pos]) {
				c = append(c, w)
			}
		}
		return from, c
	}
}

func TestReverseSearch(t *testing.T) {
	hist := []string{"echo hello", "ls -l", "echo world", "cat notes"}
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"enter runs the match", "\x12ec\r", []string{"echo world"}},
		{"ctrl-r finds the next older", "\x12ec\x12\r", []string{"echo hello"}},
		{"no older match keeps the last", "\x12ec\x12\x12\r", []string{"echo hello"}},
		{"ctrl-g gives the line back", "abc\x12ec\x07d\r", []string{"abcd"}},
		{"ctrl-c interrupts", "abc\x12ec\x03ls\r", []string{"<INT>", "ls"}},
		{"a movement key accepts", "\x12ls\x05 -a\r", []string{"ls -l -a"}},
		{"the cursor is at the match", "\x12wor\x0b\r", []string{"echo "}},
		{"backspace shortens the query", "\x12lsx\x7f\r", []string{"ls -l"}},
		{"backspace to nothing", "x\x12ls\x7f\x7f\x7f\x05y\r", []string{"xy"}},
		{"failed keeps the line", "ab\x12zz\r", []string{"ab"}},
		{"down goes on from the match", "\x12hello\x1b[B\r", []string{"ls -l"}},
		{"down back to the new line", "new\x12hello\x1b[B\x1b[B\x1b[B\x1b[B\r", []string{"new"}},
		{"ctrl-r ctrl-r repeats the last search", "\x12ls\x07\r\x12\x12\r", []string{"", "ls -l"}},
		{"ctrl-r ctrl-r with no last search", "\x12\x12\r", []string{""}},
		{"a paste goes into the query", "\x12\x1b[200~cat\x1b[201~\r", []string{"cat notes"}},
		{"ctrl-d accepts, then deletes", "\x12echo\x04\r", []string{"cho world"}},
		{"tab accepts", "\x12ca\t\r", []string{"cat notes"}},
		{"ignored keys stay in the search", "\x12l\x1b[99Zs\r", []string{"ls -l"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(feed(tt.in), io.Discard)
			for _, h := range hist {
				e.AddHistory(h)
			}
			assert.Equal(t, tt.want, readAll(t, e))
		})
	}
}

func TestReverseSearchOutput(t *testing.T) {
	var out bytes.Buffer
	e := New(feed("\x12ec\x12\r"), &out)
	e.SetPrompt("$ ")
	for _, h := range []string{"echo hello", "ls -l", "echo world"} {
		e.AddHistory(h)
	}
	line, err := e.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "echo hello", line)
	assert.Equal(t, "$ \x1b[J"+
		// Ctrl-R: readline's prompt in place of the shell's.
		"\r(reverse-i-search)`': \x1b[J"+
		// e: the newest match, the cursor on it.
		"\r(reverse-i-search)`e': echo world\x1b[J\r\x1b[23C"+
		"\r(reverse-i-search)`ec': echo world\x1b[J\r\x1b[24C"+
		// Ctrl-R: the next older.
		"\r(reverse-i-search)`ec': echo hello\x1b[J\r\x1b[24C"+
		// Enter: the line with the prompt, as it ran.
		"\r$ echo hello\x1b[J\r\x1b[2C\x1b[10C\r\n",
		out.String())

	out.Reset()
	e = New(feed("\x12ex"), &out)
	e.AddHistory("echo hi")
	_, err = e.ReadLine()
	require.ErrorIs(t, err, errEnd)
	assert.True(t, strings.HasSuffix(out.String(), "\r(failed reverse-i-search)`ex': echo hi\x1b[J\r\x1b[31C"), "%q", out.String())
}

func TestCompletion(t *testing.T) {
	words := wordCompleter("cat", "echo", "exit", "export", "dir/", "dir/sub/", "expand")
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"one candidate", "ca\t\r", "cat "},
		{"a directory takes no space", "dir/s\t\r", "dir/sub/"},
		{"common prefix", "exp\t\r", "exp"},
		{"common prefix first", "e\t\r", "e"},
		{"progress", "d\t\r", "dir/"},
		{"progress, then a list", "d\t\t\r", "dir/"},
		{"second tab lists, line kept", "ex\t\t\r", "ex"},
		{"in the middle of a line", "ca foo\x01\x06\x06\t\r", "cat  foo"},
		{"no candidate", "zz\t\r", "zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(feed(tt.in), io.Discard)
			e.SetCompleter(words)
			assert.Equal(t, []string{tt.want}, readAll(t, e))
		})
	}

	t.Run("arguments are byte offsets", func(t *testing.T) {
		var gotLine string
		var gotPos int
		e := New(feed("é ab\x02\t\r"), io.Discard)
		e.SetCompleter(func(line string, pos int) (int, []string) {
			gotLine, gotPos = line, pos
			return 3, []string{"xyz"}
		})
		assert.Equal(t, []string{"é xyz b"}, readAll(t, e))
		assert.Equal(t, "é ab", gotLine)
		assert.Equal(t, 4, gotPos)
	})
	t.Run("bad replaceFrom is ignored", func(t *testing.T) {
		for _, from := range []int{-1, 5, 1} {
			e := New(feed("é a\t\r"), io.Discard)
			e.SetCompleter(func(string, int) (int, []string) { return from, []string{"x"} })
			assert.Equal(t, []string{"é a"}, readAll(t, e), "from %d", from)
		}
	})
}

func TestCompletionListing(t *testing.T) {
	var out bytes.Buffer
	e := New(feed("ex\t\t\r"), &out)
	e.SetPrompt("$ ")
	e.SetCompleter(wordCompleter("exit", "export", "echo"))
	line, err := e.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "ex", line)
	assert.Equal(t, "$ \x1b[Jex"+
		"\a"+ // the first Tab: ambiguous
		"\r\nexit    export\r\n"+ // the second: the list
		"$ ex\x1b[J\r\n", out.String())

	// Columns fitted to the width, sorted down the columns as ls does.
	s := newScreen(20, 10)
	var names []string
	for i := range 7 {
		names = append(names, fmt.Sprintf("f%d", i))
	}
	e = New(feed("f\t\t"), s)
	e.SetSize(20, 10)
	e.SetPrompt("$ ")
	e.SetCompleter(wordCompleter(names...))
	_, err = e.ReadLine()
	require.ErrorIs(t, err, errEnd)
	assert.Equal(t, []string{
		"$ f",
		"f0  f2  f4  f6",
		"f1  f3  f5",
		"$ f",
	}, s.text())
	assert.Empty(t, s.bad)
}
