package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
)

func skipOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
}

// The keys vlab writes itself are its owner's alone: the key 0600, in a
// directory 0700.
func TestKeyStoreWritesKeysPrivate(t *testing.T) {
	skipOnWindows(t)
	ks := KeyStore{Dir: filepath.Join(t.TempDir(), "config", "vlab")}
	_, err := ks.HostKey()
	require.NoError(t, err)
	_, err = ks.ClientKey()
	require.NoError(t, err)
	fi, err := os.Stat(ks.Dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "the key directory")
	for _, name := range []string{HostKeyFile, ClientKeyFile} {
		fi, err := os.Stat(ks.Path(name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
	// And they load again, unchanged.
	k1, err := ks.ClientKey()
	require.NoError(t, err)
	k2, err := ks.ClientKey()
	require.NoError(t, err)
	assert.Equal(t, k1.PublicKey().Marshal(), k2.PublicKey().Marshal())
}

// A private key group or others may read or write is refused, as OpenSSH
// refuses it, with the chmod that fixes it.
func TestKeyStoreRefusesAnUnprotectedKey(t *testing.T) {
	skipOnWindows(t)
	ks := KeyStore{Dir: filepath.Join(t.TempDir(), "vlab")}
	_, err := ks.ClientKey()
	require.NoError(t, err)
	p := ks.Path(ClientKeyFile)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o666} {
		require.NoError(t, os.Chmod(p, mode))
		_, err = ks.ClientKey()
		assert.ErrorContains(t, err, "key "+p+": UNPROTECTED PRIVATE KEY FILE", mode)
		assert.ErrorContains(t, err, "permissions "+fmtMode(mode)+" are too open", mode)
		assert.ErrorContains(t, err, "fix with: chmod 600 "+p, mode)
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		require.NoError(t, os.Chmod(p, mode))
		_, err = ks.ClientKey()
		assert.NoError(t, err, mode)
	}
}

func fmtMode(m os.FileMode) string { return fmt.Sprintf("%04o", m) }

// A key directory group or others may write is refused: they could
// replace the keys. One only others may read is fine.
func TestKeyStoreRefusesAWritableDirectory(t *testing.T) {
	skipOnWindows(t)
	ks := KeyStore{Dir: filepath.Join(t.TempDir(), "vlab")}
	_, err := ks.HostKey()
	require.NoError(t, err)
	for _, mode := range []os.FileMode{0o777, 0o770, 0o707, 0o777 | os.ModeSticky} {
		require.NoError(t, os.Chmod(ks.Dir, mode))
		_, err = ks.HostKey()
		assert.ErrorContains(t, err, "keys: directory "+ks.Dir+" is writable by group or others (permissions "+fmtMode(mode.Perm())+")", mode)
		assert.ErrorContains(t, err, "fix with: chmod 700 "+ks.Dir, mode)
	}
	require.NoError(t, os.Chmod(ks.Dir, 0o755))
	_, err = ks.HostKey()
	assert.NoError(t, err)
	// Before any key is written too.
	fresh := KeyStore{Dir: filepath.Join(t.TempDir(), "vlab")}
	require.NoError(t, os.Mkdir(fresh.Dir, 0o700))
	require.NoError(t, os.Chmod(fresh.Dir, 0o777))
	_, err = fresh.ClientKey()
	assert.ErrorContains(t, err, "chmod 700 "+fresh.Dir)
	assert.NoFileExists(t, fresh.Path(ClientKeyFile), "no key written into a directory others can write")
}

// A path with a space (macOS's "Application Support") is quoted in the
// command, so that it can be pasted into a shell.
func TestKeyErrorsQuoteThePath(t *testing.T) {
	skipOnWindows(t)
	ks := KeyStore{Dir: filepath.Join(t.TempDir(), "Application Support", "vlab")}
	_, err := ks.ClientKey()
	require.NoError(t, err)
	p := ks.Path(ClientKeyFile)
	require.NoError(t, os.Chmod(p, 0o644))
	_, err = ks.ClientKey()
	assert.ErrorContains(t, err, "chmod 600 '"+p+"'")
}

// An authorized_keys file others may write is refused, as sshd's
// StrictModes refuses it; one others may read is a public key's usual
// mode.
func TestReadAuthorizedKeysRefusesAWritableFile(t *testing.T) {
	skipOnWindows(t)
	k, err := lab.NewKey()
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "id_ed25519.pub")
	require.NoError(t, os.WriteFile(p, ssh.MarshalAuthorizedKey(k.PublicKey()), 0o644))
	keys, err := ReadAuthorizedKeys(p)
	require.NoError(t, err)
	assert.Len(t, keys, 1)
	require.NoError(t, os.Chmod(p, 0o666))
	_, err = ReadAuthorizedKeys(p)
	assert.ErrorContains(t, err, "--authorized-key "+p+": permissions 0666 let group or others write it")
	assert.ErrorContains(t, err, "fix with: chmod go-w "+p)
}
