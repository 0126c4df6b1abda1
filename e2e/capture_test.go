package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet/capture"
)

// captureSession captures host's interface with tcpdump args while the
// client runs one SSH session through the NLB, and returns the lines once
// the session's last packets are in.
func captureSession(t *testing.T, l *lab.Lab, host string, args ...string) (lines []string, clientPort uint16) {
	t.Helper()
	h, err := l.Host(host)
	require.NoError(t, err)
	cfg, err := capture.ParseArgs(args)
	require.NoError(t, err)
	cfg.Legacy = l.TcpdumpLegacy(h) // the reference instance's Amazon Linux 2
	c, err := capture.Start(h.PrimaryENI().CaptureSource(), cfg, l.Net.NameOf, l.Net.AddrOf, io.Discard)
	require.NoError(t, err)
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Print(ctx, &out); close(done) }()
	res, err := l.Run(ctxT(t), "true")
	require.NoError(t, err)
	// The session is over when the client's socket is gone from the flow
	// table's view: wait for its FINs to show.
	require.Eventually(t, func() bool { return strings.Count(out.String(), "Flags [F") >= 2 }, 10*time.Second, time.Millisecond, out.String())
	require.Eventually(t, func() bool {
		ls := strings.Split(strings.TrimSpace(out.String()), "\n")
		return strings.Contains(ls[len(ls)-1], "Flags [.]")
	}, 10*time.Second, time.Millisecond, "the last ACK")
	cancel()
	<-done
	return strings.Split(strings.TrimSpace(out.String()), "\n"), res.Local.Port()
}

var ipLine = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} IP (\S+) > (\S+): Flags \[`)

// O5: on the instance, every packet is between 10.0.128.108.22 (ssh with
// -n) and the client's own address and port.
func TestTcpdumpOnTheTarget(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	// Health checks from the node (10.0.10.25) share port 22; the session is
	// the rest.
	lines, port := captureSession(t, l, "ec2", "-n", "port", "22", "and", "not", "host", "10.0.10.25")
	require.NotEmpty(t, lines)
	client := fmt.Sprintf("203.0.113.10.%d", port)
	assert.Contains(t, lines[0], "Flags [S], seq ", "the capture sees the handshake")
	for _, ln := range lines {
		m := ipLine.FindStringSubmatch(ln)
		require.NotNil(t, m, ln)
		ends := []string{m[1], strings.TrimSuffix(m[2], ":")}
		assert.ElementsMatch(t, []string{"10.0.128.108.ssh", client}, ends, ln)
	}
}

// O7: on the client, only the NLB's public address and listener port, no
// VPC address ever.
func TestTcpdumpOnTheClient(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	lines, port := captureSession(t, l, "client", "-nn")
	client := fmt.Sprintf("203.0.113.10.%d", port)
	for _, ln := range lines {
		m := ipLine.FindStringSubmatch(ln)
		require.NotNil(t, m, ln)
		assert.ElementsMatch(t, []string{"198.51.100.10.51512", client}, []string{m[1], strings.TrimSuffix(m[2], ":")}, ln)
		assert.NotContains(t, ln, " 10.0.")
	}
}

// The NLB node sees both sides of the rewrite: the client to its private
// address and listener port, and the client to the target's port 22.
func TestTcpdumpOnTheNLBNode(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	lines, port := captureSession(t, l, "nlb-1a", "-nn", "not", "src", "net", "10.0.0.0/20", "and", "not", "dst", "net", "10.0.0.0/20", "or", "port", "51512")
	client := fmt.Sprintf("203.0.113.10.%d", port)
	text := strings.Join(lines, "\n")
	assert.Contains(t, text, client+" > 10.0.10.25.51512: Flags [S]", "the client's SYN as it arrives")
	assert.Contains(t, text, client+" > 10.0.128.108.22: Flags [S]", "the same SYN, rewritten to the target")
	assert.Contains(t, text, "10.0.128.108.22 > "+client+": Flags [S.]", "the target's reply as it arrives")
	assert.Contains(t, text, "10.0.10.25.51512 > "+client+": Flags [S.]", "the reply, rewritten back")
}

// The seed's own command, over a real SSH session: tcpdump's lines on
// stdout, its banner on stderr, and it stops when head has its ten lines.
func TestSeedTcpdumpCommandOverSSH(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	res, err := l.Run(ctxT(t), "sudo tcpdump -n port 22 -A | head")
	require.NoError(t, err)
	assert.Equal(t, 0, res.ExitStatus)
	out := strings.Split(res.Stdout, "\n")
	assert.Equal(t, 10, strings.Count(res.Stdout, "\n"), "head's ten lines")
	seed := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{6} IP 10\.0\.128\.108\.ssh > 203\.0\.113\.10\.\d+: Flags \[P\.\], seq \d+:\d+, ack \d+, win \d+, options \[nop,nop,TS val \d+ ecr \d+\], length \d+$`)
	assert.Regexp(t, seed, res.Stdout, "a line of the seed's shape")
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{6} IP (10\.0\.128\.108\.ssh > 203\.0\.113\.10\.\d+|203\.0\.113\.10\.\d+ > 10\.0\.128\.108\.ssh): Flags`, out[0])
	assert.Contains(t, res.Stderr, "listening on eth0, link-type RAW (Raw IP)")

	res, err = l.Run(ctxT(t), "tcpdump -nn -c 2 port 22 | grep -c 10.0.128.108.22 ; tcpdump -i eth9")
	require.ErrorContains(t, err, "exited with status 1")
	assert.Contains(t, res.Stdout, "2\n")
	assert.Contains(t, res.Stderr, "tcpdump: eth9: No such device exists")
	assert.Equal(t, 1, res.ExitStatus)
}

// tshark reads the lab's pcap files and sees the addresses and ports the
// text showed.
func TestPcapFilesOpenInTshark(t *testing.T) {
	noLeaks(t)
	tshark := needTool(t, "tshark", "VLAB_REQUIRE_TSHARK")
	dir := t.TempDir()
	c := manual(lab.Default())
	c.PcapDir = dir
	l, err := lab.New(c)
	require.NoError(t, err)
	res, err := l.Run(ctxT(t), "hostname")
	require.NoError(t, err)
	file := filepath.Join(dir, lab.PcapFile(l.Target.ENI()))
	require.NoError(t, l.Close())

	cmd := exec.Command(tshark, "-r", file, "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-Y", "tcp.port == "+fmt.Sprint(res.Local.Port()))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), errb.String())
	var warnings []string
	for _, w := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		// tshark's notice to root users is not about the file.
		if w != "" && !strings.HasPrefix(w, "Running as user") {
			warnings = append(warnings, w)
		}
	}
	assert.Empty(t, warnings, "tshark reads the file without warnings")
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Greater(t, len(rows), 5)
	client := fmt.Sprint(res.Local.Port())
	for _, r := range rows {
		f := strings.Fields(r)
		require.Len(t, f, 4, r)
		pair := []string{f[0] + ":" + f[1], f[2] + ":" + f[3]}
		assert.ElementsMatch(t, []string{"10.0.128.108:22", "203.0.113.10:" + client}, pair)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Contains(t, names, "client-"+l.Client.Host().PrimaryENI().ID()+".pcap")
	assert.Contains(t, names, "nlb-1a-"+l.NLB.Nodes()[0].ENI().ID()+".pcap")
}
