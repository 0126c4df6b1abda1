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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInterruptOutput(t *testing.T) {
	var out bytes.Buffer
	e := New(feed("abc\x02\x03"), &out)
	e.SetPrompt("$ ")
	_, err := e.ReadLine()
	require.ErrorIs(t, err, ErrInterrupt)
	// ^C after the whole line, then a new row, as bash shows it.
	assert.Equal(t, "$ \x1b[Jabc\r\x1b[4C\x1b[C^C\r\n", out.String())
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
