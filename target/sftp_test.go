package target

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/target/vfs"
)

var sftpT0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// instanceFS is the part of an instance's layout the tests touch: root's
// /etc and /root, ec2-user's private home, a sticky /tmp.
func instanceFS(t *testing.T, limit int64) *vfs.FS {
	t.Helper()
	fsys := vfs.New(limit, func() time.Time { return sftpT0 })
	root := fsys.Root()
	require.NoError(t, root.MkdirAll("/home/ec2-user", 0o755))
	require.NoError(t, root.Chown("/home/ec2-user", 1000, 1000))
	require.NoError(t, root.Chmod("/home/ec2-user", 0o700))
	require.NoError(t, root.Mkdir("/etc", 0o755))
	require.NoError(t, root.WriteFile("/etc/hosts", []byte("127.0.0.1 localhost\n"), 0o644))
	require.NoError(t, root.Mkdir("/root", 0o550))
	require.NoError(t, root.Mkdir("/tmp", fs.ModeSticky|0o777))
	return fsys
}

// sftpClient connects pkg/sftp's client to the instance's SFTP server, as
// ec2-user, over in-memory pipes; the server must end cleanly when the
// client closes.
func sftpClient(t *testing.T, fsys *vfs.FS) *sftp.Client {
	t.Helper()
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveSFTP(struct {
			io.Reader
			io.Writer
		}{toServer, fromServer}, fsys.As(1000, 1000), shell.EC2User)
		fromServer.Close()
	}()
	cl, err := sftp.NewClientPipe(toClient, fromClient)
	require.NoError(t, err)
	t.Cleanup(func() {
		cl.Close()
		select {
		case err := <-done:
			assert.NoError(t, err, "the server ends at the client's EOF")
		case <-time.After(10 * time.Second):
			t.Error("the SFTP server did not end after the client closed")
		}
	})
	return cl
}

func fxCode(err error) error {
	var se *sftp.StatusError
	if errors.As(err, &se) {
		return se.FxCode()
	}
	return err
}

// A file goes up and comes back whole through the client's concurrent
// writes and reads; relative paths are the home directory's, and the
// owner and mode are what sftp-server would give.
func TestSFTPPutGetList(t *testing.T) {
	fsys := instanceFS(t, 0)
	cl := sftpClient(t, fsys)
	wd, err := cl.Getwd()
	require.NoError(t, err)
	assert.Equal(t, "/home/ec2-user", wd, "realpath . is the home directory")

	data := make([]byte, 3<<20+12345)
	_, err = rand.Read(data)
	require.NoError(t, err)
	w, err := cl.Create("up.bin")
	require.NoError(t, err)
	n, err := w.ReadFrom(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	require.NoError(t, w.Close())

	onDisk, err := fsys.Root().ReadFile("/home/ec2-user/up.bin")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk), "the instance holds what was put")

	r, err := cl.Open("/home/ec2-user/up.bin")
	require.NoError(t, err)
	var back bytes.Buffer
	_, err = r.WriteTo(&back)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.True(t, bytes.Equal(data, back.Bytes()), "what comes back is what went up")

	fi, err := cl.Stat("up.bin")
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), fi.Mode(), "0666 less sshd's umask")
	assert.Equal(t, int64(len(data)), fi.Size())
	st := fi.Sys().(*sftp.FileStat)
	assert.Equal(t, uint32(1000), st.UID)
	assert.Equal(t, uint32(1000), st.GID)
	assert.Equal(t, sftpT0.Unix(), int64(st.Mtime), "dated by the lab clock")

	ents, err := cl.ReadDir("/etc")
	require.NoError(t, err)
	require.Len(t, ents, 1)
	assert.Equal(t, "hosts", ents[0].Name())
	assert.Equal(t, uint32(0), ents[0].Sys().(*sftp.FileStat).UID)

	_, err = cl.Stat("/etc/hosts")
	assert.NoError(t, err, "ec2-user reads what others may")
	lfi, err := cl.Lstat("/etc")
	require.NoError(t, err)
	assert.True(t, lfi.IsDir())
}

func TestSFTPChanges(t *testing.T) {
	fsys := instanceFS(t, 0)
	cl := sftpClient(t, fsys)
	root := fsys.Root()
	require.NoError(t, cl.Mkdir("d"))
	fi, err := cl.Stat("d")
	require.NoError(t, err)
	assert.Equal(t, fs.ModeDir|0o755, fi.Mode())
	assert.ErrorIs(t, fxCode(cl.Mkdir("d")), sftp.ErrSSHFxFailure, "it exists")

	require.NoError(t, root.WriteFile("/home/ec2-user/d/a", []byte("a"), 0o644))
	require.NoError(t, root.WriteFile("/home/ec2-user/b", []byte("b"), 0o644))
	assert.ErrorIs(t, fxCode(cl.Rename("d/a", "b")), sftp.ErrSSHFxFailure, "SFTP's own rename never replaces")
	require.NoError(t, cl.PosixRename("d/a", "b"), "posix-rename does")
	got, err := root.ReadFile("/home/ec2-user/b")
	require.NoError(t, err)
	assert.Equal(t, "a", string(got))
	require.NoError(t, cl.Rename("b", "c"))

	assert.Error(t, cl.RemoveDirectory("c"), "rmdir refuses a file")
	require.NoError(t, root.WriteFile("/home/ec2-user/d/x", nil, 0o644))
	assert.Error(t, cl.Remove("d"), "neither rm nor rmdir takes a directory with files")
	assert.Error(t, cl.RemoveDirectory("d"))
	require.NoError(t, cl.Remove("d/x"))
	require.NoError(t, cl.Remove("c"))
	require.NoError(t, cl.RemoveDirectory("d"))
	_, err = root.Stat("/home/ec2-user/d")
	assert.Error(t, err)

	require.NoError(t, fsys.As(1000, 1000).WriteFile("/home/ec2-user/f", []byte("f"), 0o644))
	require.NoError(t, cl.Chmod("f", 0o600))
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, cl.Chtimes("f", when, when))
	fi, err = root.Stat("/home/ec2-user/f")
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode())
	assert.True(t, when.Equal(fi.ModTime()))
	assert.ErrorIs(t, cl.Chown("f", 0, 0), os.ErrPermission, "only root gives files away")
	assert.ErrorIs(t, fxCode(cl.Truncate("f", 0)), sftp.ErrSSHFxOpUnsupported)

	a, err := cl.OpenFile("f", os.O_WRONLY|os.O_APPEND)
	require.NoError(t, err)
	_, err = a.Write([]byte("+more"))
	require.NoError(t, err)
	require.NoError(t, a.Close())
	got, err = root.ReadFile("/home/ec2-user/f")
	require.NoError(t, err)
	assert.Equal(t, "f+more", string(got), "SSH_FXF_APPEND appends")

	_, err = cl.ReadLink("f")
	assert.Error(t, err, "no file is a link")
	assert.ErrorIs(t, fxCode(cl.Symlink("f", "l")), sftp.ErrSSHFxOpUnsupported)
}

// The user's permissions hold, and the statuses are sftp-server's, so
// that OpenSSH's clients print "Permission denied" and "No such file or
// directory".
func TestSFTPRefusals(t *testing.T) {
	cl := sftpClient(t, instanceFS(t, 0))
	_, err := cl.Create("/etc/motd")
	assert.ErrorIs(t, err, os.ErrPermission)
	assert.ErrorIs(t, cl.Mkdir("/etc/d"), os.ErrPermission)
	assert.ErrorIs(t, cl.Remove("/etc/hosts"), os.ErrPermission)
	assert.ErrorIs(t, cl.Chmod("/etc/hosts", 0o777), os.ErrPermission)
	assert.ErrorIs(t, cl.PosixRename("/etc/hosts", "/tmp/hosts"), os.ErrPermission)
	_, err = cl.ReadDir("/root")
	assert.ErrorIs(t, err, os.ErrPermission)

	_, err = cl.Open("nosuch")
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = cl.Stat("/etc/hosts/x")
	assert.ErrorIs(t, err, os.ErrNotExist, "ENOTDIR is no such file, as sftp-server has it")
	assert.ErrorIs(t, cl.Remove("/tmp/nosuch"), os.ErrNotExist)
	_, err = cl.ReadDir("/nosuch")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// A full disk fails the write with what fits kept, as sftp-server reports
// ENOSPC: a failure with the reason in the message.
func TestSFTPNoSpace(t *testing.T) {
	fsys := instanceFS(t, 64<<10)
	cl := sftpClient(t, fsys)
	w, err := cl.Create("/tmp/big")
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 100<<10))
	require.Error(t, err)
	assert.ErrorIs(t, fxCode(err), sftp.ErrSSHFxFailure)
	assert.Contains(t, err.Error(), "no space left on device")
	w.Close()
	assert.Equal(t, fsys.Limit(), fsys.Used())

	st, err := cl.StatVFS("/")
	require.NoError(t, err)
	assert.Equal(t, uint64(64<<10), st.TotalSpace())
	assert.Zero(t, st.FreeSpace())
	require.NoError(t, cl.Remove("/tmp/big"))
	st, err = cl.StatVFS("/")
	require.NoError(t, err)
	assert.Equal(t, uint64(fsys.Limit()-fsys.Used())/4096*4096, st.FreeSpace(), "df sees the room come back")
	assert.Greater(t, st.FreeSpace(), uint64(56<<10))
}

// An SSH_FXP_WRITE at an offset near the largest int64 fails with the
// reason (EFBIG, as Linux's sftp-server reports it) instead of panicking
// in pkg/sftp's worker and taking the whole process down; the session
// goes on.
func TestSFTPWriteHugeOffset(t *testing.T) {
	fsys := instanceFS(t, 0)
	cl := sftpClient(t, fsys)
	w, err := cl.Create("/tmp/f")
	require.NoError(t, err)
	_, err = w.WriteAt(make([]byte, 32), 0x7ffffffffffffff0)
	require.Error(t, err)
	assert.ErrorIs(t, fxCode(err), sftp.ErrSSHFxFailure)
	assert.Contains(t, err.Error(), "file too large")
	_, err = w.WriteAt([]byte("ok"), 0)
	require.NoError(t, err, "the server still serves")
	require.NoError(t, w.Close())
	st, err := cl.Stat("/tmp/f")
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Size())
}

// OpenSSH's sftp and scp send the local file's permissions with the open;
// pkg/sftp hands over only the attributes after their flags word.
func TestOpenPerm(t *testing.T) {
	assert.Equal(t, fs.FileMode(0o666), openPerm(nil), "no attributes")
	assert.Equal(t, fs.FileMode(0o755), openPerm([]byte{0, 0, 0o1, 0o355}), "permissions alone")
	assert.Equal(t, fs.FileMode(0o600), openPerm([]byte{0, 0, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 2}), "S_IFREG|0600 and times")
	assert.Equal(t, fs.FileMode(0o666), openPerm([]byte{0, 0, 0, 0, 0, 0, 0x10, 0}), "a size, not permissions")
	assert.Equal(t, fs.FileMode(0o666), openPerm([]byte{0, 0, 0, 0}), "no permission at all is not what was meant")
}
