package target

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet"
)

// Every PUT /latest/api/token adds a token; expired ones go when the next
// is issued, and past maxIMDSTokens live ones the one expiring soonest
// goes, so a script's loop of PUTs does not grow the map without end.
func TestIMDSTokensBounded(t *testing.T) {
	clock := vnet.NewClock(vnet.LabEpoch)
	t.Cleanup(clock.Close)
	m := &imds{in: &Instance{clock: clock}, tokens: map[string]time.Time{}}
	put := func(ttl int) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodPut, "/latest/api/token", nil)
		r.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", strconv.Itoa(ttl))
		w := httptest.NewRecorder()
		m.token(w, r)
		require.Equal(t, http.StatusOK, w.Code)
		return w.Body.String()
	}
	for range 500 {
		put(60)
	}
	clock.Advance(2 * time.Minute)
	fresh := put(60)
	assert.Len(t, m.tokens, 1, "the expired tokens were swept")
	assert.True(t, m.valid(fresh))

	long := put(21600)
	for i := range 3 * maxIMDSTokens {
		put(1 + i%600)
	}
	assert.LessOrEqual(t, len(m.tokens), maxIMDSTokens)
	assert.True(t, m.valid(long), "the eviction takes the soonest to expire")
}
