package lineedit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
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

func TestInterruptOutput(t *testing.T) {
	var out bytes.Buffer
	e := New(feed("abc\x02\x03"), &out)
	e.SetPrompt("$ ")
	_, err := e.ReadLine()
	require.ErrorIs(t, err, ErrInterrupt)
	// ^C after the whole line, then a new row, as bash shows it.
	assert.Equal(t, "$ \x1b[Jabc\r\x1b[4C\x1b[C^C\r\n", out.String())
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

func TestZeroSizeDoesNotWrapEachCharacter(t *testing.T) {
	var out bytes.Buffer
	line := strings.Repeat("x", 100)
	e := New(feed(line+"\r"), &out)
	e.SetPrompt("$ ")
	e.SetSize(0, 0)
	got, err := e.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, line, got)
	// One row break where 80 columns are full, one for Enter.
	assert.Equal(t, "$ \x1b[J"+line[:78]+"\r\n"+line[78:]+"\r\n", out.String())

	e.SetSize(-3, 40)
	assert.Equal(t, 80, e.cols)
	assert.Equal(t, 40, e.rows)
}

func TestPromptWidth(t *testing.T) {
	for p, want := range map[string]int{
		"$ ":                             2,
		"\x1b[1;32muser@host\x1b[0m:~$ ": 13,
		"é> ":                            3,
		"\a$ ":                           2,
		"\x1b":                           0,
	} {
		assert.Equal(t, want, promptWidth(p), "%q", p)
	}
}

func TestSetPromptDuringReadLine(t *testing.T) {
	s := newScreen(20, 5)
	var e *Editor
	r := &stepReader{steps: []string{"a", "\x0c\r"}, check: func() { e.SetPrompt("# ") }}
	e = New(r, s)
	e.SetPrompt("$ ")
	line, err := e.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "a", line)
	assert.Equal(t, []string{"$ a"}, s.text(), "the prompt of a line stays")
}

func TestMultiLinePrompt(t *testing.T) {
	s := newScreen(20, 10)
	e := New(feed("ab\x01\x0cX\x1b[F"), s)
	e.SetPrompt("[host]\n$ ")
	_, err := e.ReadLine()
	require.ErrorIs(t, err, errEnd)
	// Ctrl-L draws the whole prompt again at the top.
	assert.Equal(t, []string{"[host]", "$ Xab"}, s.text())
	assert.Equal(t, [2]int{5, 1}, [2]int{s.x, s.y})
	assert.Empty(t, s.bad)
}

// stepReader gives its steps one read at a time and calls check before
// each: when ReadLine reads, it has handled and drawn all it read before.
type stepReader struct {
	steps []string
	check func()
}

func (r *stepReader) Read(p []byte) (int, error) {
	if r.check != nil {
		r.check()
	}
	if len(r.steps) == 0 {
		return 0, errEnd
	}
	n := copy(p, r.steps[0])
	if r.steps[0] = r.steps[0][n:]; r.steps[0] == "" {
		r.steps = r.steps[1:]
	}
	return n, nil
}

// checkScreen asserts that the screen shows the editor's view, below it
// nothing, and the cursor where the editor says, if the view fits.
func checkScreen(t *testing.T, e *Editor, s *screen) {
	t.Helper()
	require.Empty(t, s.bad, "the editor sent what a terminal would not show")
	prompt, text, cursor := e.view()
	require.Equal(t, cursor, e.termPos, "the cursor is not where the editor thinks")
	require.False(t, s.wrapNext, "the cursor was left in a deferred wrap")
	want := layout(prompt+string(appendText(nil, text)), e.cols)
	top := s.y - e.termPos/e.cols
	if top < 0 || len(want) >= s.rows-1 {
		return // the view does not fit the screen
	}
	got := s.text()
	got = append(got, make([]string, s.rows)...)[top : top+len(want)]
	require.Equal(t, want, got, "the screen shows other than the line")
	require.Equal(t, e.cols, s.cols)
	for y := top + len(want); y < s.rows; y++ {
		require.Empty(t, strings.TrimSpace(string(s.cells[y])), "row %d below the line is not clear", y)
	}
	require.Equal(t, cursor%e.cols, s.x, "cursor column")
}

// TestRedrawMatchesScreen types random keys at several widths, wrapping
// included, and checks after each what a terminal would show.
func TestRedrawMatchesScreen(t *testing.T) {
	keys := []string{
		"a", "b", " ", "/", "é", "hello", "xyzzy ", "\x7f", "\x1b[3~", "\x1b[D", "\x1b[C", "\x01", "\x05",
		"\x0b", "\x15", "\x17", "\x19", "\x1bb", "\x1bf", "\x1bd", "\x1b\x7f", "\x1b[A", "\x1b[B", "\x0c",
		"\t", "\x12", "\x07", "\x1b[200~p\tq\x1b[201~", "\x04",
	}
	for _, cols := range []int{1, 2, 3, 5, 7, 10, 13, 80} {
		for seed := range uint64(8) {
			t.Run(fmt.Sprintf("cols=%d/seed=%d", cols, seed), func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(seed, uint64(cols)))
				steps := make([]string, 150)
				for i := range steps {
					steps[i] = keys[rnd.IntN(len(keys))]
				}
				s := newScreen(cols, 400)
				var e *Editor
				r := &stepReader{steps: steps, check: func() { checkScreen(t, e, s) }}
				e = New(r, s)
				e.SetSize(cols, 400)
				e.SetPrompt("$ ")
				e.SetCompleter(wordCompleter("hello", "help", "xyzzy", "a/b/", "a/c"))
				for _, h := range []string{"echo one", "a much longer line than the width of the terminal", "ab"} {
					e.AddHistory(h)
				}
				for range len(steps) + 1 {
					if _, err := e.ReadLine(); errors.Is(err, errEnd) {
						return
					}
				}
				require.Fail(t, "ReadLine never reached the end")
			})
		}
	}
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

func TestWriteTranslatesNewlines(t *testing.T) {
	var out bytes.Buffer
	e := New(feed("ls\r"), &out)
	e.SetPrompt("$ ")
	n, err := e.Write([]byte("one\ntwo"))
	require.NoError(t, err)
	assert.Equal(t, 7, n)
	_, err = e.ReadLine()
	require.NoError(t, err)
	// The output did not end its row: the prompt starts a new one.
	assert.Equal(t, "one\r\ntwo\r\n$ \x1b[Jls\r\n", out.String())
}

// notifyScreen is a screen safe for a writer in another goroutine, which
// tells when its text holds something.
type notifyScreen struct {
	mu     sync.Mutex
	s      *screen
	raw    strings.Builder
	signal chan struct{}
}

func (n *notifyScreen) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.s.Write(p)
	n.raw.Write(p)
	select {
	case n.signal <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (n *notifyScreen) waitFor(t *testing.T, sub string) {
	t.Helper()
	for {
		n.mu.Lock()
		done := strings.Contains(strings.Join(n.s.text(), "\n"), sub)
		n.mu.Unlock()
		if done {
			return
		}
		<-n.signal
	}
}

func TestWriteDuringReadLine(t *testing.T) {
	for _, tt := range []struct {
		name, typed, msg string
		cols             int
		want             []string // the screen after the message
		line             string
	}{
		{"message", "ech", "broadcast: going down\n", 40, []string{"broadcast: going down", "$ ech"}, "ech"},
		{"message without a newline", "ech", "hi", 40, []string{"hi", "$ ech"}, "ech"},
		{"during a search", "\x12ec", "hi\n", 40, []string{"hi", "(reverse-i-search)`ec': echo"}, "echo"},
		{"a wrapped line", "0123456789abcdef\x01", "hi\n", 10, []string{"hi", "$ 01234567", "89abcdef"}, "0123456789abcdef"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			ns := &notifyScreen{s: newScreen(tt.cols, 20), signal: make(chan struct{}, 1)}
			e := New(pr, ns)
			e.SetSize(tt.cols, 20)
			e.SetPrompt("$ ")
			e.AddHistory("echo")
			type result struct {
				line string
				err  error
			}
			done := make(chan result)
			go func() {
				line, err := e.ReadLine()
				done <- result{line, err}
			}()
			_, err := io.WriteString(pw, tt.typed)
			require.NoError(t, err)
			ns.waitFor(t, tt.want[len(tt.want)-1])
			_, err = e.Write([]byte(tt.msg))
			require.NoError(t, err)
			ns.mu.Lock()
			assert.Equal(t, tt.want, ns.s.text())
			assert.Empty(t, ns.s.bad)
			ns.mu.Unlock()
			_, err = io.WriteString(pw, "\r")
			require.NoError(t, err)
			res := <-done
			require.NoError(t, res.err)
			assert.Equal(t, tt.line, res.line)
		})
	}
}

// TestConcurrentUse is for the race detector: everything but ReadLine may
// be called while ReadLine waits.
func TestConcurrentUse(t *testing.T) {
	pr, pw := io.Pipe()
	e := New(pr, &lockedBuffer{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			if _, err := e.ReadLine(); errors.Is(err, io.EOF) {
				return
			}
		}
	})
	wg.Go(func() {
		for i := range 200 {
			e.Write([]byte("out\n"))
			e.SetSize(i%30, 24)
			e.SetPrompt(fmt.Sprint(i, "$ "))
			e.AddHistory(fmt.Sprint("cmd", i))
			e.History()
			e.Pending()
		}
	})
	for range 50 {
		_, err := io.WriteString(pw, "ab\x1b[D\x12cmd\x12\x1b[C\r")
		require.NoError(t, err)
	}
	pw.Close()
	wg.Wait()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestConcurrentReadLine(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ns := &notifyScreen{s: newScreen(80, 5), signal: make(chan struct{}, 1)}
	e := New(pr, ns)
	e.SetPrompt("$ ")
	done := make(chan error)
	go func() {
		_, err := e.ReadLine()
		done <- err
	}()
	ns.waitFor(t, "$")
	_, err := e.ReadLine()
	assert.ErrorIs(t, err, errConcurrentRead)
	pw.Close()
	assert.ErrorIs(t, <-done, io.EOF)
}

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

// A client that printed a message of its own over the prompt (clearing the
// row, ending with a newline) asks for the prompt and the line again.
func TestRefreshAfterAClientsMessage(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ns := &notifyScreen{s: newScreen(40, 20), signal: make(chan struct{}, 1)}
	e := New(pr, ns)
	e.SetSize(40, 20)
	e.SetPrompt("$ ")
	require.NoError(t, e.Refresh(), "no line: nothing to draw")
	done := make(chan string)
	go func() {
		line, _ := e.ReadLine()
		done <- line
	}()
	_, err := io.WriteString(pw, "ech")
	require.NoError(t, err)
	ns.waitFor(t, "$ ech")
	// What vlab ssh writes on the terminal, outside the session.
	ns.mu.Lock()
	ns.s.Write([]byte("\r\x1b[Kvlab: a drop\r\n"))
	ns.mu.Unlock()
	require.NoError(t, e.Refresh())
	ns.mu.Lock()
	assert.Equal(t, []string{"vlab: a drop", "$ ech"}, ns.s.text())
	ns.mu.Unlock()
	_, err = io.WriteString(pw, "o\r")
	require.NoError(t, err)
	assert.Equal(t, "echo", <-done)
}
