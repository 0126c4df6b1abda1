package vfs

import (
	"io"
	"io/fs"
	"math"
	"os"
	"sync"
	"syscall"
)

// The open flags, as os has them.
const (
	O_RDONLY = os.O_RDONLY
	O_WRONLY = os.O_WRONLY
	O_RDWR   = os.O_RDWR
	O_APPEND = os.O_APPEND
	O_CREATE = os.O_CREATE
	O_EXCL   = os.O_EXCL
	O_TRUNC  = os.O_TRUNC
)

var errEOF = io.EOF

// Device is a character device's behaviour.
type Device interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
}

// File is an open file. Its methods are safe for concurrent use.
type File struct {
	v    *View
	n    *node
	name string
	read bool
	wr   bool
	app  bool

	mu     sync.Mutex
	off    int64
	snap   []byte // a generated file's content at open
	closed bool
}

// OpenFile opens name as os.OpenFile does.
func (v *View) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	name = clean(name)
	acc := flag & (O_RDONLY | O_WRONLY | O_RDWR)
	read, write := acc == O_RDONLY || acc == O_RDWR, acc == O_WRONLY || acc == O_RDWR
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	n, err := v.walk("open", name)
	switch {
	case err == nil && flag&O_CREATE != 0 && flag&O_EXCL != 0:
		return nil, pathErr("open", name, syscall.EEXIST)
	case err != nil && flag&O_CREATE != 0 && isNotExist(err):
		d, base, perr := v.parent("open", name)
		if perr != nil {
			return nil, perr
		}
		if base == "" || base == "." || base == ".." {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
		if !v.can(d, 3) {
			return nil, pathErr("open", name, syscall.EACCES)
		}
		n = v.fs.newNode(base, perm.Perm(), v.uid, v.gid)
		d.children[base] = n
		d.mtime = v.fs.now()
	case err != nil:
		return nil, err
	default:
		if n.mode.IsDir() && write {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
		if read && !v.can(n, 4) || write && !v.can(n, 2) {
			return nil, pathErr("open", name, syscall.EACCES)
		}
		if write && n.gen != nil {
			return nil, pathErr("open", name, syscall.EACCES)
		}
		if flag&O_TRUNC != 0 && write && n.dev == nil && !n.mode.IsDir() {
			v.fs.used -= int64(len(n.data))
			n.data = nil
			n.mtime = v.fs.now()
		}
	}
	f := &File{v: v, n: n, name: name, read: read, wr: write, app: flag&O_APPEND != 0}
	if n.gen != nil {
		gen := n.gen
		// The generator reads other state (a stack): call it without the
		// filesystem's lock held.
		v.fs.mu.Unlock()
		f.snap = gen()
		v.fs.mu.Lock()
	}
	return f, nil
}

func isNotExist(err error) bool {
	pe, ok := err.(*fs.PathError)
	return ok && pe.Err == syscall.ENOENT
}

// Name is the path the file was opened with.
func (f *File) Name() string { return f.name }

// Read reads from the file's offset.
func (f *File) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n.dev != nil && !f.closed && f.read {
		return f.n.dev.Read(p)
	}
	n, err := f.readAt(p, f.off)
	f.off += int64(n)
	if n > 0 && err == io.EOF {
		err = nil // a short read, not yet the end
	}
	return n, err
}

// ReadAt reads len(p) bytes from offset off, leaving the file's offset
// alone, as pread(2) does: what an SFTP server's concurrent reads need. Less
// than len(p) comes with io.EOF.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off < 0 {
		return 0, pathErr("read", f.name, syscall.EINVAL)
	}
	if f.n.dev != nil && !f.closed && f.read {
		return 0, pathErr("read", f.name, syscall.ESPIPE)
	}
	return f.readAt(p, off)
}

// readAt copies the file's data from off; f.mu is held.
func (f *File) readAt(p []byte, off int64) (int, error) {
	if f.closed || !f.read {
		return 0, pathErr("read", f.name, syscall.EBADF)
	}
	if f.n.mode.IsDir() {
		return 0, pathErr("read", f.name, syscall.EISDIR)
	}
	data := f.snap
	if f.n.gen == nil {
		f.v.fs.mu.RLock()
		defer f.v.fs.mu.RUnlock()
		data = f.n.data
	}
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(p, data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write writes at the file's offset (at its end with O_APPEND). A write the
// cap cannot hold writes what fits and fails with ENOSPC, as a full disk
// does.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || !f.wr {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	if f.n.dev != nil {
		return f.n.dev.Write(p)
	}
	f.v.fs.mu.Lock()
	defer f.v.fs.mu.Unlock()
	if f.app {
		f.off = int64(len(f.n.data))
	}
	n, err := f.writeAt(p, f.off)
	f.off += int64(n)
	return n, err
}

// WriteAt writes p at offset off, leaving the file's offset alone, as
// pwrite(2) does; past the end it leaves a hole of zeros. The cap applies
// as for Write. A file opened with O_APPEND refuses it, as os.File does.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.closed || !f.wr:
		return 0, pathErr("write", f.name, syscall.EBADF)
	case off < 0 || f.app:
		return 0, pathErr("write", f.name, syscall.EINVAL)
	case f.n.dev != nil:
		return 0, pathErr("write", f.name, syscall.ESPIPE)
	}
	f.v.fs.mu.Lock()
	defer f.v.fs.mu.Unlock()
	return f.writeAt(p, off)
}

// writeAt writes p at off within the cap; f.mu and the filesystem's lock
// are held.
func (f *File) writeAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	fsys, n := f.v.fs, f.n
	size := int64(len(n.data))
	// off comes from the client (an SFTP write at 0x7ffffffffffffff0):
	// off+len(p) must not overflow, or a negative end skips the cap and
	// the copy below panics. Past the largest file size Linux says EFBIG.
	if off < 0 {
		return 0, pathErr("write", f.name, syscall.EINVAL)
	}
	if off > math.MaxInt64-int64(len(p)) {
		return 0, pathErr("write", f.name, syscall.EFBIG)
	}
	end := off + int64(len(p))
	var err error
	// grow is compared with the room left, not added to used, so that a
	// huge grow cannot overflow the sum.
	if grow := end - size; grow > 0 && grow > fsys.limit-fsys.used {
		room := max(fsys.limit-fsys.used, 0)
		keep := size + room - off
		if keep <= 0 {
			// Not even the hole before off fits.
			return 0, pathErr("write", f.name, syscall.ENOSPC)
		}
		p = p[:min(int64(len(p)), keep)]
		end = off + int64(len(p))
		err = pathErr("write", f.name, syscall.ENOSPC)
	}
	if end > size {
		if int64(cap(n.data)) >= end {
			n.data = n.data[:end]
		} else {
			nd := make([]byte, end, end+end/4)
			copy(nd, n.data)
			n.data = nd
		}
		if off > size {
			clear(n.data[size:off]) // a hole reads as zeros
		}
		fsys.used += end - size
	}
	copy(n.data[off:], p)
	n.mtime = fsys.now()
	return len(p), err
}

// Stat describes the open file.
func (f *File) Stat() (fs.FileInfo, error) {
	f.v.fs.mu.RLock()
	defer f.v.fs.mu.RUnlock()
	return f.n.info(), nil
}

// Close closes the file; closing twice fails.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, syscall.EBADF)
	}
	f.closed = true
	return nil
}
