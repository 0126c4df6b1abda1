package vnet

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
)

// IDs hands out AWS-style resource identifiers (eni-0a1b2c3d4e5f60718) that
// are the same on every run for the same seed and order of creation.
type IDs struct {
	mu   sync.Mutex
	seed uint64
	rngs map[string]*rand.Rand
}

// NewIDs returns a generator for seed.
func NewIDs(seed uint64) *IDs { return &IDs{seed: seed, rngs: map[string]*rand.Rand{}} }

// Next returns the next identifier with the given prefix ("eni", "i",
// "vpc"…): the prefix, a dash and 17 hex digits, as EC2 prints them.
func (g *IDs) Next(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.rngs[prefix]
	if !ok {
		h := fnv.New64a()
		h.Write([]byte(prefix))
		r = rand.New(rand.NewPCG(g.seed, h.Sum64()))
		g.rngs[prefix] = r
	}
	return fmt.Sprintf("%s-0%016x", prefix, r.Uint64())
}

// Hex returns n pseudo-random hex digits from the stream named kind, for
// identifiers AWS formats otherwise (a load balancer's 16-digit id).
func (g *IDs) Hex(kind string, n int) string {
	s := g.Next(kind)
	s = s[len(kind)+2:]
	for len(s) < n {
		s += g.Next(kind)[len(kind)+2:]
	}
	return s[:n]
}
