package shell

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lines as a user types them, against what bash prints and returns.
func TestShellLanguage(t *testing.T) {
	cases := []struct {
		line, out string
		status    int
	}{
		{`echo $SSH_CLIENT`, "203.0.113.10 40000 22\n", 0},
		{`echo "${USER}@$(hostname)"`, "ec2-user@ip-10-0-128-108\n", 0},
		{`echo $(hostname)`, "ip-10-0-128-108\n", 0},
		{"echo `whoami`", "ec2-user\n", 0},
		{`echo '$USER' "$USER"`, "$USER ec2-user\n", 0},
		{`echo a;echo b`, "a\nb\n", 0},
		{`false && echo no || echo yes`, "yes\n", 0},
		{`true || echo no && echo yes`, "yes\n", 0},
		{`false; echo $?`, "1\n", 0},
		{`echo "a  b"   c`, "a  b c\n", 0},
		{`echo x$EMPTY"y"`, "xy\n", 0},
		{`X=1; echo $X`, "1\n", 0},
		{`echo a\ b`, "a b\n", 0},
		{`echo ~`, "/home/ec2-user\n", 0},
		{`echo ~/notes`, "/home/ec2-user/notes\n", 0},
		{`echo $((6 * 7))`, "42\n", 0},
		{`for i in 1 2 3; do echo -n $i; done; echo`, "123\n", 0},
		{`i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i`, "3\n", 0},
		{`if [ -d /tmp ]; then echo dir; else echo none; fi`, "dir\n", 0},
		{`if [ -f /nope ]; then echo yes; else echo no; fi`, "no\n", 0},
		{`f() { echo "hi $1"; return 3; }; f you; echo $?`, "hi you\n3\n", 0},
		{`echo one # comment`, "one\n", 0},
		{`pwd`, "/home/ec2-user\n", 0},
		{`cd /tmp && pwd`, "/tmp\n", 0},
		{`cd; pwd`, "/home/ec2-user\n", 0},
		{`whoami`, "ec2-user\n", 0},
		{`hostname`, "ip-10-0-128-108\n", 0},
		{`hostname -f`, "ip-10-0-128-108.ap-northeast-1.compute.internal\n", 0},
		{`echo $0`, "-bash\n", 0},
		{`echo hi > /tmp/f; echo there >> /tmp/f; while read l; do echo "<$l>"; done < /tmp/f`, "<hi>\n<there>\n", 0},
		{"read a b <<EOF\nx y\nEOF\necho $b$a", "yx\n", 0},
		{`set -e; false; echo not reached`, "", 1},
		{`exit 3`, "", 3},
		{`false`, "", 1},
		{`exit 3 | true; echo still here`, "still here\n", 0},
		{`A=1 | true; echo x${A}x`, "xx\n", 0},
		{`echo $$ $PPID`, "3001 3000\n", 0},
		{`type cd echo`, "cd is a shell builtin\necho is a shell builtin\n", 0},
		{`uname -r`, "6.1.119-129.201.amzn2023.x86_64\n", 0},
		{`id`, "uid=1000(ec2-user) gid=1000(ec2-user) groups=1000(ec2-user),4(adm),10(wheel),190(systemd-journal)\n", 0},
		{`id root`, "uid=0(root) gid=0(root) groups=0(root)\n", 0},
		{`sudo whoami`, "root\n", 0},
	}
	for _, c := range cases {
		out, errs, st := run(t, c.line)
		assert.Equal(t, c.out, out, c.line)
		assert.Empty(t, errs, c.line)
		assert.Equal(t, c.status, st, c.line)
	}
}

func TestShellErrors(t *testing.T) {
	cases := []struct {
		line, errs string
		status     int
	}{
		{`nosuch arg`, "bash: nosuch: command not found\n", 127},
		{`echo "open`, "-bash: syntax error: reached EOF without closing quote `\"`\n", 2},
		{`cat <(true)`, "-bash: process substitution <(...) is not supported on this simulated instance; use a pipe or a file\n", 2},
		{`echo x > /etc/motd`, "bash: /etc/motd: Permission denied\n", 1},
		{`cat < /nope`, "bash: /nope: No such file or directory\n", 1},
		{`cd /nope`, "", 1},
		{`./run.sh`, "bash: ./run.sh: No such file or directory\n", 127},
		{`+=[`, "-bash: +=[: command not found\n", 127},
		{`awk '{print $1}'`, "bash: awk: command not found (awk is not available on this simulated instance: no maintained Go implementation; try grep, cut, sed or tr)\n", 127},
	}
	for _, c := range cases {
		_, errs, st := run(t, c.line)
		if c.errs != "" {
			assert.Equal(t, c.errs, errs, c.line)
		}
		assert.Equal(t, c.status, st, c.line)
	}
}

// Variables, the working directory and functions last from line to line,
// as in an interactive bash.
func TestShellKeepsStateBetweenLines(t *testing.T) {
	s := newShell(t)
	runIn(t, s, "cd /tmp; X=5; g() { echo g$1; }", "")
	out, _, _ := runIn(t, s, "pwd; echo $X; g 1", "")
	assert.Equal(t, "/tmp\n5\ng1\n", out)
	runIn(t, s, "false", "")
	out, _, _ = runIn(t, s, "echo $?", "")
	assert.Equal(t, "1\n", out, "$? is the last line's status")
	out, _, _ = runIn(t, s, "echo a & false", "")
	assert.Equal(t, "a\n", out, "a background job's output belongs to its line")
	out, _, _ = runIn(t, s, "echo $?", "")
	assert.Equal(t, "1\n", out)
	_, _, st := runIn(t, s, "exit 4", "")
	assert.Equal(t, 4, st)
	assert.True(t, s.Exited())
}

func TestSSShowsPeers(t *testing.T) {
	out, _, _ := run(t, "ss -tn")
	assert.Contains(t, out, "ESTAB")
	assert.Regexp(t, `10\.0\.128\.108:22\s+203\.0\.113\.10:40000`, out)
	assert.NotContains(t, out, "LISTEN")
	out, _, _ = run(t, "ss -t")
	assert.Contains(t, out, "10.0.128.108:ssh")
	out, _, _ = run(t, "ss -tln")
	assert.Contains(t, out, "LISTEN")
	out, _, _ = run(t, "ip addr")
	assert.Contains(t, out, "inet 10.0.128.108/20 brd 10.0.143.255 scope global dynamic eth0")
	out, _, _ = run(t, "ip route")
	assert.Equal(t, "default via 10.0.128.1 dev eth0 \n10.0.128.0/20 dev eth0 proto kernel scope link src 10.0.128.108 \n", out)
}

// ps lists the session's processes by their program's name; kill ends
// one, as its owner.
func TestPSAndKill(t *testing.T) {
	s := newShell(t)
	sys := s.Sys.(*fakeSys)
	_, done := sys.Start(Process{PPID: 3000, User: "ec2-user", TTY: "?", Command: "sshd: ec2-user@notty"}, nil)
	defer done()
	out, _, st := runIn(t, s, "ps", "")
	assert.Equal(t, 0, st)
	assert.Regexp(t, `(?m)^\s+\d+ \?\s+00:00:00 sshd$`, out)
	assert.Regexp(t, `(?m)^\s+\d+ \?\s+00:00:00 ps$`, out)
	_, errs, st := runIn(t, s, "kill 99999", "")
	assert.Equal(t, 1, st)
	assert.Equal(t, "-bash: kill: (99999) - No such process\n", errs)
}

// What the interpreter would look up on the host is answered from the
// instance: ~user from its accounts, source from its files, $$ inside eval
// and sourced scripts, builtin type and hash from its commands.
func TestNothingComesFromTheHost(t *testing.T) {
	cases := []struct {
		line, out, errs string
		status          int
	}{
		{`echo ~root ~nobody ~ec2-user/x`, "/root ~nobody /home/ec2-user/x\n", "", 0},
		{`echo 'echo sourced $1 $$' > s.sh; source s.sh; . ./s.sh`, "sourced 3001\nsourced 3001\n", "", 0},
		{`source nope.sh`, "", "-bash: nope.sh: No such file or directory\n", 1},
		{`source`, "", "-bash: source: filename argument required\nsource: usage: source filename [arguments]\n", 2},
		{`eval 'echo $$ $PPID'`, "3001 3000\n", "", 0},
		{`builtin type ls; builtin command -v cat`, "ls is /usr/bin/ls\n/usr/bin/cat\n", "", 0},
		{`hash ls; hash nosuch`, "", "-bash: hash: nosuch: not found\n", 1},
	}
	for _, c := range cases {
		out, errs, st := run(t, c.line)
		assert.Equal(t, c.out, out, c.line)
		assert.Equal(t, c.errs, errs, c.line)
		assert.Equal(t, c.status, st, c.line)
	}
}

// df shows the instance's capped disk and what its files hold.
func TestDf(t *testing.T) {
	s := newShell(t)
	_, _, st := runIn(t, s, "head -c 3000000 /dev/zero > /tmp/blob", "")
	require.Equal(t, 0, st)
	out, _, st := runIn(t, s, "df -h; df", "")
	assert.Equal(t, 0, st)
	assert.Regexp(t, `(?m)^\s*Filesystem\s+Size\s+Used\s+Avail\s+Use%\s+Mounted on$`, out)
	assert.Regexp(t, `(?m)^/dev/nvme0n1p1\s+256M\s+2\.9M\s+253M\s+2%\s+/$`, out)
	assert.Regexp(t, `(?m)^/dev/nvme0n1p1\s+262144\s+2930\s+259214\s+2%\s+/$`, out)
}
