package lineedit

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadLineKeys(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"enter CR", "hello\r", []string{"hello"}},
		{"enter LF", "a\nb\n", []string{"a", "b"}},
		{"CRLF is one enter", "a\r\nb\r\n", []string{"a", "b"}},
		{"empty lines", "\r\r", []string{"", ""}},
		{"LF after a non-CR key counts", "\r\x1b\n", []string{"", ""}},
		{"backspace DEL", "ab\x7fc\r", []string{"ac"}},
		{"backspace BS", "ab\x08c\r", []string{"ac"}},
		{"backspace at start", "\x7f\x7fa\r", []string{"a"}},
		{"left CSI", "ac\x1b[Db\r", []string{"abc"}},
		{"left SS3", "ac\x1bODb\r", []string{"abc"}},
		{"right CSI and SS3", "abc\x01\x1b[Cx\x1bOCy\r", []string{"axbyc"}},
		{"ctrl-b ctrl-f", "ac\x02b\x06d\r", []string{"abcd"}},
		{"left past start", "b\x1b[D\x1b[Da\r", []string{"ab"}},
		{"home end CSI H F", "bc\x1b[Ha\x1b[Fd\r", []string{"abcd"}},
		{"home end 1~ 4~", "bc\x1b[1~a\x1b[4~d\r", []string{"abcd"}},
		{"home end 7~ 8~", "bc\x1b[7~a\x1b[8~d\r", []string{"abcd"}},
		{"home end SS3", "bc\x1bOHa\x1bOFd\r", []string{"abcd"}},
		{"ctrl-a ctrl-e", "bc\x01a\x05d\r", []string{"abcd"}},
		{"delete", "abc\x01\x1b[3~\r", []string{"bc"}},
		{"delete at end", "abc\x1b[3~\r", []string{"abc"}},
		{"ctrl-d deletes", "abc\x01\x04\r", []string{"bc"}},
		{"ctrl-d at end of a line", "abc\x04\r", []string{"abc"}},
		{"ctrl-d on empty line", "\x04ls\r", []string{"<EOF>", "ls"}},
		{"ctrl-c", "abc\x03def\r", []string{"<INT>", "def"}},
		{"ctrl-g outside a search", "a\x07b\r", []string{"ab"}},
		{"ctrl-k", "abcd\x02\x02\x0b\r", []string{"ab"}},
		{"ctrl-u", "abcd\x02\x15\r", []string{"d"}},
		{"ctrl-w", "echo foo bar\x17\r", []string{"echo foo "}},
		{"ctrl-w over blanks", "echo a/b  \x17\r", []string{"echo "}},
		{"ctrl-k ctrl-y", "abcd\x01\x0b\x19\x19\r", []string{"abcdabcd"}},
		{"ctrl-u and yank elsewhere", "world\x15hello \x19\r", []string{"hello world"}},
		{"kills in a row yank together", "echo foo\x17\x17\x19\r", []string{"echo foo"}},
		{"a kill after a move starts afresh", "ab cd\x17\x02\x17\x19\r", []string{"ab "}},
		{"alt-b", "foo bar\x1bbX\r", []string{"foo Xbar"}},
		{"alt-f", "foo bar\x01\x1bfX\r", []string{"fooX bar"}},
		{"alt-d", "foo bar\x01\x1bd\r", []string{" bar"}},
		{"alt-backspace", "foo-bar\x1b\x7f\r", []string{"foo-"}},
		{"ctrl-left ctrl-right", "foo bar\x1b[1;5DX\x01\x1b[1;5CY\r", []string{"fooY Xbar"}},
		{"alt-left", "foo bar\x1b[1;3DX\r", []string{"foo Xbar"}},
		{"shift-left is left", "ab\x1b[1;2DX\r", []string{"aXb"}},
		{"unknown sequences", "a\x1b[99Zb\x1b[?1;2cc\x1bOPd\x1b[15~e\x1b[5;5~f\r", []string{"abcdef"}},
		{"unbound alt keys", "a\x1bxb\x1b.c\x1bOd\r", []string{"abc"}},
		{"alt and a non-ASCII key", "a\x1bé\x1b\xffb\r", []string{"ab"}},
		{"escape then enter", "ab\x1b\r", []string{"ab"}},
		{"escape then ctrl-c", "ab\x1b\x03", []string{"<INT>"}},
		{"escape escape up", "one\r\x1b\x1b[A\r", []string{"one", "one"}},
		{"SS3 cut by a control key", "ab\x1bO\r", []string{"ab"}},
		{"CSI cut by a control key", "a\x1b[12\rb\r", []string{"a", "b"}},
		{"CSI cut by escape", "a\x1b[1\x1b[Db\r", []string{"ba"}},
		{"CSI too long", "\x1b[" + strings.Repeat("1", 40) + "Az\r", []string{strings.Repeat("1", 10) + "Az"}},
		{"lone escape at the end", "ab\x1b", nil},
		{"unterminated CSI at the end", "ab\x1b[1;", nil},
		{"UTF-8", "héllo wörld\r", []string{"héllo wörld"}},
		{"backspace deletes a rune", "aé\x7fb\r", []string{"ab"}},
		{"invalid UTF-8 dropped", "a\xffb\xc3\r", []string{"ab"}},
		{"C1 controls dropped", "a\u0085b\u009bc\r", []string{"abc"}},
		{"other controls ignored", "a\x00\x0f\x11\x13\x14\x16\x18\x1a\x1c\x1d\x1e\x1fb\r", []string{"ab"}},
		{"paste", "\x1b[200~echo a\tb\x1b[201~\r", []string{"echo a\tb"}},
		{"paste lines", "\x1b[200~one\ntwo\r\nthree\x1b[201~ four\r", []string{"one", "two", "three four"}},
		{"paste is literal", "\x1b[200~a\x01\x7f\x04b\x12\x1b[Ac\x1b[201~\r", []string{"ab[Ac"}},
		{"paste into the middle", "ad\x02\x1b[200~bc\x1b[201~\r", []string{"abcd"}},
		{"ctrl-c ends a paste", "\x1b[200~abc\x03de\x1b[Df\r", []string{"<INT>", "dfe"}},
		{"paste end alone", "a\x1b[201~b\r", []string{"ab"}},
		{"up", "one\rtwo\r\x1b[A\x1b[A\r", []string{"one", "two", "one"}},
		{"ctrl-p ctrl-n", "one\rtwo\r\x10\x10\x0e\r", []string{"one", "two", "two"}},
		{"up SS3", "one\r\x1bOA\r", []string{"one", "one"}},
		{"down back to the new line", "one\rnew\x1b[A\x1b[B!\r", []string{"one", "new!"}},
		{"up past the oldest", "one\r\x1b[A\x1b[A\x1b[A\r", []string{"one", "one"}},
		{"down at the new line", "ab\x1b[B\r", []string{"ab"}},
		{"edits to an entry are dropped", "one\rtwo\r\x1b[Ax\x1b[A\x1b[B\r", []string{"one", "two", "two"}},
		{"ctrl-l", "ab\x0cc\r", []string{"abc"}},
		{"tab without a completer", "a\tb\r", []string{"ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(feed(tt.in), io.Discard)
			assert.Equal(t, tt.want, readAll(t, e))
		})
	}
}

func TestKeysSplitAcrossReads(t *testing.T) {
	in := "é\x1b[Dx\x1bOC\x1b[1;5Dy\x1bb\x1b[200~p\r\nq\x1b[201~\r"
	e := New(io.MultiReader(iotest.OneByteReader(strings.NewReader(in)), iotest.ErrReader(errEnd)), io.Discard)
	assert.Equal(t, []string{"pyxé", "q"}, readAll(t, e))
}

func TestHistoryIgnoreBoth(t *testing.T) {
	e := New(feed("a\ra\r b\r\rc\ra\r\x03"), io.Discard)
	readAll(t, e)
	assert.Equal(t, []string{"a", "c", "a"}, e.History())

	e.AddHistory("a")
	e.AddHistory(" x")
	e.AddHistory("")
	assert.Equal(t, []string{"a", "c", "a", "a", " x"}, e.History(), "AddHistory adds as it is told")

	for i := range maxHistory + 5 {
		e.AddHistory(fmt.Sprint(i))
	}
	h := e.History()
	require.Len(t, h, maxHistory)
	assert.Equal(t, "5", h[0])
	assert.Equal(t, fmt.Sprint(maxHistory+4), h[len(h)-1])
}

func TestTypeAheadIsKept(t *testing.T) {
	e := New(strings.NewReader("one\rtwo\rthr"), io.Discard)
	line, err := e.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "one", line)
	assert.Equal(t, []byte("two\rthr"), e.Pending())
	line, err = e.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "two", line)
	assert.Equal(t, []byte("thr"), e.TakePending())
	assert.Empty(t, e.Pending())
	_, err = e.ReadLine()
	assert.ErrorIs(t, err, io.EOF)
}
