package shell

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/vlab-sim/vlab/target/vfs"
)

var cpSpec = optSpec{short: "afinprRtTuvdL", usage: "[OPTION]... SOURCE... DEST", long: map[string]string{
	"archive": "a", "force": "f", "interactive": "i", "no-clobber": "n", "preserve": "preserve::",
	"recursive": "r", "target-directory": "target:", "no-target-directory": "T", "update": "u",
	"verbose": "v", "dereference": "L", "no-dereference": "d",
}}

// copier is one cp's settings.
type copier struct {
	ctx                                        context.Context
	o                                          IO
	recursive, preserve, noClobber, verbose, u bool
	buf                                        []byte
	status                                     int
}

// cmdCp copies files, and with -r directories.
func cmdCp(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := cpSpec.parse(o, "cp", args[1:])
	if !ok {
		return st
	}
	c := &copier{ctx: ctx, o: o, buf: make([]byte, bufSize)}
	target, noTarget := "", false
	for _, op := range opts {
		switch op.key {
		case "a":
			c.recursive, c.preserve = true, true
		case "r", "R":
			c.recursive = true
		case "p":
			c.preserve = true
		case "preserve":
			c.preserve = true
		case "n":
			c.noClobber = true
		case "v":
			c.verbose = true
		case "u":
			c.u = true
		case "target":
			target = op.val
		case "T":
			noTarget = true
		}
	}
	return runTransfer(o, "cp", operands, target, noTarget, c.copyTop)
}

// runTransfer is what cp and mv share: working out each source's
// destination, as a file or inside a target directory.
func runTransfer(o IO, name string, operands []string, target string, noTarget bool, each func(src, dst string) int) int {
	if target == "" {
		switch len(operands) {
		case 0:
			return usageError(o, name, 1, "missing file operand")
		case 1:
			return usageError(o, name, 1, "missing destination file operand after %s", quoteaf(operands[0]))
		}
		target, operands = operands[len(operands)-1], operands[:len(operands)-1]
	}
	fi, err := statName(o, target)
	targetDir := err == nil && fi.IsDir() && !noTarget
	if len(operands) > 1 && !targetDir {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			o.Errorf(name, "target %s: %s", quoteaf(target), strerror(err))
		} else {
			o.Errorf(name, "target %s is not a directory", quoteaf(target))
		}
		return 1
	}
	status := 0
	for _, src := range operands {
		dst := target
		if targetDir {
			base := path.Base(strings.TrimRight(src, "/"))
			if strings.HasSuffix(target, "/") {
				dst = target + base
			} else {
				dst = target + "/" + base
			}
		}
		status = max(status, each(src, dst))
	}
	return status
}

func (c *copier) copyTop(src, dst string) int {
	c.status = 0
	c.copy(src, dst)
	return c.status
}

// copy copies src to dst, a tree with -r.
func (c *copier) copy(src, dst string) {
	o := c.o
	if c.ctx.Err() != nil {
		c.status = statusInterrupted
		return
	}
	fi, err := statName(o, src)
	if err != nil {
		o.Errorf("cp", "cannot stat %s: %s", quoteaf(src), strerror(err))
		c.status = 1
		return
	}
	sp, dp := o.Path(src), o.Path(dst)
	dfi, derr := o.FS.Stat(dp)
	if derr == nil && sp == dp {
		o.Errorf("cp", "%s and %s are the same file", quoteaf(src), quoteaf(dst))
		c.status = 1
		return
	}
	if fi.IsDir() {
		if !c.recursive {
			o.Errorf("cp", "-r not specified; omitting directory %s", quoteaf(src))
			c.status = 1
			return
		}
		if dp == sp || strings.HasPrefix(dp, strings.TrimSuffix(sp, "/")+"/") {
			o.Errorf("cp", "cannot copy a directory, %s, into itself, %s", quoteaf(src), quoteaf(dst))
			c.status = 1
			return
		}
		if derr == nil && !dfi.IsDir() {
			o.Errorf("cp", "cannot overwrite non-directory %s with directory %s", quoteaf(dst), quoteaf(src))
			c.status = 1
			return
		}
		if derr != nil {
			mode := fi.Mode().Perm() &^ 0o002
			if c.preserve {
				mode = fi.Mode().Perm()
			}
			if err := o.FS.Mkdir(dp, mode|0o700); err != nil {
				o.Errorf("cp", "cannot create directory %s: %s", quoteaf(dst), strerror(err))
				c.status = 1
				return
			}
			if c.verbose {
				fmt.Fprintf(o.Stdout, "%s -> %s\n", quoteaf(src), quoteaf(dst))
			}
		}
		ents, err := o.FS.ReadDir(sp)
		if err != nil {
			o.Errorf("cp", "cannot access %s: %s", quoteaf(src), strerror(err))
			c.status = 1
			return
		}
		for _, e := range ents {
			c.copy(strings.TrimSuffix(src, "/")+"/"+e.Name(), strings.TrimSuffix(dst, "/")+"/"+e.Name())
			if c.status > 1 {
				return
			}
		}
		if derr != nil {
			mode := fi.Mode().Perm() &^ 0o002
			if c.preserve {
				mode = fi.Mode().Perm()
			}
			o.FS.Chmod(dp, mode)
		}
		if c.preserve {
			o.FS.Chtimes(dp, fi.ModTime())
		}
		return
	}
	if derr == nil {
		if dfi.IsDir() {
			o.Errorf("cp", "cannot overwrite directory %s with non-directory", quoteaf(dst))
			c.status = 1
			return
		}
		if c.noClobber || c.u && !fi.ModTime().After(dfi.ModTime()) {
			return
		}
	}
	c.copyFile(src, dst, fi)
}

// copyFile copies a file's bytes: an existing destination keeps its mode,
// a new one gets the source's less the umask.
func (c *copier) copyFile(src, dst string, fi fs.FileInfo) {
	o := c.o
	in, err := openFile(o, src)
	if err != nil {
		o.Errorf("cp", "cannot open %s for reading: %s", quoteaf(src), strerror(err))
		c.status = 1
		return
	}
	defer in.Close()
	mode := fi.Mode().Perm() &^ 0o002
	if c.preserve {
		mode = fi.Mode().Perm()
	}
	out, err := o.FS.OpenFile(o.Path(dst), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, mode)
	if err != nil {
		o.Errorf("cp", "cannot create regular file %s: %s", quoteaf(dst), strerror(err))
		c.status = 1
		return
	}
	defer out.Close()
	rerr, werr := pump(out, ctxReader{c.ctx, in}, c.buf)
	switch {
	case werr != nil:
		o.Errorf("cp", "error writing %s: %s", quoteaf(dst), strerror(werr))
		c.status = 1
		return
	case rerr != nil && interrupted(c.ctx, rerr):
		c.status = statusInterrupted
		return
	case rerr != nil:
		o.Errorf("cp", "error reading %s: %s", quoteaf(src), strerror(rerr))
		c.status = 1
		return
	}
	if c.preserve {
		o.FS.Chmod(o.Path(dst), fi.Mode().Perm())
		o.FS.Chtimes(o.Path(dst), fi.ModTime())
	}
	if c.verbose {
		fmt.Fprintf(o.Stdout, "%s -> %s\n", quoteaf(src), quoteaf(dst))
	}
}

var mvSpec = optSpec{short: "finTt:uv", usage: "[OPTION]... SOURCE... DEST", long: map[string]string{
	"force": "f", "interactive": "i", "no-clobber": "n", "no-target-directory": "T",
	"target-directory": "t:", "update": "u", "verbose": "v",
}}

// cmdMv moves (renames) files and directories.
func cmdMv(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := mvSpec.parse(o, "mv", args[1:])
	if !ok {
		return st
	}
	noClobber, verbose, update, noTarget, target := false, false, false, false, ""
	for _, op := range opts {
		switch op.key {
		case "n":
			noClobber = true
		case "f", "i":
			noClobber = false
		case "v":
			verbose = true
		case "u":
			update = true
		case "T":
			noTarget = true
		case "t":
			target = op.val
		}
	}
	return runTransfer(o, "mv", operands, target, noTarget, func(src, dst string) int {
		fi, err := statName(o, src)
		if err != nil {
			o.Errorf("mv", "cannot stat %s: %s", quoteaf(src), strerror(err))
			return 1
		}
		sp, dp := o.Path(src), o.Path(dst)
		dfi, derr := o.FS.Stat(dp)
		if derr == nil {
			if sp == dp {
				o.Errorf("mv", "%s and %s are the same file", quoteaf(src), quoteaf(dst))
				return 1
			}
			if noClobber || update && !fi.ModTime().After(dfi.ModTime()) {
				return 0
			}
		}
		if err := o.FS.Rename(sp, dp); err != nil {
			switch {
			case errors.Is(err, syscall.EINVAL):
				o.Errorf("mv", "cannot move %s to a subdirectory of itself, %s", quoteaf(src), quoteaf(dst))
			case errors.Is(err, syscall.EISDIR):
				o.Errorf("mv", "cannot overwrite directory %s with non-directory", quoteaf(dst))
			case errors.Is(err, syscall.ENOTDIR) && derr == nil:
				o.Errorf("mv", "cannot overwrite non-directory %s with directory %s", quoteaf(dst), quoteaf(src))
			default:
				o.Errorf("mv", "cannot move %s to %s: %s", quoteaf(src), quoteaf(dst), strerror(err))
			}
			return 1
		}
		if verbose {
			fmt.Fprintf(o.Stdout, "renamed %s -> %s\n", quoteaf(src), quoteaf(dst))
		}
		return 0
	})
}
