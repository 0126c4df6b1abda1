package shell

import (
	"bytes"
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

type fakeSys struct{}

func (fakeSys) Hostname() string { return "ip-10-0-128-108" }
func (fakeSys) Sockets() []Socket {
	return []Socket{
		{State: "LISTEN", Local: netip.MustParseAddrPort("0.0.0.0:22")},
		{State: "ESTAB", Local: netip.MustParseAddrPort("10.0.128.108:22"), Peer: netip.MustParseAddrPort("203.0.113.10:40000")},
	}
}
func (fakeSys) Interfaces() []Interface {
	return []Interface{{Name: "eth0", MAC: "06:00:00:00:00:01", MTU: 1500, Addr: netip.MustParsePrefix("10.0.128.108/20")}}
}
func (fakeSys) Routes() []Route {
	return []Route{
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.128.1"), Dev: "eth0"},
		{Dst: netip.MustParsePrefix("10.0.128.0/20"), Dev: "eth0", Src: netip.MustParseAddr("10.0.128.108")},
	}
}

func run(t *testing.T, line string) (string, string, int) {
	t.Helper()
	s := New(fakeSys{}, map[string]string{"USER": "ec2-user", "SSH_CLIENT": "203.0.113.10 40000 22", "EMPTY": ""})
	var out, errb bytes.Buffer
	st := s.Run(context.Background(), line, nil, &out, &errb)
	return out.String(), errb.String(), st
}

func TestShellParsesWhatPeopleType(t *testing.T) {
	cases := []struct{ line, out string }{
		{`echo $SSH_CLIENT`, "203.0.113.10 40000 22\n"},
		{`echo "${USER}@$(x)"`, "ec2-user@$(x)\n"},
		{`echo '$USER' "$USER"`, "$USER ec2-user\n"},
		{`echo a;echo b`, "a\nb\n"},
		{`false && echo no || echo yes`, "yes\n"},
		{`true || echo no && echo yes`, "yes\n"},
		{`false; echo $?`, "1\n"},
		{`echo "a  b"   c`, "a  b c\n"},
		{`echo x$EMPTY"y"`, "xy\n"},
		{`X=1; echo $X`, "1\n"},
		{`echo a\ b`, "a b\n"},
		{`whoami`, "ec2-user\n"},
		{`hostname`, "ip-10-0-128-108\n"},
		{`ss -tn | grep 203.0.113.10 | wc -l`, "1\n"},
		{`ip route`, "default via 10.0.128.1 dev eth0 \n10.0.128.0/20 dev eth0 proto kernel scope link src 10.0.128.108 \n"},
		{`echo one # comment`, "one\n"},
	}
	for _, c := range cases {
		out, errs, st := run(t, c.line)
		assert.Equal(t, c.out, out, c.line)
		assert.Empty(t, errs, c.line)
		assert.Equal(t, 0, st, c.line)
	}
}

func TestShellStatuses(t *testing.T) {
	_, errs, st := run(t, "nosuch arg")
	assert.Equal(t, 127, st)
	assert.Equal(t, "-bash: nosuch: command not found\n", errs)
	_, _, st = run(t, "exit 3")
	assert.Equal(t, 3, st)
	_, errs, st = run(t, `echo "open`)
	assert.Equal(t, 2, st)
	assert.Contains(t, errs, "unexpected EOF")
	_, errs, st = run(t, `&& echo`)
	assert.Equal(t, 2, st)
	assert.Contains(t, errs, "syntax error")
	_, _, st = run(t, "false")
	assert.Equal(t, 1, st)
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
}
