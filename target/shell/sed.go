package shell

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/vlab-sim/vlab/target/vfs"
)

var sedSpec = optSpec{short: "nrsEe:f:i::l:uz", version: "sed (GNU sed) 4.8", usage: "[OPTION]... {script-only-if-no-other-script} [input-file]...", long: map[string]string{
	"quiet": "n", "silent": "n", "expression": "e:", "file": "f:", "in-place": "i::",
	"regexp-extended": "E", "separate": "s", "line-length": "l:", "unbuffered": "u",
	"posix": "posix", "null-data": "z", "debug": "debug", "sandbox": "sandbox",
}}

// sedRun is a script running over its input.
type sedRun struct {
	ctx     context.Context
	o       IO
	prog    []*sedCmd
	quiet   bool
	in      *sedInput
	out     *bufio.Writer
	ps, hs  []byte
	psNL    bool // the line in the pattern space ended with a newline
	missing bool // the last output lacked its newline
	lineNo  int64
	appends []sedAppend
	tflag   bool
	lastRE  *regexp.Regexp
	wfiles  map[string]io.Writer
	quit    bool
	exit    int
}

type sedAppend struct {
	text string
	file string
}

// cmdSed runs a sed script over its files or standard input.
func cmdSed(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := sedSpec.parse(o, "sed", args[1:])
	if !ok {
		return st
	}
	var exprs []string
	quiet, ere, separate, inPlace, suffix := false, false, false, false, ""
	for _, op := range opts {
		switch op.key {
		case "n":
			quiet = true
		case "r", "E":
			ere = true
		case "s":
			separate = true
		case "e":
			exprs = append(exprs, op.val)
		case "f":
			data, err := o.FS.ReadFile(o.Path(op.val))
			if err != nil {
				o.Errorf("sed", "couldn't open file %s: %s", op.val, strerror(err))
				return 1
			}
			exprs = append(exprs, strings.TrimSuffix(string(data), "\n"))
		case "i":
			inPlace, separate, suffix = true, true, op.val
		case "z":
			o.Errorf("sed", "-z is not supported on this simulated instance")
			return 1
		}
	}
	if len(exprs) == 0 {
		if len(operands) == 0 {
			fmt.Fprintln(o.Stderr, "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...")
			return 1
		}
		exprs, operands = operands[:1], operands[1:]
	}
	if strings.HasPrefix(exprs[0], "#n\n") || exprs[0] == "#n" {
		quiet = true
	}
	prog, err := parseSed(exprs, ere)
	if err != nil {
		o.Errorf("sed", "%s", err)
		if se, ok := err.(sedError); ok {
			return se.status
		}
		return 1
	}
	if len(operands) == 0 {
		if inPlace {
			o.Errorf("sed", "no input files")
			return 1
		}
		operands = []string{"-"}
	}
	in := newInputs(ctx, o)
	defer in.close()
	status := 0
	r := &sedRun{ctx: ctx, o: o, prog: prog, quiet: quiet, wfiles: map[string]io.Writer{}}
	if st := r.openWfiles(); st != 0 {
		return st
	}
	failed := func(name string, err error) {
		o.Errorf("sed", "can't read %s: %s", name, strerror(err))
		status = 2
	}
	stdout := bufio.NewWriterSize(o.Stdout, bufSize)
	streams := [][]string{operands}
	if separate {
		streams = nil
		for _, name := range operands {
			streams = append(streams, []string{name})
		}
	}
	defer r.closeWfiles()
	for _, names := range streams {
		r.in = &sedInput{ctx: ctx, in: in, names: names, failed: failed, out: stdout}
		r.lineNo = 0
		for _, c := range prog {
			c.active = false
		}
		if !inPlace {
			r.out = stdout
			r.run()
			r.in.close()
		} else if st := r.inPlace(names[0], suffix, failed); st != 0 {
			return st
		}
		if r.in.err != nil {
			return readFailed(ctx, o, "sed", r.in.cur, r.in.err)
		}
		if r.quit {
			break
		}
	}
	if err := stdout.Flush(); err != nil {
		return writeFailed(o, "sed", err)
	}
	if r.exit != 0 {
		return r.exit
	}
	return status
}

// openWfiles creates the files w commands write to, as sed does before it
// reads any input.
func (r *sedRun) openWfiles() int {
	for _, c := range r.prog {
		name := c.wfile
		if c.name == 'w' {
			name = c.text
		}
		if name == "" || r.wfiles[name] != nil {
			continue
		}
		switch name {
		case "/dev/stdout":
			r.wfiles[name] = r.o.Stdout
			continue
		case "/dev/stderr":
			r.wfiles[name] = r.o.Stderr
			continue
		}
		f, err := r.o.FS.OpenFile(r.o.Path(name), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, fileMode)
		if err != nil {
			r.o.Errorf("sed", "couldn't open file %s: %s", name, strerror(err))
			return 4
		}
		r.wfiles[name] = f
	}
	return 0
}

func (r *sedRun) closeWfiles() {
	for _, w := range r.wfiles {
		if f, ok := w.(*vfs.File); ok {
			f.Close()
		}
	}
}

// inPlace runs the script over one file, writing a temporary file beside
// it that then replaces it, as sed -i does.
func (r *sedRun) inPlace(name, suffix string, failed func(string, error)) int {
	o := r.o
	fi, err := statName(o, name)
	if err == nil {
		// Unreadable, the file must stay as it is: find out before the
		// temporary file replaces it.
		var f *vfs.File
		if f, err = openFile(o, name); err == nil {
			f.Close()
		}
	}
	if err != nil {
		failed(name, err)
		return 0
	}
	if !fi.Mode().IsRegular() {
		o.Errorf("sed", "couldn't edit %s: not a regular file", name)
		return 4
	}
	dir := path.Dir(name)
	var rnd [6]byte
	rand.Read(rnd[:])
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for i := range rnd {
		rnd[i] = letters[int(rnd[i])%len(letters)]
	}
	tmp := dir + "/sed" + string(rnd[:])
	f, err := o.FS.OpenFile(o.Path(tmp), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_EXCL, fi.Mode().Perm())
	if err != nil {
		o.Errorf("sed", "couldn't open temporary file %s: %s", tmp, strerror(err))
		return 4
	}
	r.out = bufio.NewWriterSize(f, bufSize)
	r.in.out, r.missing = r.out, false
	r.run()
	r.in.close()
	werr := r.out.Flush()
	f.Close()
	if werr != nil || r.in.err != nil {
		o.FS.Remove(o.Path(tmp))
		if werr != nil {
			o.Errorf("sed", "couldn't write to %s: %s", tmp, strerror(werr))
			return 4
		}
		return 0
	}
	if suffix != "" {
		backup := name + suffix
		if strings.Contains(suffix, "*") {
			backup = path.Join(dir, strings.ReplaceAll(suffix, "*", path.Base(name)))
		}
		if err := o.FS.Rename(o.Path(name), o.Path(backup)); err != nil {
			o.Errorf("sed", "cannot rename %s: %s", name, strerror(err))
			return 4
		}
	}
	if err := o.FS.Rename(o.Path(tmp), o.Path(name)); err != nil {
		o.Errorf("sed", "cannot rename %s: %s", tmp, strerror(err))
		o.FS.Remove(o.Path(tmp))
		return 4
	}
	return 0
}
