package shell

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
)

var mkdirSpec = optSpec{short: "m:pvZ", usage: "[OPTION]... DIRECTORY...", long: map[string]string{
	"mode": "m:", "parents": "p", "verbose": "v",
}}

// cmdMkdir makes directories; -p makes their parents too and accepts
// those that exist.
func cmdMkdir(ctx context.Context, o IO, args []string) int {
	opts, dirs, st, ok := mkdirSpec.parse(o, "mkdir", args[1:])
	if !ok {
		return st
	}
	parents, verbose := false, false
	mode := fs.FileMode(dirMode)
	for _, op := range opts {
		switch op.key {
		case "p":
			parents = true
		case "v":
			verbose = true
		case "m":
			m, err := strconv.ParseUint(op.val, 8, 32)
			if err != nil || m > 0o7777 {
				o.Errorf("mkdir", "invalid mode %s", quote(op.val))
				return 1
			}
			mode = fs.FileMode(m & 0o777)
			if m&0o1000 != 0 {
				mode |= fs.ModeSticky
			}
		}
	}
	if len(dirs) == 0 {
		return usageError(o, "mkdir", 1, "missing operand")
	}
	status := 0
	for _, name := range dirs {
		if !parents {
			if err := o.FS.Mkdir(o.Path(name), mode); err != nil {
				o.Errorf("mkdir", "cannot create directory %s: %s", quote(name), strerror(err))
				status = 1
			} else if verbose {
				fmt.Fprintf(o.Stdout, "mkdir: created directory %s\n", quoteaf(name))
			}
			continue
		}
		// Each missing step, named as the operand names it.
		prefix := ""
		if strings.HasPrefix(name, "/") {
			prefix = "/"
		}
		parts := strings.Split(strings.Trim(name, "/"), "/")
		for i, part := range parts {
			if part == "" {
				continue
			}
			step := prefix + strings.Join(parts[:i+1], "/")
			m := fs.FileMode(dirMode)
			if i == len(parts)-1 {
				m = mode
			}
			fi, err := o.FS.Stat(o.Path(step))
			if err == nil {
				if !fi.IsDir() {
					o.Errorf("mkdir", "cannot create directory %s: %s", quote(step), strerror(syscall.ENOTDIR))
					status = 1
					break
				}
				continue
			}
			if err := o.FS.Mkdir(o.Path(step), m); err != nil && !errors.Is(err, fs.ErrExist) {
				o.Errorf("mkdir", "cannot create directory %s: %s", quote(step), strerror(err))
				status = 1
				break
			}
			if verbose {
				fmt.Fprintf(o.Stdout, "mkdir: created directory %s\n", quoteaf(step))
			}
		}
	}
	return status
}
