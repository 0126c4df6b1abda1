package target

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/target/vfs"
)

// scpUmask is the login shell's (umask prints 0002), which scp -t runs
// under.
const scpUmask = 0o002

// scp is the remote end of legacy scp (scp -O): OpenSSH's client runs
// `scp -t TARGET` to upload and `scp -f FILE...` to download through the
// login shell, and the two speak rcp's protocol over the command's stdin
// and stdout. The instance has no scp client of its own.
func (in *Instance) scp(ctx context.Context, o shell.IO, args []string) int {
	c := &rcp{ctx: ctx, o: o, in: bufio.NewReader(o.Stdin)}
	var sink, source, other bool
	i := 1
	for ; i < len(args) && len(args[i]) > 1 && args[i][0] == '-'; i++ {
		if args[i] == "--" {
			i++
			break
		}
		for _, l := range args[i][1:] {
			switch l {
			case 't':
				sink = true
			case 'f':
				source = true
			case 'r':
				c.recursive = true
			case 'p':
				c.preserve = true
			case 'd':
				c.dirTarget = true
			case 'v':
				c.verbose = true
			default:
				other = true
			}
		}
	}
	operands := args[i:]
	if sink == source || other {
		fmt.Fprintln(o.Stderr, "scp: this instance has no scp client; run scp or sftp on your own machine to copy to or from it")
		return 1
	}
	var err error
	if source {
		// The sink speaks first: its \0 says it is ready.
		if _, err = c.response(); err == nil {
			err = c.sendAll(operands)
		}
	} else if len(operands) != 1 {
		c.runErr("ambiguous target")
		err = errExit
	} else {
		err = c.sink(operands[0], true)
	}
	if err != nil || c.errs > 0 {
		return 1
	}
	return 0
}

// errExit ends scp with status 1: the protocol is out of step, the peer
// gave up, or the connection is gone.
var errExit = errors.New("scp: exit")

// rcp is one run of the protocol: control records (C file, D directory, E
// end of directory, T times) each answered by \0, or \1 and a message for
// an error the transfer survives, \2 for one it does not.
type rcp struct {
	ctx context.Context
	o   shell.IO
	in  *bufio.Reader

	recursive, preserve, dirTarget, verbose bool

	errs int
}

func (c *rcp) ack() error {
	if _, err := c.o.Stdout.Write([]byte{0}); err != nil {
		return errExit
	}
	return nil
}

// runErr reports an error to the peer, which prints it, and goes on.
func (c *rcp) runErr(format string, args ...any) {
	c.errs++
	fmt.Fprintf(c.o.Stdout, "\x01scp: "+format+"\n", args...)
}

// protocolError reports that the peer broke the protocol: the run ends.
func (c *rcp) protocolError(why string) error {
	c.runErr("protocol error: %s", why)
	return errExit
}

// response reads the peer's answer to a record: ok, an error it reported
// (false), or the end of the run.
func (c *rcp) response() (bool, error) {
	b, err := c.in.ReadByte()
	if err != nil {
		return false, errExit
	}
	if b == 0 {
		return true, nil
	}
	// The message is the peer's to print; this side only counts it.
	if _, err := c.in.ReadString('\n'); err != nil {
		return false, errExit
	}
	c.errs++
	if b != 1 {
		return false, errExit
	}
	return false, nil
}

func (c *rcp) logf(format string, args ...any) {
	if c.verbose {
		fmt.Fprintf(c.o.Stderr, format, args...)
	}
}

// sendAll is the source: each name is sent, or its error reported.
func (c *rcp) sendAll(names []string) error {
	for _, name := range names {
		if err := c.send(name); err != nil {
			return err
		}
	}
	return nil
}

func (c *rcp) send(name string) error {
	if t := strings.TrimRight(name, "/"); t != "" {
		name = t
	}
	if c.ctx.Err() != nil {
		return errExit
	}
	p := c.o.Path(name)
	f, err := c.o.FS.OpenFile(p, vfs.O_RDONLY, 0)
	if err != nil {
		c.runErr("%s: %s", name, vfs.Strerror(err))
		return nil
	}
	defer f.Close()
	if strings.Contains(name, "\n") {
		c.runErr("%s: skipping, filename contains a newline", name)
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		c.runErr("%s: %s", name, vfs.Strerror(err))
		return nil
	}
	switch {
	case fi.Mode().IsRegular():
	case fi.IsDir() && c.recursive:
		return c.sendDir(name, p, fi)
	default:
		c.runErr("%s: not a regular file", name)
		return nil
	}
	if ok, err := c.sendTimes(fi); !ok {
		return err
	}
	rec := fmt.Sprintf("C%04o %d %s\n", fi.Mode().Perm(), fi.Size(), path.Base(name))
	c.logf("Sending file modes: %s", rec)
	if _, err := io.WriteString(c.o.Stdout, rec); err != nil {
		return errExit
	}
	if ok, err := c.response(); !ok {
		return err
	}
	// The sink reads exactly the size announced: a file that shrinks
	// meanwhile is padded, and its error reported after.
	var readErr error
	buf := make([]byte, 32<<10)
	for off, size := int64(0), fi.Size(); off < size; {
		b := buf[:min(int64(len(buf)), size-off)]
		if readErr == nil {
			n, err := f.ReadAt(b, off)
			if n < len(b) {
				readErr = err
				clear(b[n:])
			}
		} else {
			clear(b)
		}
		if _, err := c.o.Stdout.Write(b); err != nil {
			return errExit
		}
		off += int64(len(b))
	}
	if readErr != nil {
		c.runErr("%s: %s", name, vfs.Strerror(readErr))
	} else if err := c.ack(); err != nil {
		return err
	}
	_, err = c.response()
	return err
}

// sendTimes sends the T record under -p; false when the sink refused it
// or the run ended (err says which).
func (c *rcp) sendTimes(fi fs.FileInfo) (bool, error) {
	if !c.preserve {
		return true, nil
	}
	t := fi.ModTime().Unix()
	if _, err := fmt.Fprintf(c.o.Stdout, "T%d 0 %d 0\n", t, t); err != nil {
		return false, errExit
	}
	return c.response()
}

func (c *rcp) sendDir(name, p string, fi fs.FileInfo) error {
	ents, err := c.o.FS.ReadDir(p)
	if err != nil {
		c.runErr("%s: %s", name, vfs.Strerror(err))
		return nil
	}
	if ok, err := c.sendTimes(fi); !ok {
		return err
	}
	rec := fmt.Sprintf("D%04o %d %s\n", fi.Mode().Perm(), 0, path.Base(name))
	c.logf("Entering directory: %s", rec)
	if _, err := io.WriteString(c.o.Stdout, rec); err != nil {
		return errExit
	}
	if ok, err := c.response(); !ok {
		return err
	}
	for _, e := range ents {
		if err := c.send(strings.TrimSuffix(name, "/") + "/" + e.Name()); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(c.o.Stdout, "E\n"); err != nil {
		return errExit
	}
	_, err = c.response()
	return err
}

// sink receives into targ: a directory for what comes, or the file's own
// name. first is the command's target; a D record recurses.
func (c *rcp) sink(targ string, first bool) error {
	if first && c.dirTarget {
		fi, err := c.o.FS.Stat(c.o.Path(targ))
		if err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
		if err != nil {
			c.runErr("%s: %s", targ, vfs.Strerror(err))
			return errExit
		}
	}
	if err := c.ack(); err != nil {
		return err
	}
	fi, err := c.o.FS.Stat(c.o.Path(targ))
	targIsDir := err == nil && fi.IsDir()
	var mtime time.Time
	setTimes := false
	for firstRecord := true; ; firstRecord = false {
		if c.ctx.Err() != nil {
			return errExit
		}
		b, err := c.in.ReadSlice('\n')
		if len(b) == 0 && err == io.EOF {
			return nil // the source is done
		}
		if err == bufio.ErrBufferFull {
			return c.protocolError("control record too long")
		}
		if err != nil {
			return c.protocolError("lost connection")
		}
		line := string(b)
		if line == "\n" {
			return c.protocolError("unexpected <newline>")
		}
		c.logf("Sink: %s", line)
		switch line[0] {
		case 1, 2:
			// The source's own error: its side printed it.
			c.errs++
			if line[0] == 2 {
				return errExit
			}
			continue
		case 'E':
			return c.ack()
		}
		line = strings.TrimSuffix(line, "\n")
		if line[0] == 'T' {
			t, err := parseTimes(line[1:])
			if err != nil {
				return c.protocolError(err.Error())
			}
			mtime, setTimes = t, true
			if err := c.ack(); err != nil {
				return err
			}
			continue
		}
		if line[0] != 'C' && line[0] != 'D' {
			if firstRecord {
				// Whatever the source's shell said instead of running scp.
				c.runErr("%s", line)
				return errExit
			}
			return c.protocolError("expected control record")
		}
		rec, err := parseRecord(line)
		if err != nil {
			return c.protocolError(err.Error())
		}
		if rec.name == "" || rec.name == "." || rec.name == ".." || strings.Contains(rec.name, "/") {
			c.runErr("error: unexpected filename: %s", rec.name)
			return errExit
		}
		mode := rec.mode
		if !c.preserve {
			mode &^= scpUmask
		}
		np := targ
		if targIsDir {
			np = strings.TrimSuffix(targ, "/") + "/" + rec.name
		}
		var err2 error
		if line[0] == 'D' {
			err2 = c.sinkDir(np, mode, setTimes, mtime)
		} else {
			err2 = c.sinkFile(np, mode, rec.size, setTimes, mtime)
		}
		if err2 != nil {
			return err2
		}
		setTimes = false
	}
}

func (c *rcp) sinkDir(np string, mode fs.FileMode, setTimes bool, mtime time.Time) error {
	if !c.recursive {
		return c.protocolError("received directory without -r")
	}
	p := c.o.Path(np)
	setMode := c.preserve
	fi, err := c.o.FS.Stat(p)
	switch {
	case err == nil && !fi.IsDir():
		c.runErr("%s: %s", np, vfs.Strerror(syscall.ENOTDIR))
		return nil
	case err == nil:
	default:
		// The mode comes after what is inside: the source may be read-only.
		setMode = true
		if err := c.o.FS.Mkdir(p, mode|0o700); err != nil {
			c.runErr("%s: %s", np, vfs.Strerror(err))
			return nil
		}
	}
	if err := c.sink(np, false); err != nil {
		return err
	}
	if setTimes {
		c.o.FS.Chtimes(p, mtime)
	}
	if setMode {
		c.o.FS.Chmod(p, mode)
	}
	return nil
}

func (c *rcp) sinkFile(np string, mode fs.FileMode, size int64, setTimes bool, mtime time.Time) error {
	p := c.o.Path(np)
	_, statErr := c.o.FS.Stat(p)
	exists := statErr == nil
	f, err := c.o.FS.OpenFile(p, vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, mode|0o200)
	if err != nil {
		c.runErr("%s: %s", np, vfs.Strerror(err))
		return nil
	}
	defer f.Close()
	if err := c.ack(); err != nil {
		return err
	}
	// The first error is noted and reported once the data is read: the
	// source goes on sending it anyway.
	var noted string
	note := func(format string, args ...any) {
		if noted == "" {
			noted = fmt.Sprintf(format, args...)
		}
	}
	buf := make([]byte, 32<<10)
	for left := size; left > 0; {
		b := buf[:min(int64(len(buf)), left)]
		if _, err := io.ReadFull(c.in, b); err != nil {
			c.runErr("dropped connection")
			return errExit
		}
		left -= int64(len(b))
		if noted == "" {
			if _, err := f.Write(b); err != nil {
				note("%s: %s", np, vfs.Strerror(err))
			}
		}
	}
	wrote := noted == ""
	if c.preserve && (exists || mode&0o200 == 0) || !c.preserve && !exists && mode&0o200 == 0 {
		if err := c.o.FS.Chmod(p, mode); err != nil {
			note("%s: set mode: %s", np, vfs.Strerror(err))
		}
	}
	if _, err := c.response(); err != nil {
		return err
	}
	if setTimes && wrote {
		if err := c.o.FS.Chtimes(p, mtime); err != nil {
			note("%s: set times: %s", np, vfs.Strerror(err))
		}
	}
	if noted != "" {
		c.runErr("%s", noted)
		return nil
	}
	return c.ack()
}

// rcpRecord is a C or D record: "C0644 1234 name".
type rcpRecord struct {
	mode fs.FileMode
	size int64
	name string
}

func parseRecord(line string) (rcpRecord, error) {
	var r rcpRecord
	if len(line) < 6 {
		return r, errors.New("bad mode")
	}
	m, err := strconv.ParseUint(line[1:5], 8, 32)
	if err != nil {
		return r, errors.New("bad mode")
	}
	r.mode = fs.FileMode(m) & fs.ModePerm
	if line[5] != ' ' {
		return r, errors.New("mode not delimited")
	}
	size, name, ok := strings.Cut(line[6:], " ")
	if size == "" || size[0] < '0' || size[0] > '9' {
		return r, errors.New("size not present")
	}
	if !ok {
		return r, errors.New("size not delimited")
	}
	if r.size, err = strconv.ParseInt(size, 10, 64); err != nil {
		return r, errors.New("size out of range")
	}
	r.name = name
	return r, nil
}

// parseTimes reads a T record's "mtime 0 atime 0": the filesystem keeps
// the modification time.
func parseTimes(s string) (time.Time, error) {
	f := strings.Split(s, " ")
	if len(f) != 4 {
		return time.Time{}, errors.New("mtime.sec not delimited")
	}
	var n [4]int64
	for i, v := range f {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 0 || i%2 == 1 && x > 999999 {
			return time.Time{}, fmt.Errorf("%s not present", [4]string{"mtime.sec", "mtime.usec", "atime.sec", "atime.usec"}[i])
		}
		n[i] = x
	}
	return time.Unix(n[0], n[1]*1000), nil
}
