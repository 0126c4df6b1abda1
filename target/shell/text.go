package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vlab-sim/vlab/target/vfs"
)

var catSpec = optSpec{short: "AbeEnstTuv", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"show-all": "A", "number-nonblank": "b", "show-ends": "E", "number": "n",
	"squeeze-blank": "s", "show-tabs": "T", "show-nonprinting": "v",
}}

// catFormat is what cat's options change in what it copies; the zero
// value copies bytes as they are.
type catFormat struct {
	number, nonblank, ends, squeeze, tabs, nonprint bool
	// The state that runs on from file to file, as GNU cat keeps it.
	lineNo    int
	midLine   bool
	prevBlank bool
}

func (f *catFormat) plain() bool {
	return !(f.number || f.nonblank || f.ends || f.squeeze || f.tabs || f.nonprint)
}

// cmdCat copies its files, or standard input, to standard output: byte for
// byte unless an option asks for numbers or visible characters.
func cmdCat(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := catSpec.parse(o, "cat", args[1:])
	if !ok {
		return st
	}
	var f catFormat
	for _, op := range opts {
		switch op.key {
		case "A":
			f.nonprint, f.ends, f.tabs = true, true, true
		case "b":
			f.nonblank = true
		case "e":
			f.nonprint, f.ends = true, true
		case "E":
			f.ends = true
		case "n":
			f.number = true
		case "s":
			f.squeeze = true
		case "t":
			f.nonprint, f.tabs = true, true
		case "T":
			f.tabs = true
		case "v":
			f.nonprint = true
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := newInputs(ctx, o)
	defer in.close()
	status := 0
	buf := make([]byte, bufSize)
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	for _, name := range files {
		if isOutput(o, name) {
			o.Errorf("cat", "%s: input file is output file", quotef(name))
			status = 1
			continue
		}
		r, closeFile, err := in.open(name)
		if err != nil {
			o.Errorf("cat", "%s: %s", quotef(name), strerror(err))
			status = 1
			continue
		}
		var rerr, werr error
		if f.plain() {
			rerr, werr = pump(o.Stdout, r, buf)
		} else {
			rerr = f.copy(out, r)
			var we writeError
			if errors.As(rerr, &we) {
				rerr, werr = nil, we.err
			}
		}
		closeFile()
		switch {
		case werr != nil:
			return writeFailed(o, "cat", werr)
		case rerr != nil && interrupted(ctx, rerr):
			return statusInterrupted
		case rerr != nil:
			o.Errorf("cat", "%s: %s", quotef(name), strerror(rerr))
			status = 1
		}
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "cat", err)
	}
	return status
}

// copy writes r to out as cat's options have it, line by line.
func (f *catFormat) copy(out *bufio.Writer, r io.Reader) error {
	lr := newLineReader(r, out)
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		blank := !f.midLine && len(line) == 1 && line[0] == '\n'
		if f.squeeze && blank && f.prevBlank {
			continue
		}
		f.prevBlank = blank
		if !f.midLine && (f.nonblank && !blank || f.number && !f.nonblank) {
			f.lineNo++
			fmt.Fprintf(out, "%6d\t", f.lineNo)
		}
		body, nl := chomp(line)
		for _, c := range body {
			switch {
			case c == '\t' && f.tabs:
				out.WriteString("^I")
			case c == '\t' || !f.nonprint:
				out.WriteByte(c)
			default:
				writeNonprint(out, c)
			}
		}
		f.midLine = !nl
		if nl {
			if f.ends {
				out.WriteByte('$')
			}
			out.WriteByte('\n')
		}
	}
}

// writeNonprint writes c as cat -v shows it: ^X for controls, M- for the
// high half.
func writeNonprint(out *bufio.Writer, c byte) {
	if c >= 128 {
		out.WriteString("M-")
		c -= 128
	}
	switch {
	case c < 32:
		out.WriteByte('^')
		out.WriteByte(c + 64)
	case c == 127:
		out.WriteString("^?")
	default:
		out.WriteByte(c)
	}
}

// countArg parses head's and tail's N: digits with an optional multiplier
// (b 512, K 1024, KB 1000, M, MB… up to E); a number too large for int64
// means "everything", as GNU clamps it.
func countArg(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	mult := int64(1)
	if suf := s[i:]; suf != "" {
		m, ok := multipliers[suf]
		if !ok {
			return 0, false
		}
		mult = m
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return math.MaxInt64, true
	}
	return n * mult, true
}

var multipliers = func() map[string]int64 {
	m := map[string]int64{"b": 512}
	p2, p10 := int64(1), int64(1)
	for _, u := range "KMGTPE" {
		p2 *= 1024
		p10 *= 1000
		m[string(u)] = p2
		m[string(u)+"iB"] = p2
		m[string(u)+"B"] = p10
	}
	m["k"], m["kB"], m["kiB"] = 1024, 1000, 1024
	return m
}()

var headSpec = optSpec{short: "c:n:qvz", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"bytes": "c:", "lines": "n:", "quiet": "q", "silent": "q", "verbose": "v", "zero-terminated": "z",
}}

// legacyCount turns head's and tail's old "-5" (or "-5c") first argument
// into -n 5.
func legacyCount(args []string) []string {
	if len(args) < 2 || len(args[1]) < 2 || args[1][0] != '-' || args[1][1] < '0' || args[1][1] > '9' {
		return args
	}
	a := args[1][1:]
	flag := "-n"
	switch a[len(a)-1] {
	case 'c':
		flag, a = "-c", a[:len(a)-1]
	case 'l':
		a = a[:len(a)-1]
	}
	return append([]string{args[0], flag, a}, args[2:]...)
}

// cmdHead prints the first lines (or bytes) of its files; with a negative
// count, all but the last.
func cmdHead(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := headSpec.parse(o, "head", legacyCount(args)[1:])
	if !ok {
		return st
	}
	count, bytesMode, allBut := int64(10), false, false
	headers := 0 // -1 never, 1 always, 0 with several files
	for _, op := range opts {
		switch op.key {
		case "c", "n":
			v := op.val
			allBut = strings.HasPrefix(v, "-")
			v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
			n, ok := countArg(v)
			if !ok {
				what := "lines"
				if op.key == "c" {
					what = "bytes"
				}
				o.Errorf("head", "invalid number of %s: %s", what, quote(op.val))
				return 1
			}
			count, bytesMode = n, op.key == "c"
		case "q":
			headers = -1
		case "v":
			headers = 1
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	showHeaders := headers == 1 || headers == 0 && len(files) > 1
	in := newInputs(ctx, o)
	defer in.close()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	for i, name := range files {
		r, closeFile, err := in.open(name)
		if err != nil {
			o.Errorf("head", "cannot open %s for reading: %s", quoteaf(name), strerror(err))
			status = 1
			continue
		}
		if showHeaders {
			if i > 0 {
				out.WriteByte('\n')
			}
			fmt.Fprintf(out, "==> %s <==\n", displayName(name))
		}
		var rerr error
		switch {
		case bytesMode && !allBut:
			rerr = headBytes(out, r, count)
		case bytesMode:
			rerr = elideBytes(out, r, count)
		case !allBut:
			rerr = headLines(out, r, count)
		default:
			rerr = elideLines(out, r, count)
		}
		closeFile()
		if st, stop := headFailed(ctx, o, "head", name, rerr); stop {
			return st
		} else if st != 0 {
			status = st
		}
	}
	if err := out.Flush(); err != nil {
		st, _ := headFailed(ctx, o, "head", "", writeError{err})
		return st
	}
	return status
}

// headFailed reports an error of head or tail in their words and returns
// the status, and whether the command stops: a failed write stops it, a
// file that cannot be read does not.
func headFailed(ctx context.Context, o IO, cmd, name string, err error) (int, bool) {
	var we writeError
	switch {
	case err == nil:
		return 0, false
	case errors.As(err, &we) && errors.Is(we.err, syscall.EPIPE):
		return StatusBrokenPipe, true
	case errors.As(err, &we):
		o.Errorf(cmd, "error writing %s: %s", quoteaf("standard output"), strerror(we.err))
		return 1, true
	case interrupted(ctx, err):
		return statusInterrupted, true
	}
	o.Errorf(cmd, "error reading %s: %s", quoteaf(name), strerror(err))
	return 1, false
}

// displayName is how head and tail name a file in their headers.
func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// write is out.Write with its failure marked as a write's.
func write(out *bufio.Writer, p []byte) error {
	if _, err := out.Write(p); err != nil {
		return writeError{err}
	}
	return nil
}

// readChunks calls fn with each chunk read from r, flushing out before
// each read so that a slow input's output is not held back.
func readChunks(r io.Reader, out *bufio.Writer, fn func([]byte) (stop bool, err error)) error {
	buf := make([]byte, bufSize)
	for {
		if err := out.Flush(); err != nil {
			return writeError{err}
		}
		n, err := r.Read(buf)
		if n > 0 {
			stop, ferr := fn(buf[:n])
			if ferr != nil || stop {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func headBytes(out *bufio.Writer, r io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	return readChunks(r, out, func(p []byte) (bool, error) {
		if int64(len(p)) > n {
			p = p[:n]
		}
		n -= int64(len(p))
		return n == 0, write(out, p)
	})
}

func headLines(out *bufio.Writer, r io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	return readChunks(r, out, func(p []byte) (bool, error) {
		end := len(p)
		for i := 0; i < len(p); {
			j := bytes.IndexByte(p[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			if n--; n == 0 {
				end = i
				break
			}
		}
		return n == 0, write(out, p[:end])
	})
}

// elideBytes writes all of r but its last n bytes, holding only those.
func elideBytes(out *bufio.Writer, r io.Reader, n int64) error {
	w := window{}
	return readChunks(r, out, func(p []byte) (bool, error) {
		if err := w.add(p); err != nil {
			return true, err
		}
		if extra := int64(w.len()) - n; extra > 0 {
			return false, w.emit(out, int(extra))
		}
		return false, nil
	})
}

// window is the tail of a stream that head and tail hold: held[start:],
// with the number of newlines in it. Dropping from its front only moves
// start; the bytes move once start passes half, so that each byte is
// copied a bounded number of times.
type window struct {
	held  []byte
	start int
	lines int64
}

func (w *window) len() int      { return len(w.held) - w.start }
func (w *window) bytes() []byte { return w.held[w.start:] }

func (w *window) add(p []byte) error {
	if w.len()+len(p) > maxBuffered {
		return errTooBig
	}
	w.held = append(w.held, p...)
	w.lines += int64(bytes.Count(p, []byte{'\n'}))
	return nil
}

// drop removes k bytes from the front.
func (w *window) drop(k int) {
	w.lines -= int64(bytes.Count(w.held[w.start:w.start+k], []byte{'\n'}))
	w.start += k
	if w.start > len(w.held)/2 {
		w.held = append(w.held[:0], w.held[w.start:]...)
		w.start = 0
	}
}

// emit writes k bytes from the front and drops them.
func (w *window) emit(out *bufio.Writer, k int) error {
	if err := write(out, w.held[w.start:w.start+k]); err != nil {
		return err
	}
	w.drop(k)
	return nil
}

// surplus is the length of the front lines that are surely not among the
// last n lines of the stream, however it goes on: all but the last n+1
// newline-ended ones.
func (w *window) surplus(n int64) int {
	excess := w.lines - (n + 1)
	i := w.start
	for ; excess > 0; excess-- {
		i += bytes.IndexByte(w.held[i:], '\n') + 1
	}
	return i - w.start
}

// lastLinesStart is where the last n lines of data begin, for data that
// is complete (final) or may go on: then only lines that are surely not
// among the last n come before it.
func lastLinesStart(data []byte, n int64, final bool) int {
	need := n + 1 // newlines from the end, the one ending the line before the first kept
	if final && (len(data) == 0 || data[len(data)-1] != '\n') {
		need = n // an unterminated last line counts
	}
	if need == 0 {
		return len(data)
	}
	i := len(data)
	for ; need > 0; need-- {
		i = bytes.LastIndexByte(data[:i], '\n')
		if i < 0 {
			return 0
		}
	}
	return i + 1
}

// elideLines writes all of r but its last n lines, holding only those.
func elideLines(out *bufio.Writer, r io.Reader, n int64) error {
	w := window{}
	err := readChunks(r, out, func(p []byte) (bool, error) {
		if err := w.add(p); err != nil {
			return true, err
		}
		return false, w.emit(out, w.surplus(n))
	})
	if err != nil {
		return err
	}
	return write(out, w.bytes()[:lastLinesStart(w.bytes(), n, true)])
}

var tailSpec = optSpec{short: "c:n:fFqs:vz", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"bytes": "c:", "lines": "n:", "follow": "f::", "quiet": "q", "silent": "q", "verbose": "v",
	"sleep-interval": "s:", "retry": "retry", "pid": "pid:", "zero-terminated": "z",
}}

// tailOpts are tail's settings.
type tailOpts struct {
	count     int64
	bytesMode bool
	fromStart bool // +N: from the Nth line (byte) on
	follow    bool
	byName    bool // -F: reopen a file that was replaced or reappears
}

// cmdTail prints the last lines (or bytes) of its files; -f then follows
// them as they grow until it is stopped.
func cmdTail(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := tailSpec.parse(o, "tail", legacyCount(args)[1:])
	if !ok {
		return st
	}
	t := tailOpts{count: 10}
	headers := 0
	for _, op := range opts {
		switch op.key {
		case "c", "n":
			v := op.val
			t.fromStart = strings.HasPrefix(v, "+")
			n, ok := countArg(strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+"))
			if !ok {
				what := "lines"
				if op.key == "c" {
					what = "bytes"
				}
				o.Errorf("tail", "invalid number of %s: %s", what, quote(v))
				return 1
			}
			t.count, t.bytesMode = n, op.key == "c"
		case "f":
			t.follow = true
			t.byName = t.byName || op.val == "name"
		case "F":
			t.follow, t.byName = true, true
		case "q":
			headers = -1
		case "v":
			headers = 1
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	showHeaders := headers == 1 || headers == 0 && len(files) > 1
	in := newInputs(ctx, o)
	defer in.close()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	var follows []*followed
	for i, name := range files {
		var r io.Reader
		var f *vfs.File
		if name == "-" {
			r = in.stdinReader()
		} else {
			var err error
			if f, err = openFile(o, name); err != nil {
				o.Errorf("tail", "cannot open %s for reading: %s", quoteaf(name), strerror(err))
				status = 1
				if t.byName {
					follows = append(follows, &followed{name: name, gone: true})
				}
				continue
			}
			r = ctxReader{ctx, f}
		}
		if showHeaders {
			if i > 0 {
				out.WriteByte('\n')
			}
			fmt.Fprintf(out, "==> %s <==\n", displayName(name))
		}
		rerr := t.tail(out, r)
		if st, stop := headFailed(ctx, o, "tail", name, rerr); st != 0 {
			if f != nil {
				f.Close()
			}
			if stop {
				return st
			}
			status = st
			continue
		}
		if f != nil {
			if t.follow {
				follows = append(follows, newFollowed(name, f))
			} else {
				f.Close()
			}
		}
	}
	if err := out.Flush(); err != nil {
		st, _ := headFailed(ctx, o, "tail", "", writeError{err})
		return st
	}
	if !t.follow || len(follows) == 0 {
		if t.follow && len(files) > 0 && files[0] != "-" {
			o.Errorf("tail", "no files remaining")
		}
		return status
	}
	return follow(ctx, o, out, follows, t.byName, showHeaders, follows[len(follows)-1].name)
}

// tail writes the part of r that t asks for.
func (t tailOpts) tail(out *bufio.Writer, r io.Reader) error {
	switch {
	case t.fromStart:
		skip := max(t.count-1, 0)
		return readChunks(r, out, func(p []byte) (bool, error) {
			if t.bytesMode {
				k := min(int64(len(p)), skip)
				skip -= k
				p = p[k:]
			} else {
				for skip > 0 && len(p) > 0 {
					j := bytes.IndexByte(p, '\n')
					if j < 0 {
						p = nil
						break
					}
					p = p[j+1:]
					skip--
				}
			}
			return false, write(out, p)
		})
	case t.bytesMode:
		w := window{}
		err := readChunks(r, out, func(p []byte) (bool, error) {
			if err := w.add(p); err != nil {
				return true, err
			}
			if extra := int64(w.len()) - t.count; extra > 0 {
				w.drop(int(extra))
			}
			return false, nil
		})
		if err != nil {
			return err
		}
		return write(out, w.bytes())
	default:
		w := window{}
		err := readChunks(r, out, func(p []byte) (bool, error) {
			if err := w.add(p); err != nil {
				return true, err
			}
			w.drop(w.surplus(t.count))
			return false, nil
		})
		if err != nil {
			return err
		}
		b := w.bytes()
		return write(out, b[lastLinesStart(b, t.count, true):])
	}
}

// followed is a file tail -f watches.
type followed struct {
	name string
	f    *vfs.File
	ino  uint64
	off  int64 // bytes read: a smaller size means the file was truncated
	gone bool
}

func newFollowed(name string, f *vfs.File) *followed {
	fl := &followed{name: name, f: f}
	if fi, err := f.Stat(); err == nil {
		fl.ino, fl.off = owner(fi).Ino, fi.Size()
	}
	return fl
}

// follow polls the files every 100 ms and copies what was added to them,
// until ctx ends.
func follow(ctx context.Context, o IO, out *bufio.Writer, files []*followed, byName, headers bool, last string) int {
	defer func() {
		for _, fl := range files {
			if fl.f != nil {
				fl.f.Close()
			}
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	buf := make([]byte, bufSize)
	for {
		select {
		case <-ctx.Done():
			return statusInterrupted
		case <-tick.C:
		}
		for _, fl := range files {
			if byName {
				fl.recheck(o)
			}
			if fl.f == nil {
				continue
			}
			if fi, err := fl.f.Stat(); err == nil && fi.Size() < fl.off {
				o.Errorf("tail", "%s: file truncated", quotef(fl.name))
				fl.f.Close()
				f, err := openFile(o, fl.name)
				if err != nil {
					fl.f, fl.gone = nil, true
					continue
				}
				fl.f, fl.off = f, 0
			}
			for {
				n, err := fl.f.Read(buf)
				if n > 0 {
					if headers && last != fl.name {
						fmt.Fprintf(out, "\n==> %s <==\n", fl.name)
						last = fl.name
					}
					fl.off += int64(n)
					out.Write(buf[:n])
				}
				if err != nil || n == 0 {
					break
				}
			}
			if err := out.Flush(); err != nil {
				st, _ := headFailed(ctx, o, "tail", "", writeError{err})
				return st
			}
		}
	}
}

// recheck reopens a file followed by name that was removed, replaced or
// has appeared, as tail -F does.
func (fl *followed) recheck(o IO) {
	fi, err := statName(o, fl.name)
	switch {
	case err != nil && !fl.gone:
		o.Errorf("tail", "%s has become inaccessible: %s", quoteaf(fl.name), strerror(err))
		fl.gone = true
		if fl.f != nil {
			fl.f.Close()
			fl.f = nil
		}
	case err != nil:
	case fl.gone || owner(fi).Ino != fl.ino:
		f, err := openFile(o, fl.name)
		if err != nil {
			return
		}
		if fl.gone {
			o.Errorf("tail", "%s has appeared;  following new file", quoteaf(fl.name))
		} else {
			o.Errorf("tail", "%s has been replaced;  following new file", quoteaf(fl.name))
		}
		if fl.f != nil {
			fl.f.Close()
		}
		fl.f, fl.ino, fl.off, fl.gone = f, owner(fi).Ino, 0, false
	}
}

var wcSpec = optSpec{short: "clLmw", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"bytes": "c", "chars": "m", "lines": "l", "max-line-length": "L", "words": "w",
}}

// wcCounts are one input's counts.
type wcCounts struct {
	lines, words, chars, bytes, maxLen int64
}

// cmdWc counts lines, words and bytes, printed as GNU wc aligns them.
func cmdWc(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := wcSpec.parse(o, "wc", args[1:])
	if !ok {
		return st
	}
	var show [5]bool // lines, words, chars, bytes, max line length
	for _, op := range opts {
		show[strings.Index("lwmcL", op.key)] = true
	}
	if show == [5]bool{} {
		show = [5]bool{true, true, false, true, false}
	}
	shown := 0
	for _, s := range show {
		if s {
			shown++
		}
	}
	names := files
	if len(names) == 0 {
		names = []string{""} // standard input, printed without a name
	}
	width := wcWidth(o, names, shown)
	in := newInputs(ctx, o)
	defer in.close()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	var total wcCounts
	for _, name := range names {
		src := name
		if src == "" {
			src = "-"
		}
		r, closeFile, err := in.open(src)
		if err != nil {
			o.Errorf("wc", "%s: %s", quotef(name), strerror(err))
			status = 1
			continue
		}
		c, err := wcCount(r)
		closeFile()
		if err != nil {
			if interrupted(ctx, err) {
				return statusInterrupted
			}
			o.Errorf("wc", "%s: %s", quotef(src), strerror(err))
			status = 1
		}
		total.lines += c.lines
		total.words += c.words
		total.chars += c.chars
		total.bytes += c.bytes
		total.maxLen = max(total.maxLen, c.maxLen)
		wcPrint(out, c, show, width, name)
	}
	if len(names) > 1 {
		wcPrint(out, total, show, width, "total")
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "wc", err)
	}
	return status
}

// wcWidth is GNU wc's column width: 1 for a single count of a single
// input; else wide enough for the regular files' total size, and at least
// 7 when an input is not a regular file.
func wcWidth(o IO, names []string, shown int) int {
	if len(names) == 1 && shown == 1 {
		return 1
	}
	var total int64
	minWidth := 1
	for i, name := range names {
		var size int64
		regular := false
		if name != "" && name != "-" {
			// Standard input reaches commands through a pipe, even
			// when redirected from a file.
			fi, err := statName(o, name)
			if err != nil {
				if i == 0 {
					return 1
				}
				continue
			}
			size, regular = fi.Size(), fi.Mode().IsRegular()
		}
		if regular {
			total += size
		} else {
			minWidth = 7
		}
	}
	return max(len(strconv.FormatInt(total, 10)), minWidth)
}

func wcPrint(out *bufio.Writer, c wcCounts, show [5]bool, width int, name string) {
	sep := ""
	for i, v := range []int64{c.lines, c.words, c.chars, c.bytes, c.maxLen} {
		if show[i] {
			fmt.Fprintf(out, "%s%*d", sep, width, v)
			sep = " "
		}
	}
	if name != "" {
		fmt.Fprintf(out, " %s", name)
	}
	out.WriteByte('\n')
}

// wcCount counts r in chunks: a word is a run of bytes other than white
// space; a character is a byte that does not continue a UTF-8 sequence.
func wcCount(r io.Reader) (wcCounts, error) {
	var c wcCounts
	inWord := false
	col := int64(0)
	buf := make([]byte, bufSize)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			switch b {
			case '\n', '\r', '\f':
				if b == '\n' {
					c.lines++
				}
				c.maxLen = max(c.maxLen, col)
				col = 0
				inWord = false
			case ' ', '\v':
				col++
				inWord = false
			case '\t':
				col += 8 - col%8
				inWord = false
			default:
				if !inWord {
					c.words++
					inWord = true
				}
				if b&0xc0 != 0x80 && b >= 0x20 && b != 0x7f {
					col++
				}
			}
			if b&0xc0 != 0x80 {
				c.chars++
			}
		}
		c.bytes += int64(n)
		if err == io.EOF {
			c.maxLen = max(c.maxLen, col)
			return c, nil
		}
		if err != nil {
			return c, err
		}
	}
}

var teeSpec = optSpec{short: "aip", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"append": "a", "ignore-interrupts": "i", "output-error": "output-error::",
}}

// cmdTee copies standard input to standard output and to each file.
func cmdTee(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := teeSpec.parse(o, "tee", args[1:])
	if !ok {
		return st
	}
	flag := vfs.O_WRONLY | vfs.O_CREATE | vfs.O_TRUNC
	for _, op := range opts {
		if op.key == "a" {
			flag = vfs.O_WRONLY | vfs.O_CREATE | vfs.O_APPEND
		}
	}
	status := 0
	type sink struct {
		name string
		w    io.Writer
	}
	sinks := []*sink{{"standard output", o.Stdout}}
	for _, name := range files {
		if name == "-" {
			sinks = append(sinks, &sink{"standard output", o.Stdout})
			continue
		}
		f, err := o.FS.OpenFile(o.Path(name), flag, fileMode)
		if err != nil {
			o.Errorf("tee", "%s: %s", quotef(name), strerror(err))
			status = 1
			continue
		}
		defer f.Close()
		sinks = append(sinks, &sink{name, f})
	}
	in := newInputs(ctx, o)
	defer in.close()
	r := in.stdinReader()
	buf := make([]byte, bufSize)
	for {
		n, err := r.Read(buf)
		for _, s := range sinks {
			if n == 0 || s.w == nil {
				continue
			}
			if _, werr := s.w.Write(buf[:n]); werr != nil {
				if errors.Is(werr, syscall.EPIPE) {
					return StatusBrokenPipe
				}
				o.Errorf("tee", "%s: %s", quotef(s.name), strerror(werr))
				s.w, status = nil, 1
			}
		}
		if err == io.EOF {
			return status
		}
		if err != nil {
			if interrupted(ctx, err) {
				return statusInterrupted
			}
			o.Errorf("tee", "%s: %s", "-", strerror(err))
			return 1
		}
	}
}
