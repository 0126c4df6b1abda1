package shell

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/vlab-sim/vlab/target/vfs"
)

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
