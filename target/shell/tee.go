package shell

import (
	"context"
	"errors"
	"io"
	"syscall"

	"github.com/vlab-sim/vlab/target/vfs"
)

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
