package main

import "testing"

type point struct{ x, y, z int64 }

var sinkPoint *point

//go:noinline
func escapes(i int64) { sinkPoint = &point{i, i, i} }

//go:noinline
func staysOnStack(i int64) int64 {
	p := &point{i, i, i}
	return p.x + p.y + p.z
}

// The cost of escaping: the same 24 B value, once moved to the heap (the compiler reports
// "&point{...} escapes to heap"), once kept in the frame ("does not escape").
func BenchmarkEscapes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		escapes(int64(i))
	}
}

func BenchmarkStaysOnStack(b *testing.B) {
	var s int64
	for i := 0; i < b.N; i++ {
		s += staysOnStack(int64(i))
	}
	sinkPoint = &point{s, 0, 0}
}
