package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
)

// Input the CLI used to take silently (or answer with a puzzle) is refused,
// naming the flag, the file or the field at fault and what would be right.

// usageError runs vlab and expects a usage error: exit status 2, nothing
// on stdout, the message and the pointer to --help on stderr.
func usageError(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := vlab(t, t.TempDir(), args...)
	assert.Equal(t, 2, code, "%v: a usage error; stderr: %s", args, errs)
	assert.Empty(t, out, args)
	assert.Contains(t, errs, "Run 'vlab --help' for usage.", args)
	return errs
}

// --time-scale takes 0 < scale <= 1000, on every command that has it.
func TestCLITimeScaleRange(t *testing.T) {
	noLeaks(t)
	for _, cmd := range [][]string{{"ssh", "--ephemeral"}, {"up", "--ephemeral", "--listen", "127.0.0.1:0"}} {
		for _, v := range []struct{ arg, shown string }{
			{"NaN", "NaN"}, {"1e308", "1e+308"}, {"-1", "-1"}, {"0", "0"}, {"+Inf", "+Inf"}, {"1000.5", "1000.5"},
		} {
			args := append(append([]string{}, cmd...), "--time-scale", v.arg)
			if cmd[0] == "ssh" {
				args = append(args, "--", "true")
			}
			errs := usageError(t, args...)
			assert.Contains(t, errs, "vlab: --time-scale "+v.shown+": want a number more than 0 and at most 1000", args)
		}
	}
	// The bounds themselves are accepted.
	for _, v := range []string{"1000", "0.5"} {
		_, errs, code := vlab(t, t.TempDir(), "ssh", "--ephemeral", "--time-scale", v, "--", "true")
		assert.Equal(t, 0, code, "--time-scale %s: %s", v, errs)
	}
}

// A --timeout of zero or less would give up before starting: refused on
// every command that has it, instead of "context deadline exceeded".
func TestCLITimeoutMustBePositive(t *testing.T) {
	noLeaks(t)
	for _, cmd := range [][]string{
		{"ssh", "--ephemeral", "--timeout", "-1s", "--", "true"},
		{"ssh", "--ephemeral", "--timeout", "0", "--", "true"},
		{"tcpdump", "--ephemeral", "--timeout", "-1s", "-n"},
		{"flowlogs", "--ephemeral", "--timeout", "-1s"},
		{"describe", "--ephemeral", "--drops", "--timeout", "-1s"},
		{"explain", "--ephemeral", "--timeout", "-1s"},
	} {
		errs := usageError(t, cmd...)
		assert.Regexp(t, `vlab: --timeout (-1s|0s): want a duration more than 0 \(10s, 1m30s\)`, errs, cmd)
		assert.NotContains(t, errs, "deadline", cmd)
	}
}

// completion names the shells it has scripts for instead of printing its
// help and exiting 0.
func TestCLICompletionShells(t *testing.T) {
	noLeaks(t)
	errs := usageError(t, "completion", "tcsh")
	assert.Contains(t, errs, `vlab: completion: no completion script for "tcsh": vlab writes them for bash, zsh, fish or powershell`)
	errs = usageError(t, "completion")
	assert.Contains(t, errs, "vlab: completion: name a shell: bash, zsh, fish or powershell")
	errs = usageError(t, "completion", "bash", "extra")
	assert.Contains(t, errs, `unknown command "extra"`)
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		out, errs, code := vlab(t, t.TempDir(), "completion", sh)
		assert.Equal(t, 0, code, "%s: %s", sh, errs)
		assert.Contains(t, out, "vlab", sh)
	}
}

// A --filter that would match nothing by mistake is a usage error at its
// column, the pattern shown with a caret under it.
func TestCLIFilterErrorsPointAtTheFault(t *testing.T) {
	noLeaks(t)
	for _, c := range []struct{ filter, msg, caret string }{
		{`[a=>1]`, `column 3: "=>" is not an operator (did you mean ">="?)`, "  [a=>1]\n    ^\n"},
		{`[version, action=ACCEPT`, `column 24: missing ']': the '[' at column 1 is not closed`, "  [version, action=ACCEPT\n                         ^\n"},
		{`ACCEPT ]`, `column 8: stray ']'`, "  ACCEPT ]\n         ^\n"},
		{`[a, =1]`, `column 5: a field name is missing before "="`, "  [a, =1]\n      ^\n"},
		{`[a=]`, `column 4: expected a value after "="`, "  [a=]\n     ^\n"},
		{`[a=1 && ]`, `column 6: "&&" must be followed by another condition on field "a"`, "  [a=1 && ]\n       ^\n"},
	} {
		errs := usageError(t, "flowlogs", "--ephemeral", "--filter", c.filter)
		assert.Contains(t, errs, "vlab: --filter: filter pattern: "+c.msg, c.filter)
		assert.Contains(t, errs, c.caret, c.filter)
	}
}

// Keys others may read, or a key directory others may write, are refused
// as OpenSSH refuses them, with the chmod that fixes them.
func TestCLIRefusesUnprotectedKeys(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	// A command that logs in makes the keys; the config folder is the CLI's.
	_, errs, code := vlab(t, cfg, "ssh", "--", "true")
	require.Equal(t, 0, code, errs)
	dir := filepath.Join(cfg, "vlab")
	key := filepath.Join(dir, "id_ed25519")

	require.NoError(t, os.Chmod(key, 0o644))
	_, errs, code = vlab(t, cfg, "health")
	assert.Equal(t, 1, code, errs)
	assert.Contains(t, errs, "vlab: key "+key+": UNPROTECTED PRIVATE KEY FILE: permissions 0644 are too open")
	assert.Contains(t, errs, "fix with: chmod 600 "+key+"\n")

	require.NoError(t, os.Chmod(key, 0o600))
	require.NoError(t, os.Chmod(dir, 0o777))
	_, errs, code = vlab(t, cfg, "health")
	assert.Equal(t, 1, code, errs)
	assert.Contains(t, errs, "vlab: keys: directory "+dir+" is writable by group or others (permissions 0777)")
	assert.Contains(t, errs, "fix with: chmod 700 "+dir+"\n")

	// Fixed as told, the keys work again.
	require.NoError(t, os.Chmod(dir, 0o700))
	out, errs, code := vlab(t, cfg, "health")
	assert.Equal(t, 0, code, errs)
	assert.Contains(t, out, "healthy")

	// An authorized-key file others may write is refused as sshd's
	// StrictModes refuses one.
	k, err := lab.NewKey()
	require.NoError(t, err)
	pub := filepath.Join(t.TempDir(), "own.pub")
	require.NoError(t, os.WriteFile(pub, ssh.MarshalAuthorizedKey(k.PublicKey()), 0o600))
	require.NoError(t, os.Chmod(pub, 0o666))
	_, errs, code = vlab(t, cfg, "up", "--ephemeral", "--listen", "127.0.0.1:0", "--authorized-key", pub)
	assert.Equal(t, 1, code, errs)
	assert.Contains(t, errs, "vlab: --authorized-key "+pub+": permissions 0666 let group or others write it")
	assert.Contains(t, errs, "fix with: chmod go-w "+pub+"\n")
}

// Topology values that read as something else are placed and named.
func TestCLIValidateNamesBadSeedAndAddresses(t *testing.T) {
	noLeaks(t)
	ref, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name string, r *strings.Replacer) string {
		src := r.Replace(string(ref))
		require.NotEqual(t, string(ref), src, name)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
		return p
	}
	seed := write("seed.yaml", strings.NewReplacer("Seed: 1\n", "Seed: -1\n"))
	anyAddr := write("any.yaml", strings.NewReplacer("IpAddress: 203.0.113.10/24", "IpAddress: 0.0.0.0/0"))
	loop := write("loop.yaml", strings.NewReplacer("IpAddress: 203.0.113.10/24", "IpAddress: 127.0.0.1/8"))
	bcast := write("bcast.yaml", strings.NewReplacer("IpAddress: 192.0.2.80/24", "IpAddress: 192.0.2.255/24"))
	for _, c := range []struct{ file, want string }{
		{seed, `:\d+:7: Seed: "-1" is not a non-negative whole number \(want 0 to 18446744073709551615\)$`},
		{anyAddr, `:\d+:18: Internet\.Clients\[0\]\.IpAddress: 0\.0\.0\.0 is the unspecified address, not an address a host on the internet can have: want a public unicast address, such as 203\.0\.113\.10$`},
		{loop, `:\d+:18: Internet\.Clients\[0\]\.IpAddress: 127\.0\.0\.1 is a loopback address \(127\.0\.0\.0/8\)`},
		{bcast, `:\d+:18: Internet\.Servers\[0\]\.IpAddress: 192\.0\.2\.255/24: 192\.0\.2\.255 is the broadcast address of 192\.0\.2\.0/24, not a host's: want an address inside it, such as 192\.0\.2\.254/24$`},
	} {
		out, _, code := vlab(t, t.TempDir(), "validate", c.file)
		assert.Equal(t, 1, code, out)
		assert.Regexp(t, "(?m)^"+regexp.QuoteMeta(c.file)+c.want, out)
	}
}
