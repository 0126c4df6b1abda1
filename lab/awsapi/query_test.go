package awsapi

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within fails the test when f takes longer than d: glob and structsOf run
// under the handler's lock, so a slow one hangs the API.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("took longer than %v", d)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"*", "abc", true},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"vpc-*", "vpc-0123", true},
		{"*-01*3", "vpc-0123", true}, {"*x", "vpc", false}, {"a*b*c", "aXbYbZc", true},
		{`a\*`, "a*", true}, {`a\*`, "ab", false}, {`\?`, "?", true}, {`\`, `\`, true},
		{"**a", "a", true}, {"a*", "b", false},
	} {
		assert.Equal(t, c.want, glob(c.pattern, c.s), "%q %q", c.pattern, c.s)
	}
	within(t, 5*time.Second, func() {
		assert.False(t, glob(strings.Repeat("*", 60)+"x", strings.Repeat("a", 200)))
	})
}

func TestStructsOfIsLinear(t *testing.T) {
	params := url.Values{"Filter.x.Name": {"no"}, "Filter.01.Name": {"no"}, "Other.1.Name": {"no"}}
	const n = 30000
	for i := 1; i <= n; i++ {
		params.Set(fmt.Sprintf("Filter.%d.Name", i), "vpc-id")
		params.Set(fmt.Sprintf("Filter.%d.Value.1", i), fmt.Sprint(i))
	}
	var out []url.Values
	within(t, 5*time.Second, func() { out = structsOf(params, "Filter") })
	require.Len(t, out, n)
	assert.Equal(t, url.Values{"Name": {"vpc-id"}, "Value.1": {"7"}}, out[6])
	// A gap ends the list, as before.
	delete(params, "Filter.3.Name")
	delete(params, "Filter.3.Value.1")
	assert.Len(t, structsOf(params, "Filter"), 2)
}
