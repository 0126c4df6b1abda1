package shell

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"syscall"
)

var rmdirSpec = optSpec{short: "pv", usage: "[OPTION]... DIRECTORY...", long: map[string]string{
	"parents": "p", "verbose": "v", "ignore-fail-on-non-empty": "ignore",
}}

// cmdRmdir removes empty directories.
func cmdRmdir(ctx context.Context, o IO, args []string) int {
	opts, dirs, st, ok := rmdirSpec.parse(o, "rmdir", args[1:])
	if !ok {
		return st
	}
	parents, verbose, ignore := false, false, false
	for _, op := range opts {
		switch op.key {
		case "p":
			parents = true
		case "v":
			verbose = true
		case "ignore":
			ignore = true
		}
	}
	if len(dirs) == 0 {
		return usageError(o, "rmdir", 1, "missing operand")
	}
	status := 0
	rmdir := func(name string) bool {
		fi, err := statName(o, name)
		if err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
		if err == nil {
			err = o.FS.Remove(o.Path(name))
		}
		if err != nil {
			if !(ignore && errors.Is(err, syscall.ENOTEMPTY)) {
				o.Errorf("rmdir", "failed to remove %s: %s", quoteaf(name), strerror(err))
				status = 1
			}
			return false
		}
		if verbose {
			fmt.Fprintf(o.Stdout, "rmdir: removing directory, %s\n", quoteaf(name))
		}
		return true
	}
	for _, name := range dirs {
		if !rmdir(name) || !parents {
			continue
		}
		for p := path.Dir(strings.TrimRight(name, "/")); p != "." && p != "/"; p = path.Dir(p) {
			if !rmdir(p) {
				break
			}
		}
	}
	return status
}
