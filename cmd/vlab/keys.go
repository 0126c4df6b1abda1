package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"golang.org/x/crypto/ssh"
)

// KeyStore keeps the lab's SSH keys in a directory (the CLI uses
// os.UserConfigDir()/vlab), so that the instances' host key, and with it
// the user's known_hosts, stays the same across runs. As OpenSSH, it
// refuses a key file others may read or write, and a directory others may
// write: the error gives the chmod that fixes it.
type KeyStore struct{ Dir string }

// DefaultKeyStore returns the key store in the user's config directory.
func DefaultKeyStore() (KeyStore, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return KeyStore{}, fmt.Errorf("keys: no user config directory (%v); use --ephemeral", err)
	}
	return KeyStore{Dir: filepath.Join(d, "vlab")}, nil
}

// Names of the files in the store.
const (
	HostKeyFile   = "ssh_host_ed25519_key"
	ClientKeyFile = "id_ed25519"
)

// HostKey loads the instances' host key, creating it on first use.
func (s KeyStore) HostKey() (ssh.Signer, error) { return s.load(HostKeyFile, "vlab instance host key") }

// ClientKey loads the client's key, creating it on first use.
func (s KeyStore) ClientKey() (ssh.Signer, error) { return s.load(ClientKeyFile, "vlab client") }

// Path returns the path of a file of the store.
func (s KeyStore) Path(name string) string { return filepath.Join(s.Dir, name) }

func (s KeyStore) load(name, comment string) (ssh.Signer, error) {
	if err := checkKeyDir(s.Dir); err != nil {
		return nil, err
	}
	p := s.Path(name)
	if fi, err := os.Stat(p); err == nil {
		if err := checkPrivateKeyFile(p, fi); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(p)
	if err == nil {
		k, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w (delete it to have vlab make a new one)", p, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key %s: %w", p, err)
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return WriteNewKey(p, comment)
}

// checkPrivateKeyFile refuses a private key file group or others may read
// or write, as OpenSSH refuses to use one.
func checkPrivateKeyFile(path string, fi fs.FileInfo) error {
	if runtime.GOOS == "windows" {
		return nil // no Unix permission bits to check
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("key %s: UNPROTECTED PRIVATE KEY FILE: permissions %04o are too open: a private key must not be readable or writable by group or others; fix with: chmod 600 %s", path, m, shellQuote(path))
	}
	return nil
}

// checkKeyDir refuses a key directory group or others may write: they
// could replace the keys in it. A directory not there yet is fine: it is
// created 0700.
func checkKeyDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("keys: %s is not a directory: want the directory vlab keeps its SSH keys in", dir)
	}
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Errorf("keys: directory %s is writable by group or others (permissions %04o): they could replace vlab's SSH keys; fix with: chmod 700 %s", dir, m, shellQuote(dir))
	}
	return nil
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes a path for a command the user copies into a shell
// (macOS's config directory is "Application Support").
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WriteNewKey generates an ed25519 key and writes it to path in OpenSSH's
// format (readable by ssh -i), with the public key beside it as path.pub.
func WriteNewKey(path, comment string) (ssh.Signer, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	blk, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(blk), 0o600); err != nil {
		return nil, err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	ak := ssh.MarshalAuthorizedKey(sp) // ends with a newline
	line := append(ak[:len(ak)-1], " "+comment+"\n"...)
	if err := writeFileAtomic(path+".pub", line, 0o644); err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadAuthorizedKeys parses an authorized_keys file (one or more public keys
// in OpenSSH's format).
//
// As sshd's StrictModes, it refuses a file group or others may write: they
// could add a key that logs in.
func ReadAuthorizedKeys(path string) ([]ssh.PublicKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--authorized-key: %w", err)
	}
	if m := fi.Mode().Perm(); runtime.GOOS != "windows" && m&0o022 != 0 {
		return nil, fmt.Errorf("--authorized-key %s: permissions %04o let group or others write it, and so add a key that logs in; fix with: chmod go-w %s", path, m, shellQuote(path))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--authorized-key: %w", err)
	}
	var keys []ssh.PublicKey
	for rest, line := b, 1; len(rest) > 0; line++ {
		var k ssh.PublicKey
		k, _, _, rest, err = ssh.ParseAuthorizedKey(rest)
		if err != nil {
			if len(keys) > 0 {
				break // trailing blank lines or comments
			}
			return nil, fmt.Errorf("--authorized-key %s: no public key in OpenSSH format (want a line like \"ssh-ed25519 AAAA… comment\", as in ~/.ssh/id_ed25519.pub)", path)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// Exists reports whether the store already holds both keys.
func (s KeyStore) Exists() bool {
	for _, name := range []string{HostKeyFile, ClientKeyFile} {
		if _, err := os.Lstat(s.Path(name)); err != nil {
			return false
		}
	}
	return true
}
