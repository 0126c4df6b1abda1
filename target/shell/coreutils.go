package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vlab-sim/vlab/target/vfs"
)

// coreutils are the text and file utilities, over the instance's
// filesystem.
func coreutils() map[string]Command {
	return map[string]Command{
		// text.go
		"cat":  cmdCat,
		"head": cmdHead,
		"tail": cmdTail,
		"wc":   cmdWc,
		"tee":  cmdTee,
		// grep.go, sed.go
		"grep":  cmdGrep,
		"egrep": cmdGrep,
		"fgrep": cmdGrep,
		"sed":   cmdSed,
		// columns.go
		"sort": cmdSort,
		"uniq": cmdUniq,
		"cut":  cmdCut,
		"tr":   cmdTr,
		// files.go
		"ls":    cmdLs,
		"touch": cmdTouch,
		"mkdir": cmdMkdir,
		"rm":    cmdRm,
		"rmdir": cmdRmdir,
		"cp":    cmdCp,
		"mv":    cmdMv,
		"stat":  cmdStat,
		// sums.go
		"sha256sum": cmdSum,
		"sha1sum":   cmdSum,
		"sha512sum": cmdSum,
		"md5sum":    cmdSum,
		"base64":    cmdBase64,
		"xxd":       cmdXxd,
		// misc.go
		"date":  cmdDate,
		"sleep": cmdSleep,
		"seq":   cmdSeq,
		"yes":   cmdYes,
	}
}

// The instance's umask (umask prints 0002): what new files and directories
// get.
const (
	fileMode = 0o664
	dirMode  = 0o775
)

// statusInterrupted is what a command stopped by its context returns, as a
// process ended by SIGINT.
const statusInterrupted = 130

// maxBuffered caps what one command holds in memory at once (a line, or all
// of sort's input): no file of an instance can be larger, and an endless
// device must not eat the host's memory.
const maxBuffered = vfs.DefaultLimit

// errTooBig is a line or an input past maxBuffered.
var errTooBig = errors.New("memory exhausted")

// bufSize is the size of the buffers commands stream through.
const bufSize = 64 << 10

// strerror is the C library's text for err, as coreutils prints it.
func strerror(err error) string {
	if errors.Is(err, errTooBig) {
		return errTooBig.Error()
	}
	s := vfs.Strerror(err)
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// writeFailed reports a failed write to standard output and returns the
// command's status: a reader that went away ends the command silently, as
// SIGPIPE does, with 141.
func writeFailed(o IO, name string, err error) int {
	if errors.Is(err, syscall.EPIPE) {
		return StatusBrokenPipe
	}
	o.Errorf(name, "write error: %s", strerror(err))
	return 1
}

// interrupted reports whether a failed read or write failed because the
// command was stopped.
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded)
}

// quote is coreutils' quoting of values in messages (‘x’), in a UTF-8
// locale.
func quote(s string) string { return "‘" + s + "’" }

// quoteaf is coreutils' shell-escape-always quoting of file names: 'x'.
func quoteaf(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	if !strings.ContainsAny(s, "\"$`\\!") {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quotef quotes a file name only where a shell would need it.
func quotef(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,+@%=^", r) || r >= 0x80) {
			return quoteaf(s)
		}
	}
	return s
}

// usageError reports a bad invocation as coreutils does and returns status.
func usageError(o IO, name string, status int, format string, args ...any) int {
	if format != "" {
		o.Errorf(name, format, args...)
	}
	fmt.Fprintf(o.Stderr, "Try '%s --help' for more information.\n", name)
	return status
}

// inputs opens a command's file operands for reading, "-" being standard
// input, and undoes at close what it did to standard input.
type inputs struct {
	ctx   context.Context
	o     IO
	stdin io.Reader
	done  func()
}

func newInputs(ctx context.Context, o IO) *inputs { return &inputs{ctx: ctx, o: o} }

// open opens name; close releases the file.
func (in *inputs) open(name string) (r io.Reader, close func(), err error) {
	if name == "-" {
		return in.stdinReader(), func() {}, nil
	}
	f, err := openFile(in.o, name)
	if err != nil {
		return nil, nil, err
	}
	return ctxReader{in.ctx, f}, func() { f.Close() }, nil
}

// stdinReader is standard input whose reads end when the command is
// stopped: a read blocked on the terminal (cat waiting for a line) would
// otherwise outlive Ctrl-C. A pipe takes a read deadline, as the
// interpreter's read builtin does it.
func (in *inputs) stdinReader() io.Reader {
	if in.stdin != nil {
		return in.stdin
	}
	in.stdin = ctxReader{in.ctx, in.o.Stdin}
	in.done = func() {}
	if f, ok := in.o.Stdin.(*os.File); ok && f != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(in.ctx, func() {
			f.SetReadDeadline(time.Now())
			close(fired)
		})
		in.done = func() {
			if !stop() {
				<-fired
				f.SetReadDeadline(time.Time{})
			}
		}
	}
	return in.stdin
}

func (in *inputs) close() {
	if in.done != nil {
		in.done()
	}
}

// ctxReader is a reader that fails once ctx ends, so that a command
// reading an endless device stops.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// openFile opens a file operand for reading; "dir/" names a directory, as
// the kernel has it.
func openFile(o IO, name string) (*vfs.File, error) {
	if strings.HasSuffix(name, "/") {
		if _, err := statName(o, name); err != nil {
			return nil, err
		}
	}
	return o.FS.OpenFile(o.Path(name), vfs.O_RDONLY, 0)
}

// statName stats a file operand; a trailing slash requires a directory.
func statName(o IO, name string) (fs.FileInfo, error) {
	fi, err := o.FS.Stat(o.Path(name))
	if err == nil && strings.HasSuffix(name, "/") && !fi.IsDir() {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: syscall.ENOTDIR}
	}
	return fi, err
}

// isOutput reports whether the file operand name is the file standard
// output writes to, and holds something: reading it would read what the
// command writes, without end (cat f >> f).
func isOutput(o IO, name string) bool {
	f, ok := o.Stdout.(*vfs.File)
	if !ok || name == "-" || f.Name() != o.Path(name) {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular() && fi.Size() > 0
}

// pump copies r to w until r ends; it tells a failed read from a failed
// write.
func pump(w io.Writer, r io.Reader, buf []byte) (rerr, werr error) {
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil, werr
			}
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}

// lineReader reads lines of any length (up to maxBuffered), each with its
// newline; the last may lack one. Before it waits for input it flushes
// out, so that what a command printed reaches a terminal while it waits.
type lineReader struct {
	br    *bufio.Reader
	out   *bufio.Writer
	long  []byte
	delim byte
}

func newLineReader(r io.Reader, out *bufio.Writer) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, bufSize), out: out, delim: '\n'}
}

// next returns the next line, valid until the following call, and io.EOF
// after the last; out's failure comes as a writeError.
func (l *lineReader) next() ([]byte, error) {
	if l.out != nil && l.br.Buffered() == 0 {
		if err := l.out.Flush(); err != nil {
			return nil, writeError{err}
		}
	}
	line, err := l.br.ReadSlice(l.delim)
	if err != bufio.ErrBufferFull {
		if err == io.EOF && len(line) > 0 {
			err = nil
		}
		return line, err
	}
	l.long = append(l.long[:0], line...)
	for err == bufio.ErrBufferFull {
		if len(l.long) > maxBuffered {
			return nil, errTooBig
		}
		line, err = l.br.ReadSlice(l.delim)
		l.long = append(l.long, line...)
	}
	if err == io.EOF {
		err = nil
	}
	return l.long, err
}

// writeError is a failed write to standard output met while reading.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// readFailed reports err, met reading name, and returns the status: a
// failed write ends the command as writeFailed says, a stop ends it with
// statusInterrupted, anything else is reported as name's and gives 1.
func readFailed(ctx context.Context, o IO, cmd, name string, err error) int {
	var we writeError
	switch {
	case errors.As(err, &we):
		return writeFailed(o, cmd, we.err)
	case interrupted(ctx, err):
		return statusInterrupted
	}
	o.Errorf(cmd, "%s: %s", quotef(name), strerror(err))
	return 1
}

// chomp is line without its newline, and whether it had one.
func chomp(line []byte) ([]byte, bool) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		return line[:n-1], true
	}
	return line, false
}

// ownerName is a user's name as ls and stat print it.
func ownerName(uid int) string {
	switch uid {
	case 0:
		return "root"
	case EC2User.UID:
		return EC2User.Name
	}
	return fmt.Sprint(uid)
}

// owner is the owner of a file the filesystem describes.
func owner(fi fs.FileInfo) vfs.Owner {
	if ow, ok := fi.Sys().(*vfs.Owner); ok && ow != nil {
		return *ow
	}
	return vfs.Owner{Nlink: 1}
}
