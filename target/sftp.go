package target

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/pkg/sftp"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/target/vfs"
)

// The file type bits and the sticky bit of st_mode, as SFTP's attributes
// carry it whatever the server's own system.
const sIFMT, sISVTX = 0o170000, 0o1000

// sftpUmask is sshd's, which its sftp-server inherits: uploads and new
// directories come out 0644 and 0755, where the login shell's umask
// (0002) would give 0664.
const sftpUmask = 0o022

// serveSFTP runs an SFTP server over rw until the client ends it: the
// instance's files as user u sees them, relative paths from u's home, as
// sshd's sftp-server serves them.
func serveSFTP(rw io.ReadWriter, v *vfs.View, u shell.User) error {
	h := &sftpFS{v: v, user: u}
	srv := sftp.NewRequestServer(noClose{rw}, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h},
		sftp.WithStartDirectory(u.Home))
	err := srv.Serve()
	if err == io.EOF {
		return nil
	}
	return err
}

// noClose keeps the server from closing the session's channel: the session
// sends its exit status first, as sshd does once sftp-server exits.
type noClose struct{ io.ReadWriter }

func (noClose) Close() error { return nil }

// sftpFS is pkg/sftp's request handlers over a view of the instance's
// files. Paths arrive absolute and clean.
type sftpFS struct {
	v    *vfs.View
	user shell.User
}

// Fileread opens a file for SSH_FXP_READ: the server's workers read it at
// their own offsets at once.
func (h *sftpFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, err := h.v.OpenFile(r.Filepath, vfs.O_RDONLY, 0)
	if err != nil {
		return nil, sftpErr(err)
	}
	return sftpFile{File: f}, nil
}

// Filewrite opens a file for SSH_FXP_WRITE.
func (h *sftpFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return h.open(r)
}

// OpenFile opens a file for both reading and writing.
func (h *sftpFS) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return h.open(r)
}

func (h *sftpFS) open(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	pf := r.Pflags()
	flag := vfs.O_WRONLY
	if pf.Read {
		flag = vfs.O_RDWR
	}
	if pf.Creat {
		flag |= vfs.O_CREATE
	}
	if pf.Trunc {
		flag |= vfs.O_TRUNC
	}
	if pf.Excl {
		flag |= vfs.O_EXCL
	}
	if pf.Append {
		flag |= vfs.O_APPEND
	}
	f, err := h.v.OpenFile(r.Filepath, flag, openPerm(r.Attrs)&^sftpUmask)
	if err != nil {
		return nil, sftpErr(err)
	}
	return sftpFile{File: f, app: pf.Append}, nil
}

// openPerm is the mode an open request asks a new file to have. pkg/sftp
// keeps the request's attributes but drops their flags word, so the
// permissions are known only when they are all there is: what OpenSSH's
// sftp and scp send (SSH2_FILEXFER_ATTR_PERMISSIONS, with the times after
// them under -p). Otherwise 0666, as sftp-server has it.
func openPerm(attrs []byte) fs.FileMode {
	if len(attrs) != 4 && len(attrs) != 12 {
		return 0o666
	}
	m := binary.BigEndian.Uint32(attrs)
	if m&^(sIFMT|0o7777) != 0 || m&0o777 == 0 {
		return 0o666
	}
	return fs.FileMode(m & 0o777)
}

// sftpFile is an open file as a handle: SSH_FXP_WRITE on a file opened
// with SSH_FXF_APPEND appends, as sftp-server's O_APPEND write does,
// wherever the client said.
type sftpFile struct {
	*vfs.File
	app bool
}

func (f sftpFile) WriteAt(p []byte, off int64) (int, error) {
	if f.app {
		n, err := f.File.Write(p)
		return n, sftpErr(err)
	}
	n, err := f.File.WriteAt(p, off)
	return n, sftpErr(err)
}

func (f sftpFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	if err == io.EOF {
		return n, err
	}
	return n, sftpErr(err)
}

// Filecmd changes the files: setstat, rename, remove, mkdir, rmdir.
func (h *sftpFS) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return h.setstat(r)
	case "Rename":
		// SFTP version 3's rename refuses to replace, as sftp-server's
		// link(2) does; OpenSSH's clients use posix-rename instead.
		if _, err := h.v.Stat(r.Target); err == nil {
			return sftpErr(&fs.PathError{Op: "rename", Path: r.Target, Err: syscall.EEXIST})
		}
		return sftpErr(h.v.Rename(r.Filepath, r.Target))
	case "Rmdir":
		fi, err := h.v.Stat(r.Filepath)
		if err == nil && !fi.IsDir() {
			err = &fs.PathError{Op: "rmdir", Path: r.Filepath, Err: syscall.ENOTDIR}
		}
		if err != nil {
			return sftpErr(err)
		}
		return sftpErr(h.v.Remove(r.Filepath))
	case "Remove":
		fi, err := h.v.Stat(r.Filepath)
		if err == nil && fi.IsDir() {
			err = &fs.PathError{Op: "unlink", Path: r.Filepath, Err: syscall.EISDIR}
		}
		if err != nil {
			return sftpErr(err)
		}
		return sftpErr(h.v.Remove(r.Filepath))
	case "Mkdir":
		// pkg/sftp drops mkdir's attributes: sftp-server's default mode.
		return sftpErr(h.v.Mkdir(r.Filepath, 0o777&^sftpUmask))
	}
	// Link and Symlink: the instance's filesystem has no links.
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename replaces the target, as rename(2) does.
func (h *sftpFS) PosixRename(r *sftp.Request) error {
	return sftpErr(h.v.Rename(r.Filepath, r.Target))
}

// setstat applies what sftp's chmod and scp -p send: permissions and
// times; ownership only root may change. A size change is refused: the
// filesystem has no truncate below O_TRUNC.
func (h *sftpFS) setstat(r *sftp.Request) error {
	flags, a := r.AttrFlags(), r.Attributes()
	if flags.Size {
		fi, err := h.v.Stat(r.Filepath)
		if err != nil {
			return sftpErr(err)
		}
		if fi.Size() != int64(a.Size) {
			return sftp.ErrSSHFxOpUnsupported
		}
	}
	if flags.Permissions {
		mode := fs.FileMode(a.Mode & 0o777)
		if a.Mode&sISVTX != 0 {
			mode |= fs.ModeSticky
		}
		if err := h.v.Chmod(r.Filepath, mode); err != nil {
			return sftpErr(err)
		}
	}
	if flags.Acmodtime {
		if err := h.v.Chtimes(r.Filepath, time.Unix(int64(a.Mtime), 0)); err != nil {
			return sftpErr(err)
		}
	}
	if flags.UidGid {
		if err := h.v.Chown(r.Filepath, int(a.UID), int(a.GID)); err != nil {
			return sftpErr(err)
		}
	}
	return nil
}

// StatVFS answers df in sftp: the instance's disk cap and what is left.
func (h *sftpFS) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	if _, err := h.v.Stat(r.Filepath); err != nil {
		return nil, sftpErr(err)
	}
	const block = 4096
	fsys := h.v.FS()
	free := uint64(max(fsys.Limit()-fsys.Used(), 0)) / block
	return &sftp.StatVFS{
		Bsize: block, Frsize: block, Blocks: uint64(fsys.Limit()) / block, Bfree: free, Bavail: free,
		Files: 65536, Ffree: 65536, Favail: 65536, Namemax: 255,
	}, nil
}

// Filelist lists a directory or describes one file.
func (h *sftpFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		ents, err := h.v.ReadDir(r.Filepath)
		if err != nil {
			return nil, sftpErr(err)
		}
		out := make(lister, 0, len(ents))
		for _, e := range ents {
			fi, err := e.Info()
			if err != nil {
				return nil, sftpErr(err)
			}
			out = append(out, sftpInfo{fi})
		}
		return out, nil
	case "Stat":
		return h.stat(r.Filepath)
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// Lstat is Stat: the filesystem has no symbolic links.
func (h *sftpFS) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return h.stat(r.Filepath)
}

func (h *sftpFS) stat(name string) (sftp.ListerAt, error) {
	fi, err := h.v.Stat(name)
	if err != nil {
		return nil, sftpErr(err)
	}
	return lister{sftpInfo{fi}}, nil
}

// Readlink fails as readlink(2) does on a file that is not a link.
func (h *sftpFS) Readlink(name string) (string, error) {
	if _, err := h.v.Stat(name); err != nil {
		return "", sftpErr(err)
	}
	return "", sftpErr(&fs.PathError{Op: "readlink", Path: name, Err: syscall.EINVAL})
}

// LookupUserName and LookupGroupName name the owners in ls -l's lines, as
// /etc/passwd and /etc/group of the image do: root and the login user,
// whose group has its name.
func (h *sftpFS) LookupUserName(uid string) string  { return h.accountName(uid) }
func (h *sftpFS) LookupGroupName(gid string) string { return h.accountName(gid) }

func (h *sftpFS) accountName(id string) string {
	switch id {
	case "0":
		return shell.Root.Name
	case strconv.Itoa(h.user.UID):
		return h.user.Name
	}
	return id
}

// sftpInfo gives pkg/sftp a file's owner, which it cannot find in a
// *vfs.Owner.
type sftpInfo struct{ fs.FileInfo }

func (i sftpInfo) Uid() uint32 { return uint32(i.owner().UID) }
func (i sftpInfo) Gid() uint32 { return uint32(i.owner().GID) }

func (i sftpInfo) owner() vfs.Owner {
	if o, ok := i.Sys().(*vfs.Owner); ok && o != nil {
		return *o
	}
	return vfs.Owner{}
}

type lister []os.FileInfo

func (l lister) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// sftpErr gives a filesystem error the status sftp-server's
// errno_to_portable gives its errno, so that OpenSSH's clients print "No
// such file or directory" for a missing directory on the way as well; the
// error's own text stays for clients that show it.
func sftpErr(err error) error {
	var no syscall.Errno
	if err == nil || !errors.As(err, &no) {
		return err
	}
	code := sftp.ErrSSHFxFailure
	switch no {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.EBADF:
		code = sftp.ErrSSHFxNoSuchFile
	case syscall.EPERM, syscall.EACCES:
		code = sftp.ErrSSHFxPermissionDenied
	case syscall.ENAMETOOLONG, syscall.EINVAL:
		code = sftp.ErrSSHFxBadMessage
	}
	return statusError{err, code}
}

// statusError is err sent with code: pkg/sftp finds the code by
// errors.As.
type statusError struct {
	err  error
	code error
}

func (e statusError) Error() string { return e.err.Error() }
func (e statusError) Unwrap() error { return e.code }
