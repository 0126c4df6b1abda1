package vfs

import (
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultLimit is the bytes of file data an instance may hold: a lab's
// instances live in the host's memory, so their disks are small.
const DefaultLimit = 256 << 20

// FS is one instance's filesystem. It is safe for concurrent use: sessions
// and pipeline stages share it.
type FS struct {
	mu    sync.RWMutex
	root  *node
	used  int64 // bytes of regular files' data
	limit int64
	now   func() time.Time
	ino   uint64
}

// node is a file, directory, device or generated file.
//
// Invariant: a directory has children and nothing else; a regular file has
// data; a generated file has gen; a device has dev.
type node struct {
	name     string
	mode     fs.FileMode
	uid, gid int
	mtime    time.Time
	ino      uint64
	data     []byte
	children map[string]*node
	gen      func() []byte
	dev      Device
}

// New returns a filesystem holding only a root directory, capped at limit
// bytes of file data (DefaultLimit when limit is 0); now dates changes (the
// lab clock).
func New(limit int64, now func() time.Time) *FS {
	if limit <= 0 {
		limit = DefaultLimit
	}
	f := &FS{limit: limit, now: now}
	f.root = f.newNode("/", fs.ModeDir|0o755, 0, 0)
	return f
}

func (f *FS) newNode(name string, mode fs.FileMode, uid, gid int) *node {
	f.ino++
	n := &node{name: name, mode: mode, uid: uid, gid: gid, mtime: f.now(), ino: f.ino}
	if mode.IsDir() {
		n.children = map[string]*node{}
	}
	return n
}

// Used and Limit report the bytes of file data held and allowed.
func (f *FS) Used() int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.used
}

func (f *FS) Limit() int64 { return f.limit }

// Root is the filesystem seen by root (uid 0), which every check admits:
// what an image's layout is built with.
func (f *FS) Root() *View { return &View{fs: f} }

// As is the filesystem seen by a user.
func (f *FS) As(uid, gid int) *View { return &View{fs: f, uid: uid, gid: gid} }

// View is the filesystem as one user sees it: every operation checks that
// user's permissions. Paths are absolute; Abs makes them so.
type View struct {
	fs       *FS
	uid, gid int
}

// UID is the view's user.
func (v *View) UID() int { return v.uid }

// FS is the filesystem the view looks at.
func (v *View) FS() *FS { return v.fs }

// Abs resolves name against the directory dir, as a process whose working
// directory is dir would.
func Abs(dir, name string) string {
	if strings.HasPrefix(name, "/") {
		return path.Clean(name)
	}
	return path.Join(dir, name)
}

// can reports whether the view's user has the permission bits want (4
// read, 2 write, 1 execute/search) on n.
func (v *View) can(n *node, want fs.FileMode) bool {
	if v.uid == 0 {
		return true
	}
	perm := n.mode.Perm()
	switch {
	case v.uid == n.uid:
		perm >>= 6
	case v.gid == n.gid:
		perm >>= 3
	}
	return perm&want == want
}

// walk finds the node at p (absolute, clean), checking search permission on
// every directory on the way; f.mu is held.
func (v *View) walk(op, p string) (*node, error) {
	n := v.fs.root
	if p == "/" {
		return n, nil
	}
	for _, part := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if !n.mode.IsDir() {
			return nil, pathErr(op, p, syscall.ENOTDIR)
		}
		if !v.can(n, 1) {
			return nil, pathErr(op, p, syscall.EACCES)
		}
		c, ok := n.children[part]
		if !ok {
			return nil, pathErr(op, p, syscall.ENOENT)
		}
		n = c
	}
	return n, nil
}

// parent finds the directory that holds p and p's last element; f.mu is
// held.
func (v *View) parent(op, p string) (*node, string, error) {
	if p == "/" {
		return nil, "", pathErr(op, p, syscall.EBUSY)
	}
	dir, base := path.Split(p)
	d, err := v.walk(op, path.Clean(dir))
	if err != nil {
		return nil, "", err
	}
	if !d.mode.IsDir() {
		return nil, "", pathErr(op, p, syscall.ENOTDIR)
	}
	if len(base) > 255 {
		return nil, "", pathErr(op, p, syscall.ENAMETOOLONG)
	}
	return d, base, nil
}

func clean(p string) string { return path.Clean("/" + p) }

// Stat describes the file at name.
func (v *View) Stat(name string) (fs.FileInfo, error) {
	name = clean(name)
	v.fs.mu.RLock()
	defer v.fs.mu.RUnlock()
	n, err := v.walk("stat", name)
	if err != nil {
		return nil, err
	}
	return n.info(), nil
}

// ReadDir lists the directory at name, sorted by name.
func (v *View) ReadDir(name string) ([]fs.DirEntry, error) {
	name = clean(name)
	v.fs.mu.RLock()
	defer v.fs.mu.RUnlock()
	n, err := v.walk("open", name)
	if err != nil {
		return nil, err
	}
	if !n.mode.IsDir() {
		return nil, pathErr("readdirent", name, syscall.ENOTDIR)
	}
	if !v.can(n, 4) {
		return nil, pathErr("open", name, syscall.EACCES)
	}
	out := make([]fs.DirEntry, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, fs.FileInfoToDirEntry(c.info()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Mkdir makes the directory name.
func (v *View) Mkdir(name string, perm fs.FileMode) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	return v.mkdir(name, perm)
}

func (v *View) mkdir(name string, perm fs.FileMode) error {
	d, base, err := v.parent("mkdir", name)
	if err != nil {
		return err
	}
	if _, ok := d.children[base]; ok {
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	if !v.can(d, 3) {
		return pathErr("mkdir", name, syscall.EACCES)
	}
	d.children[base] = v.fs.newNode(base, fs.ModeDir|perm.Perm()|perm&fs.ModeSticky, v.uid, v.gid)
	d.mtime = v.fs.now()
	return nil
}

// MkdirAll makes name and every missing directory above it.
func (v *View) MkdirAll(name string, perm fs.FileMode) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	p := ""
	for _, part := range strings.Split(strings.TrimPrefix(name, "/"), "/") {
		if part == "" {
			continue
		}
		p += "/" + part
		n, err := v.walk("mkdir", p)
		if err == nil {
			if !n.mode.IsDir() {
				return pathErr("mkdir", p, syscall.ENOTDIR)
			}
			continue
		}
		if err := v.mkdir(p, perm); err != nil {
			return err
		}
	}
	return nil
}

// Remove removes the file or empty directory name.
func (v *View) Remove(name string) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	d, base, err := v.parent("remove", name)
	if err != nil {
		return err
	}
	n, ok := d.children[base]
	if !ok {
		return pathErr("remove", name, syscall.ENOENT)
	}
	if n.mode.IsDir() && len(n.children) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	if !v.can(d, 3) || !v.stickyAllows(d, n) {
		return pathErr("remove", name, syscall.EACCES)
	}
	delete(d.children, base)
	v.fs.free(n)
	d.mtime = v.fs.now()
	return nil
}

// stickyAllows applies a sticky directory's rule (/tmp): only a file's
// owner, the directory's or root removes or renames it.
func (v *View) stickyAllows(d, n *node) bool {
	return d.mode&fs.ModeSticky == 0 || v.uid == 0 || v.uid == n.uid || v.uid == d.uid
}

// RemoveAll removes name and everything under it.
func (v *View) RemoveAll(name string) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	d, base, err := v.parent("unlinkat", name)
	if err != nil {
		return err
	}
	n, ok := d.children[base]
	if !ok {
		return nil
	}
	if !v.can(d, 3) || !v.stickyAllows(d, n) {
		return pathErr("unlinkat", name, syscall.EACCES)
	}
	if n.mode.IsDir() && !v.canEmpty(n) {
		return pathErr("unlinkat", name, syscall.EACCES)
	}
	delete(d.children, base)
	v.fs.free(n)
	d.mtime = v.fs.now()
	return nil
}

// canEmpty reports whether the user may remove everything under dir.
func (v *View) canEmpty(dir *node) bool {
	if len(dir.children) == 0 {
		return true
	}
	if !v.can(dir, 3) {
		return false
	}
	for _, c := range dir.children {
		if c.mode.IsDir() && !v.canEmpty(c) {
			return false
		}
	}
	return true
}

// free returns n's data, and its children's, to the cap; f.mu is held.
func (f *FS) free(n *node) {
	f.used -= int64(len(n.data))
	for _, c := range n.children {
		f.free(c)
	}
}

// Rename moves oldname to newname, replacing a file there.
func (v *View) Rename(oldname, newname string) error {
	oldname, newname = clean(oldname), clean(newname)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	od, ob, err := v.parent("rename", oldname)
	if err != nil {
		return err
	}
	n, ok := od.children[ob]
	if !ok {
		return pathErr("rename", oldname, syscall.ENOENT)
	}
	if n.mode.IsDir() && (newname == oldname || strings.HasPrefix(newname, oldname+"/")) {
		return pathErr("rename", newname, syscall.EINVAL)
	}
	nd, nb, err := v.parent("rename", newname)
	if err != nil {
		return err
	}
	if !v.can(od, 3) || !v.can(nd, 3) || !v.stickyAllows(od, n) {
		return pathErr("rename", oldname, syscall.EACCES)
	}
	if old, ok := nd.children[nb]; ok {
		switch {
		case old == n:
			return nil
		case old.mode.IsDir() && !n.mode.IsDir():
			return pathErr("rename", newname, syscall.EISDIR)
		case !old.mode.IsDir() && n.mode.IsDir():
			return pathErr("rename", newname, syscall.ENOTDIR)
		case old.mode.IsDir() && len(old.children) > 0:
			return pathErr("rename", newname, syscall.ENOTEMPTY)
		case !v.stickyAllows(nd, old):
			// Replacing unlinks old: a sticky directory (/tmp) protects
			// it as Remove does; Linux says EPERM.
			return pathErr("rename", newname, syscall.EPERM)
		}
		v.fs.free(old)
	}
	delete(od.children, ob)
	n.name = nb
	nd.children[nb] = n
	now := v.fs.now()
	od.mtime, nd.mtime = now, now
	return nil
}

// Chtimes sets name's modification time.
func (v *View) Chtimes(name string, t time.Time) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	n, err := v.walk("utimensat", name)
	if err != nil {
		return err
	}
	if v.uid != 0 && v.uid != n.uid && !v.can(n, 2) {
		return pathErr("utimensat", name, syscall.EACCES)
	}
	n.mtime = t
	return nil
}

// Chown sets name's owner (root only, as chown(2) has it).
func (v *View) Chown(name string, uid, gid int) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	n, err := v.walk("chown", name)
	if err != nil {
		return err
	}
	if v.uid != 0 {
		return pathErr("chown", name, syscall.EPERM)
	}
	n.uid, n.gid = uid, gid
	return nil
}

// Chmod sets name's permission bits (its owner or root).
func (v *View) Chmod(name string, mode fs.FileMode) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	n, err := v.walk("chmod", name)
	if err != nil {
		return err
	}
	if v.uid != 0 && v.uid != n.uid {
		return pathErr("chmod", name, syscall.EPERM)
	}
	n.mode = n.mode&^(fs.ModePerm|fs.ModeSticky) | mode&(fs.ModePerm|fs.ModeSticky)
	return nil
}

// WriteFile writes data to name, creating or truncating it.
func (v *View) WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := v.OpenFile(name, O_WRONLY|O_CREATE|O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadFile returns name's whole content.
func (v *View) ReadFile(name string) ([]byte, error) {
	f, err := v.OpenFile(name, O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		out = append(out, buf[:n]...)
		// A device (/dev/zero) never ends: stop at the filesystem's cap,
		// which no regular file can exceed, rather than grow forever.
		if int64(len(out)) > v.fs.limit {
			return nil, pathErr("read", name, syscall.EFBIG)
		}
		if err != nil {
			if err == errEOF {
				return out, nil
			}
			return out, err
		}
	}
}

// AddGenerated places a read-only file at name whose content gen makes
// each time it is opened (/proc/net/tcp from the instance's stack).
func (v *View) AddGenerated(name string, perm fs.FileMode, gen func() []byte) error {
	return v.add(name, perm, func(n *node) { n.gen = gen })
}

// AddDevice places a character device at name.
func (v *View) AddDevice(name string, perm fs.FileMode, d Device) error {
	return v.add(name, fs.ModeDevice|fs.ModeCharDevice|perm, func(n *node) { n.dev = d })
}

func (v *View) add(name string, mode fs.FileMode, set func(*node)) error {
	name = clean(name)
	v.fs.mu.Lock()
	defer v.fs.mu.Unlock()
	d, base, err := v.parent("open", name)
	if err != nil {
		return err
	}
	if !v.can(d, 3) {
		return pathErr("open", name, syscall.EACCES)
	}
	n := v.fs.newNode(base, mode, v.uid, v.gid)
	set(n)
	d.children[base] = n
	return nil
}

// info is a node's fs.FileInfo.
func (n *node) info() fs.FileInfo {
	size := int64(len(n.data))
	if n.mode.IsDir() {
		size = 4096
	}
	return fileInfo{name: n.name, size: size, mode: n.mode, mtime: n.mtime, uid: n.uid, gid: n.gid, nlink: n.nlink(), ino: n.ino}
}

func (n *node) nlink() int {
	if !n.mode.IsDir() {
		return 1
	}
	links := 2
	for _, c := range n.children {
		if c.mode.IsDir() {
			links++
		}
	}
	return links
}

// fileInfo describes a node; Sys returns the owner as a *Owner.
type fileInfo struct {
	name     string
	size     int64
	mode     fs.FileMode
	mtime    time.Time
	uid, gid int
	nlink    int
	ino      uint64
}

// Owner is what a FileInfo's Sys holds: the file's owner, link count and
// inode number, which ls -l and stat print.
type Owner struct {
	UID, GID int
	Nlink    int
	Ino      uint64
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return i.mtime }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return &Owner{UID: i.uid, GID: i.gid, Nlink: i.nlink, Ino: i.ino} }

// Access checks the user's permission bits mode (4 read, 2 write, 1
// execute) on name, as access(2) does.
func (v *View) Access(name string, mode int) error {
	name = clean(name)
	v.fs.mu.RLock()
	defer v.fs.mu.RUnlock()
	n, err := v.walk("access", name)
	if err != nil {
		return err
	}
	if !v.can(n, fs.FileMode(mode)) {
		return pathErr("access", name, syscall.EACCES)
	}
	return nil
}
