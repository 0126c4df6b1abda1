package lab_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// What a test logs with %v is readable: no pointers, no field soup.
func TestTypesPrintReadably(t *testing.T) {
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := l.TargetGroup.Health()[0]
	assert.Regexp(t, `^i-[0-9a-f]{17}:22 in ap-northeast-1a: healthy$`, fmt.Sprint(h))
	res, err := l.Run(ctx, "hostname")
	require.NoError(t, err)
	assert.Regexp(t, `^exit 0 from 203\.0\.113\.10:\d+: stdout "ip-10-0-128-108\\n", stderr ""$`, fmt.Sprint(res))
	e, err := l.Explain(ctx, "client", l.Endpoint())
	require.NoError(t, err)
	assert.Regexp(t, `^client -> igw-[0-9a-f]+: 203\.0\.113\.10:\d+ > 198\.51\.100\.10:51512$`, fmt.Sprint(e.Hops[0]))
	for _, v := range []any{h, res, e.Hops, l.Net.Drops()} {
		assert.NotContains(t, fmt.Sprintf("%v", v), "0x", "no pointer printed")
	}
}
