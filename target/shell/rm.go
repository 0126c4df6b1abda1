package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

var rmSpec = optSpec{short: "dfirRIv", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"dir": "d", "force": "f", "interactive": "interactive::", "recursive": "r", "verbose": "v",
	"no-preserve-root": "no-preserve-root", "preserve-root": "preserve-root::", "one-file-system": "one-file-system",
}}

// remover is one rm's settings.
type remover struct {
	o                                    IO
	force, recursive, dirs, verbose, ask bool
	answers                              *bufio.Reader
}

// cmdRm removes files, and with -r directories and all they hold; it
// refuses to remove / recursively, as GNU does.
func cmdRm(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := rmSpec.parse(o, "rm", args[1:])
	if !ok {
		return st
	}
	rm := &remover{o: o}
	preserveRoot := true
	for _, op := range opts {
		switch op.key {
		case "f":
			rm.force, rm.ask = true, false
		case "i":
			rm.ask, rm.force = true, false
		case "r", "R":
			rm.recursive = true
		case "d":
			rm.dirs = true
		case "v":
			rm.verbose = true
		case "no-preserve-root":
			preserveRoot = false
		}
	}
	if len(files) == 0 {
		if rm.force {
			return 0
		}
		return usageError(o, "rm", 1, "missing operand")
	}
	if rm.ask {
		in := newInputs(ctx, o)
		defer in.close()
		rm.answers = bufio.NewReader(in.stdinReader())
	}
	status := 0
	for _, name := range files {
		base := path.Base(strings.TrimRight(name, "/"))
		switch {
		case rm.recursive && preserveRoot && o.Path(name) == "/":
			o.Errorf("rm", "it is dangerous to operate recursively on %s", quoteaf("/"))
			o.Errorf("rm", "use --no-preserve-root to override this failsafe")
			status = 1
			continue
		case base == "." || base == "..":
			o.Errorf("rm", "refusing to remove '.' or '..' directory: skipping %s", quoteaf(name))
			status = 1
			continue
		}
		if !rm.remove(ctx, name, o.Path(name)) {
			status = 1
		}
		if ctx.Err() != nil {
			return statusInterrupted
		}
	}
	return status
}

// remove removes one file or tree; false when something stayed.
func (rm *remover) remove(ctx context.Context, name, p string) bool {
	o := rm.o
	fi, err := statName(o, name)
	if err != nil {
		if rm.force && errors.Is(err, fs.ErrNotExist) {
			return true
		}
		o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(err))
		return false
	}
	if fi.IsDir() {
		if !rm.recursive && !rm.dirs {
			o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(syscall.EISDIR))
			return false
		}
		if rm.recursive {
			if rm.ask && !rm.confirm("descend into directory", name) {
				return false
			}
			ents, err := o.FS.ReadDir(p)
			if err != nil {
				o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(err))
				return false
			}
			ok := true
			for _, e := range ents {
				if ctx.Err() != nil {
					return false
				}
				ok = rm.remove(ctx, strings.TrimSuffix(name, "/")+"/"+e.Name(), path.Join(p, e.Name())) && ok
			}
			if !ok {
				return false
			}
		}
		if rm.ask && !rm.confirm("remove directory", name) {
			return false
		}
	} else if rm.ask && !rm.confirm("remove "+fileKind(fi), name) {
		return false
	}
	if err := o.FS.Remove(p); err != nil {
		o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(err))
		return false
	}
	if rm.verbose {
		if fi.IsDir() {
			fmt.Fprintf(o.Stdout, "removed directory %s\n", quoteaf(name))
		} else {
			fmt.Fprintf(o.Stdout, "removed %s\n", quoteaf(name))
		}
	}
	return true
}

// confirm asks rm -i's question on stderr and reads the answer.
func (rm *remover) confirm(what, name string) bool {
	fmt.Fprintf(rm.o.Stderr, "rm: %s %s? ", what, quoteaf(name))
	line, _ := rm.answers.ReadString('\n')
	line = strings.TrimSpace(line)
	return strings.HasPrefix(line, "y") || strings.HasPrefix(line, "Y")
}
