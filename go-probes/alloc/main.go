// Command alloc is the ground truth for EXP-04: it makes exactly -n heap allocations of each
// of four kinds, each from its own function so that allocation sites are known, and keeps
// the latest of each reachable so that the compiler must put them on the heap:
//
//	tiny8     8 B without pointers: below 16 B and noscan, the tiny allocator packs two per
//	          16 B block (src/runtime/malloc.go, Go 1.19-1.27: maxTinySize = 16)
//	scan24    24 B with pointers: the 24 B size class, scan
//	noscan33  33 B without pointers: rounded up to the 48 B size class
//	large40k  40 KB without pointers: over 32 KB, a large allocation of its own span
//
// With -mixed M it then makes M more allocations of sizes 8 B to 4 KB (a server-like mix,
// for DESIGN.md's overhead figures), half with pointers; with -inlined I, I more of 24 B
// through newInlined, which main.main inlines. At the end it prints what it did:
//
//	alloc-probe: n=N tiny8=N scan24=N noscan33=N large40k=N mixed=M inlined=I elapsed_s=T
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

type scan24 struct {
	a, b *int
	c    int
}

var (
	sinkTiny  *[8]byte
	sinkScan  *scan24
	sinkOdd   *[33]byte
	sinkLarge *[40 << 10]byte
)

//go:noinline
func allocTiny8() { sinkTiny = new([8]byte) }

//go:noinline
func allocScan24() { sinkScan = &scan24{} }

//go:noinline
func allocNoscan33() { sinkOdd = new([33]byte) }

//go:noinline
func allocLarge40k() { sinkLarge = new([40 << 10]byte) }

var (
	sinkBytes []byte
	sinkPtrs  []*int
)

// allocMixed allocates sizes 8 B, 16 B, ... 4 KB in turn, noscan and scan alternately.
//
//go:noinline
func allocMixed(m int) {
	for i := 0; i < m; i++ {
		size := 8 << (i % 10) // 8 B .. 4 KB
		if i%2 == 0 {
			sinkBytes = make([]byte, size)
		} else {
			sinkPtrs = make([]*int, size/8)
		}
	}
}

// newInlined is small enough for the compiler to inline into its caller (no //go:noinline):
// its allocation is main.main's code, at this line of this function.
func newInlined() *scan24 { return &scan24{c: 1} }

func main() {
	n := flag.Int("n", 100000, "allocations of each small kind")
	large := flag.Int("large", 200, "40 KB allocations")
	mixed := flag.Int("mixed", 0, "allocations of sizes 8 B to 4 KB after the others")
	inlined := flag.Int("inlined", 0, "24 B allocations inlined into main.main after the others")
	flag.Parse()
	if *n < 0 || *large < 0 || *mixed < 0 || *inlined < 0 {
		fmt.Fprintln(os.Stderr, "alloc-probe: -n, -large, -mixed and -inlined must not be negative")
		os.Exit(2)
	}
	start := time.Now()
	for i := 0; i < *n; i++ {
		allocTiny8()
	}
	for i := 0; i < *n; i++ {
		allocScan24()
	}
	for i := 0; i < *n; i++ {
		allocNoscan33()
	}
	for i := 0; i < *large; i++ {
		allocLarge40k()
	}
	allocMixed(*mixed)
	for i := 0; i < *inlined; i++ {
		sinkScan = newInlined()
	}
	fmt.Printf("alloc-probe: n=%d tiny8=%d scan24=%d noscan33=%d large40k=%d mixed=%d inlined=%d elapsed_s=%.6f\n",
		*n, *n, *n, *n, *large, *mixed, *inlined, time.Since(start).Seconds())
}
