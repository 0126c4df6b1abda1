package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// describe --drops lists each kind of drop the seed's session caused by
// source and destination: the health checks from the node and the client's
// session, separately.
func TestCLIDescribeDropsBySource(t *testing.T) {
	noLeaks(t)
	out, errs, code := vlab(t, t.TempDir(), "describe", "--ephemeral", "--drops", "--no-sg-client-rule", "--no-sg-nlb-rule", "--output", "text")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `(?m)^DROP\teni-\S+\tsecurity-group\tTCP\t10\.0\.10\.25\t10\.0\.128\.108:22\t[1-9]`, out, "the health checks from the node")
	assert.Regexp(t, `(?m)^DROP\teni-\S+\tsecurity-group\tTCP\t203\.0\.113\.10\t10\.0\.128\.108:22\t[1-9]`, out, "the client's session")
}
