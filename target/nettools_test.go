package target

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/shell"
)

func TestPingOptions(t *testing.T) {
	o, err := parsePing([]string{"-c", "3", "-i0.2", "-W", "0.5", "-nq", "192.0.2.80"}, false)
	require.NoError(t, err)
	assert.Equal(t, pingOptions{count: 3, interval: 200 * time.Millisecond, wait: 500 * time.Millisecond, size: 56, quiet: true, numeric: true, host: "192.0.2.80"}, o)
	o, err = parsePing([]string{"-c1", "mirror"}, false)
	require.NoError(t, err)
	assert.Equal(t, 1, o.count)
	assert.Equal(t, time.Second, o.interval, "iputils' default")
	assert.Equal(t, 10*time.Second, o.wait, "iputils' default")
	for args, want := range map[string]string{
		"-i 0.1 h": "ping: cannot flood; minimal interval allowed for user is 200ms",
		"-c 0 h":   "ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807",
		"-x h":     "ping: invalid option -- 'x'",
		"-c":       "ping: option requires an argument -- 'c'",
		"-c 1":     "ping: usage error: Destination address required",
		"-W x h":   "ping: bad linger time: x",
	} {
		_, err := parsePing(fields(args), false)
		require.Error(t, err, args)
		assert.Contains(t, err.Error(), want, args)
	}
	_, err = parsePing(fields("-i 0.01 h"), true)
	assert.NoError(t, err, "root may flood")
}

func fields(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}

func TestPingTime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		123 * time.Microsecond:    "0.123",
		1234 * time.Microsecond:   "1.23",
		12345 * time.Microsecond:  "12.3",
		123456 * time.Microsecond: "123",
		999 * time.Microsecond:    "0.999",
	} {
		assert.Equal(t, want, pingTime(d), "%v", d)
	}
}

func TestNCOptions(t *testing.T) {
	o, err := parseNC(fields("-lkv -p 8080"))
	require.NoError(t, err)
	assert.True(t, o.listen && o.keep)
	assert.Equal(t, 1, o.verbose)
	assert.Equal(t, "8080", o.port)
	o, err = parseNC(fields("-zvw0.5 host 20-25"))
	require.NoError(t, err)
	assert.True(t, o.zero)
	assert.Equal(t, 500*time.Millisecond, o.wait)
	assert.Equal(t, []string{"host", "20-25"}, o.operands)
	_, err = parseNC(fields("-X host 1"))
	assert.ErrorContains(t, err, "Ncat: invalid option -- 'X'")
	lo, hi, ok := portRange("20-25")
	assert.True(t, ok)
	assert.Equal(t, [2]uint16{20, 25}, [2]uint16{lo, hi})
	for _, bad := range []string{"0", "25-20", "x", "70000", "1-"} {
		_, _, ok := portRange(bad)
		assert.False(t, ok, bad)
	}
}

func TestCurlOptionsParse(t *testing.T) {
	o, err := parseCurl([]string{"-sSfL", "-o", "out", "-H", "A: 1", "--header=B: 2", "-d", "x=1", "--data-raw", "y", "-XPUT", "-w", "%{http_code}", "--connect-timeout", "2", "-m5", "http://h/"})
	require.NoError(t, err)
	assert.True(t, o.silent && o.showErrors && o.fail && o.follow)
	assert.Equal(t, "out", o.output)
	assert.Equal(t, []string{"A: 1", "B: 2"}, o.headers)
	assert.Equal(t, []string{"x=1", "y"}, o.data)
	assert.Equal(t, "PUT", o.method)
	assert.Equal(t, 2*time.Second, o.connectTimeout)
	assert.Equal(t, 5*time.Second, o.maxTime)
	assert.Equal(t, "http://h/", o.url)
	_, err = parseCurl([]string{"--nope", "h"})
	assert.ErrorContains(t, err, "curl: option --nope: is unknown")
	_, err = parseCurl([]string{"-m"})
	assert.ErrorContains(t, err, "curl: option -m: requires parameter")

	var stderr bytes.Buffer
	r := &curlRun{o: shell.IO{Stderr: &stderr}, code: 200, downloaded: 12, method: "GET", start: time.Now()}
	assert.Equal(t, "200 12 GET\t%\n", r.writeOut(`%{http_code} %{size_download} %{method}\t%%\n`))
	assert.Equal(t, "", r.writeOut("%{nope}"))
	assert.Equal(t, "curl: unknown --write-out variable: 'nope'\n", stderr.String())
	r.code = 0
	assert.Equal(t, "000", r.writeOut("%{http_code}"), "no answer")
}

// nc -lk ends on Ctrl-C even while sending stdin to a client that stopped
// reading: the send blocked on that client must not keep the accept loop
// from taking the connections' lock and closing them.
func TestNCKeepOpenEndsWithBlockedClient(t *testing.T) {
	in, peer := sshWorld(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdin, feed := io.Pipe()
	defer feed.Close()
	ended := make(chan int, 1)
	go func() {
		ended <- in.nc(ctx, shell.IO{Stdin: stdin, Stdout: io.Discard, Stderr: io.Discard}, fields("nc -lk 8080"))
	}()
	var c net.Conn
	require.Eventually(t, func() bool {
		dctx, dcancel := context.WithTimeout(context.Background(), time.Second)
		defer dcancel()
		var err error
		c, err = peer.Dial(dctx, netip.MustParseAddrPort("10.0.0.10:8080"))
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	defer c.Close() // and never read from
	var fed atomic.Int64
	go func() {
		buf := make([]byte, 32<<10)
		for {
			k, err := feed.Write(buf)
			fed.Add(int64(k))
			if err != nil {
				return
			}
		}
	}()
	// Once the client's buffers are full nc's send blocks and stdin is
	// no longer read.
	last := int64(-1)
	require.Eventually(t, func() bool {
		cur := fed.Load()
		stalled := cur == last && cur > 0
		last = cur
		return stalled
	}, 60*time.Second, 250*time.Millisecond)
	cancel()
	select {
	case st := <-ended:
		assert.Zero(t, st)
	case <-time.After(10 * time.Second):
		require.FailNow(t, "nc -lk did not end on Ctrl-C")
	}
}
