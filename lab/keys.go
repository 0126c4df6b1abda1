package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// KeyStore keeps the lab's SSH keys in a directory (the CLI uses
// os.UserConfigDir()/vlab), so that the instances' host key, and with it
// the user's known_hosts, stays the same across runs.
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
	p := s.Path(name)
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
func ReadAuthorizedKeys(path string) ([]ssh.PublicKey, error) {
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
