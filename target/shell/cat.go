package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
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
